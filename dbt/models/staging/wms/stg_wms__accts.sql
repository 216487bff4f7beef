with source as (
    {{ current_batches('wms_acct', 'WMS') }}
),

renamed as (
    select
        'WMS' as sys,
        batch_date as biz_date,
        batch_version as source_version,
        _line as source_line,
        {{ staging_columns('wms_acct') }}
    from source
)

select * from renamed
