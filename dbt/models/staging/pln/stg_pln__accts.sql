with source as (
    {{ current_batches('pln_acct', 'PLN') }}
),

renamed as (
    select
        'PLN' as sys,
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
        loan_amount,
        maturity_date,
        five_class,
        overdue_days,
        collateral_type
    from source
)

select * from renamed
