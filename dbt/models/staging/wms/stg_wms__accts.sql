with source as (
    {{ current_batches('wms_acct', 'WMS') }}
),

renamed as (
    select
        'WMS' as sys,
        batch_date as biz_date,
        batch_version as source_version,
        _line as source_line,
        acct_no,
        cust_no,
        product_code,
        currency,
        org_code,
        open_date,
        close_date,
        acct_status,
        balance,
        rate,
        shares,
        nav
    from source
)

select * from renamed
