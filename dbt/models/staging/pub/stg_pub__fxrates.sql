with source as (
    {{ current_batches('pub_fxrate', 'PUB') }}
),

renamed as (
    select
        'PUB' as sys,
        batch_date as biz_date,
        batch_version as source_version,
        _line as source_line,
        currency,
        rate_to_cny
    from source
)

select * from renamed
