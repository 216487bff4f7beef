with source as (
    {{ current_batches('crm_team', 'CRM') }}
),

renamed as (
    select
        'CRM' as sys,
        batch_date as biz_date,
        batch_version as source_version,
        _line as source_line,
        team_id,
        team_name,
        parent_team_id,
        org_id
    from source
)

select * from renamed
