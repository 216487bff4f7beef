{#
  Customer managers as they are today: the current versions of dim_manager_history (those
  of the latest CRM_MANAGER snapshot, a full snapshot: a manager who left stays listed with
  status 'left'). For today's views (mart_customer_360) and relationship tests; a monthly
  mart takes its managers from the history, as of the month (int_kpi_manager_months).
#}

with latest as (
    select max(biz_date) as snapshot_date
    from {{ ref('stg_crm__managers') }}
)

select
    h.manager_id,
    h.manager_name,
    h.org_id,
    h.team_id,
    h.grade,
    h.hire_date,
    h.status,
    h.is_active,
    latest.snapshot_date
from {{ ref('dim_manager_history') }} as h
cross join latest
where h.valid_to = {{ open_end() }}
