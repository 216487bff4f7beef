with source as (
    {{ current_batches('crm_target', 'CRM') }}
),

renamed as (
    select
        'CRM' as sys,
        batch_date as biz_date,
        batch_version as source_version,
        _line as source_line,
        period,
        manager_id,
        indicator,
        target_value
    from source
)

select * from renamed
