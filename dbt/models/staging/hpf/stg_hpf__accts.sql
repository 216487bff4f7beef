with source as (
    {{ current_batches('hpf_acct', 'HPF') }}
),

renamed as (
    select
        'HPF' as sys,
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
        monthly_contribution
    from source
)

select * from renamed
