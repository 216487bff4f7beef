with source as (
    {{ current_batches('crd_acct', 'CRD') }}
),

renamed as (
    select
        'CRD' as sys,
        batch_date as biz_date,
        batch_version as source_version,
        _line as source_line,
        {{ acct_common_columns() }},
        contract_no,
        loan_amount,
        maturity_date,
        five_class,
        overdue_days
    from source
)

select * from renamed
