with source as (
    {{ current_batches('ccs_cust', 'CCS') }}
),

renamed as (
    select
        'CCS' as sys,
        batch_date as biz_date,
        batch_version as source_version,
        _line as source_line,
        cust_no,
        cust_name,
        id_type,
        id_no,
        gender,
        birth_date,
        mobile,
        address,
        org_code,
        cust_status,
        update_ts
    from source
)

select * from renamed
