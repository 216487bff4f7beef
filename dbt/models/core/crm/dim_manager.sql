{#
  Customer managers of the latest CRM_MANAGER snapshot (a full snapshot: a manager who
  left stays listed with status 'left').
#}

with snapshot as (
    select max(biz_date) as biz_date
    from {{ ref('stg_crm__managers') }}
),

managers as (
    select
        m.manager_id,
        m.manager_name,
        m.org_id,
        m.team_id,
        cast(m.grade as integer) as grade,
        m.hire_date,
        m.status,
        m.status = 'active' as is_active,
        m.biz_date as snapshot_date
    from {{ ref('stg_crm__managers') }} as m
    inner join snapshot
        on m.biz_date = snapshot.biz_date
)

select * from managers
