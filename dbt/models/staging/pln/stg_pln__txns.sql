with source as (
    {{ current_batches('pln_txn', 'PLN') }}
),

renamed as (
    select
        'PLN' as sys,
        batch_date as biz_date,
        batch_version as source_version,
        _line as source_line,
        {{ txn_columns() }}
    from source
)

select * from renamed
