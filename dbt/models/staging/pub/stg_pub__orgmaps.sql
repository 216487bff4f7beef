with source as (
    {{ current_batches('pub_orgmap', 'PUB') }}
),

renamed as (
    select
        batch_date as biz_date,
        batch_version as source_version,
        _line as source_line,
        {{ staging_columns('pub_orgmap') }}
    from source
)

select * from renamed
