with source as (
    {{ current_batches('ccs_txn', 'CCS') }}
),

renamed as (
    select
        'CCS' as sys,
        batch_date as biz_date,
        batch_version as source_version,
        _line as source_line,
        {{ staging_columns('ccs_txn') }}
    from source
)

select * from renamed
