with source as (
    {{ current_batches('hpf_txn', 'HPF') }}
),

renamed as (
    select
        'HPF' as sys,
        batch_date as biz_date,
        batch_version as source_version,
        _line as source_line,
        {{ staging_columns('hpf_txn') }}
    from source
)

select * from renamed
