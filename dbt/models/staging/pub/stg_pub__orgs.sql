with source as (
    {{ current_batches('pub_org', 'PUB') }}
),

renamed as (
    select
        'PUB' as sys,
        batch_date as biz_date,
        batch_version as source_version,
        _line as source_line,
        org_id,
        org_name,
        parent_org_id,
        org_level
    from source
)

select * from renamed
