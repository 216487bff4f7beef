with source as (
    {{ current_batches('crm_contact', 'CRM') }}
),

renamed as (
    select
        batch_date as biz_date,
        batch_version as source_version,
        _line as source_line,
        {{ staging_columns('crm_contact') }}
    from source
)

select * from renamed
