with source as (
    {{ current_batches('pln_acct', 'PLN') }}
),

renamed as (
    select
        'PLN' as sys,
        batch_date as biz_date,
        batch_version as source_version,
        _line as source_line,
        {{ acct_common_columns() }},
        loan_amount,
        maturity_date,
        five_class,
        overdue_days,
        collateral_type
    from source
)

select * from renamed
