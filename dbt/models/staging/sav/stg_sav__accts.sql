with source as (
    {{ current_batches('sav_acct', 'SAV') }}
),

renamed as (
    select
        'SAV' as sys,
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
        term_months,
        maturity_date
    from source
)

select * from renamed
