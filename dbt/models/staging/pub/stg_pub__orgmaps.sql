with source as (
    {{ current_batches('pub_orgmap', 'PUB') }}
),

renamed as (
    select
        batch_date as biz_date,
        batch_version as source_version,
        _line as source_line,
        sys,
        org_code,
        org_id,
        valid_from,
        valid_to
    from source
)

select * from renamed
