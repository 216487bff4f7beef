{#
  The customer-manager department tree 客户部门 as delivered: a zipper table
  [valid_from, valid_to) of each team's name, parent and organisation from the daily
  CRM_TEAM snapshots (macros/snapshot_history.sql). A reorganisation (a team moved under
  another parent) starts a new version on its snapshot date; a team absent from a snapshot
  ends there. The monthly KPI marts unroll the tree from the versions valid on each month's
  as_of_date (int_kpi_team_months). Incremental over the run's business-date window.
#}
{{ config(
    materialized='incremental',
    incremental_strategy='replace_window',
    window_column='valid_to',
    window_open_end=true,
    on_schema_change='fail',
    tags=['daily'],
) }}

{%- set attributes = ['team_name', 'parent_team_id', 'org_id'] %}

with teams as (
    select biz_date, team_id, {{ attributes | join(', ') }}
    from {{ ref('stg_crm__teams') }}
),

history as (
    {{ snapshot_history('teams', ['team_id'], attributes) }}
)

select
    team_id,
    {{ attributes | join(',\n    ') }},
    valid_from,
    valid_to,
    first_delivered_date
from history
