{#
  Each team → each of its ancestors and itself (depth 0) in the tree as of each month
  (int_kpi_team_months; macros/team_hierarchy.sql): mart_team_kpi joins a manager's team of
  the month on team_id and period and groups by ancestor_team_id. The monthly counterpart
  of bridge_team_ancestors (today's tree). Incremental by month with an open end.
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

with tree as (
    select *
    from {{ ref('int_kpi_team_months') }}
    where period_start >= {{ month_window_start() }}
),

ancestors as (
    {{ unpivot_team_ancestors('tree', partition_by=['period', 'period_start']) }}
)

select * from ancestors
