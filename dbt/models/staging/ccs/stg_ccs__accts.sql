with source as (
    {{ current_batches('ccs_acct', 'CCS') }}
),

renamed as (
    select
        'CCS' as sys,
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
        credit_limit,
        bill_day
    from source
)

select * from renamed
