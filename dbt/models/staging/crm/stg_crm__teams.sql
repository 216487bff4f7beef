with source as (
    {{ current_batches('crm_team', 'CRM') }}
),

renamed as (
    select
        'CRM' as sys,
        batch_date as biz_date,
        batch_version as source_version,
        _line as source_line,
        {{ staging_columns('crm_team') }}
    from source
)

select * from renamed
