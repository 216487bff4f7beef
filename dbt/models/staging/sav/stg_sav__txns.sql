with source as (
    {{ current_batches('sav_txn', 'SAV') }}
),

renamed as (
    select
        'SAV' as sys,
        batch_date as biz_date,
        batch_version as source_version,
        _line as source_line,
        {{ staging_columns('sav_txn') }}
    from source
)

select * from renamed
