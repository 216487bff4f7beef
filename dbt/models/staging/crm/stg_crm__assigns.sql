with source as (
    {{ current_batches('crm_assign', 'CRM') }}
),

renamed as (
    select
        batch_date as biz_date,
        batch_version as source_version,
        _line as source_line,
        {{ staging_columns('crm_assign') }}
    from source
)

select * from renamed
