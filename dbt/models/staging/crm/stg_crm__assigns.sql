with source as (
    {{ current_batches('crm_assign', 'CRM') }}
),

renamed as (
    select
        batch_date as biz_date,
        batch_version as source_version,
        _line as source_line,
        assign_id,
        manager_id,
        sys,
        acct_no,
        share_pct,
        purpose,
        valid_from,
        valid_to
    from source
)

select * from renamed
