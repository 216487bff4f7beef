with source as (
    {{ current_batches('pln_txn', 'PLN') }}
),

renamed as (
    select
        'PLN' as sys,
        batch_date as biz_date,
        batch_version as source_version,
        _line as source_line,
        {{ staging_columns('pln_txn') }}
    from source
)

select * from renamed
