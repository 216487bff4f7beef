with source as (
    {{ current_batches('crm_contact', 'CRM') }}
),

renamed as (
    select
        batch_date as biz_date,
        batch_version as source_version,
        _line as source_line,
        contact_id,
        manager_id,
        sys,
        cust_no,
        contact_ts,
        method,
        outcome
    from source
)

select * from renamed
