{#
  The team tree 客户部门 as of each month (docs/kpi.md, point in time): per month, the
  versions of dim_team_history valid on the month's as_of_date (a team no longer delivered
  then keeps its last version of the month: versions_as_of), flattened with self-joins
  within the month (macros/team_hierarchy.sql), each level as it was that day: a team
  moved under another parent in September keeps August's parent in August. Columns as
  dim_team, per period. Incremental by month with an open end, like int_kpi_manager_months.
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

teams as (
    select period, period_start, as_of_date, team_id, team_name, parent_team_id, org_id
    from ({{ versions_as_of(ref('dim_team_history'), ['team_id'], 'periods') }}) as versions
),

tree as (
    {{ flatten_team_tree('teams', partition_by=['period'], carry=['period_start', 'as_of_date']) }}
)

select * from tree
