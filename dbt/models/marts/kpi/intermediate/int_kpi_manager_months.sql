{#
  Each manager as of each month (docs/kpi.md, point in time): the version of
  dim_manager_history valid on the month's as_of_date — team, organisation, grade, status —
  so that a month is scored with the managers as delivered for its dates, never today's (a
  manager who moves team in September stays in August's team). A manager no longer
  delivered on the as_of_date keeps the last version that covered a day of the month
  (macros/snapshot_history.sql, versions_as_of): what was earned before still has a team.
  Incremental by month with an open end, like the KPI models that read it: a run replaces
  every month from its window's on (a restated CRM snapshot starts the window at its date).
#}
{{ config(
    materialized='incremental',
    incremental_strategy='replace_window',
    window_column='period_start',
    window_grain='month',
    window_open_end=true,
    on_schema_change='fail',
    tags=['monthly'],
) }}

with periods as (
    select period, period_start, covered_from, as_of_date
    from {{ ref('int_periods') }}
    where period_start >= {{ month_window_start() }}
),

versions as (
    {{ versions_as_of(ref('dim_manager_history'), ['manager_id'], 'periods') }}
)

select
    manager_id,
    period,
    period_start,
    as_of_date,
    team_id,
    org_id,
    grade,
    status,
    is_active,
    manager_name,
    valid_from,
    valid_to,
    valid_to > as_of_date as is_delivered_on_as_of_date
from versions
