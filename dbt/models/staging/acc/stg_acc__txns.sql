with source as (
    {{ current_batches('acc_txn', 'ACC') }}
),

renamed as (
    select
        'ACC' as sys,
        batch_date as biz_date,
        batch_version as source_version,
        _line as source_line,
        {{ staging_columns('acc_txn') }}
    from source
)

select * from renamed
