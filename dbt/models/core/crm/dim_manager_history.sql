{#
  Customer managers as delivered: a zipper table [valid_from, valid_to) from the daily
  CRM_MANAGER snapshots (macros/snapshot_history.sql). A new version starts on the snapshot
  date when any attribute changes (team, organisation, grade, status, ...); a manager absent
  from a snapshot ends there. The monthly KPI marts take a month's manager from here, as of
  the month's as_of_date, never today's (a September move leaves August's team as it was).
  Incremental over the run's business-date window: a daily run reads that day's snapshot
  and the current versions, not the whole history.
#}
{{ config(
    materialized='incremental',
    incremental_strategy='replace_window',
    window_column='valid_to',
    window_open_end=true,
    on_schema_change='fail',
    tags=['daily'],
) }}

{%- set attributes = ['manager_name', 'org_id', 'team_id', 'grade', 'hire_date', 'status'] %}

with managers as (
    select
        biz_date,
        manager_id,
        manager_name,
        org_id,
        team_id,
        cast(grade as integer) as grade,
        hire_date,
        status
    from {{ ref('stg_crm__managers') }}
),

history as (
    {{ snapshot_history('managers', ['manager_id'], attributes) }}
)

select
    manager_id,
    {{ attributes | join(',\n    ') }},
    status = 'active' as is_active,
    valid_from,
    valid_to,
    first_delivered_date
from history
