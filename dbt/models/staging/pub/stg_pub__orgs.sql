with source as (
    {{ current_batches('pub_org', 'PUB') }}
),

renamed as (
    select
        'PUB' as sys,
        batch_date as biz_date,
        batch_version as source_version,
        _line as source_line,
        {{ staging_columns('pub_org') }}
    from source
)

select * from renamed
