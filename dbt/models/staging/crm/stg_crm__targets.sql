with source as (
    {{ current_batches('crm_target', 'CRM') }}
),

renamed as (
    select
        'CRM' as sys,
        batch_date as biz_date,
        batch_version as source_version,
        _line as source_line,
        {{ staging_columns('crm_target') }}
    from source
)

select * from renamed
