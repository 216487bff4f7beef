with source as (
    {{ current_batches('acc_cust', 'ACC') }}
),

renamed as (
    select
        'ACC' as sys,
        batch_date as biz_date,
        batch_version as source_version,
        _line as source_line,
        cust_no,
        cust_name,
        id_type,
        id_no,
        industry_code,
        scale,
        reg_capital,
        org_code,
        cust_status,
        update_ts
    from source
)

select * from renamed
