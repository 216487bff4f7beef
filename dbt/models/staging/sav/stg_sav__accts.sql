with source as (
    {{ current_batches('sav_acct', 'SAV') }}
),

renamed as (
    select
        'SAV' as sys,
        batch_date as biz_date,
        batch_version as source_version,
        _line as source_line,
        {{ acct_common_columns() }},
        term_months,
        maturity_date
    from source
)

select * from renamed
