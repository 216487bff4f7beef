with source as (
    {{ current_batches('crm_fee', 'CRM') }}
),

renamed as (
    select
        batch_date as biz_date,
        batch_version as source_version,
        _line as source_line,
        entry_id,
        period,
        sys,
        cust_no,
        fee_type,
        amount,
        entered_by,
        entered_ts
    from source
)

select * from renamed
