with source as (
    {{ current_batches('crm_manager', 'CRM') }}
),

renamed as (
    select
        'CRM' as sys,
        batch_date as biz_date,
        batch_version as source_version,
        _line as source_line,
        manager_id,
        manager_name,
        org_id,
        team_id,
        grade,
        hire_date,
        status
    from source
)

select * from renamed
