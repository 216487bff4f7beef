with source as (
    {{ current_batches('crd_cust', 'CRD') }}
),

renamed as (
    select
        'CRD' as sys,
        batch_date as biz_date,
        batch_version as source_version,
        _line as source_line,
        {{ staging_columns('crd_cust') }}
    from source
)

select * from renamed
