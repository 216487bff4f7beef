with source as (
    {{ current_batches('crd_txn', 'CRD') }}
),

renamed as (
    select
        'CRD' as sys,
        batch_date as biz_date,
        batch_version as source_version,
        _line as source_line,
        {{ staging_columns('crd_txn') }}
    from source
)

select * from renamed
