{#
  Assignments of managers to accounts as delivered: a zipper table of the daily CRM_ASSIGN
  snapshots (macros/snapshot_history.sql), every purpose. A version of an assignment row
  (assign_id) is what the snapshots said about it over [delivered_from, delivered_to): a
  new version starts on the snapshot date when any column changes (its manager, account,
  share, purpose, or its own valid_from / valid_to: a closing becomes visible, an end is
  back-dated), and a row absent from a snapshot ends there. valid_from / valid_to are the
  row's own dates as delivered (valid_to empty = open). The credit of a day follows the
  snapshot delivered for that day (int_assignment_shares), so a later snapshot that
  back-dates a reassignment does not move days already delivered.
  Incremental over the run's business-date window, like the other histories.
#}
{{ config(
    materialized='incremental',
    incremental_strategy='replace_window',
    window_column='delivered_to',
    window_open_end=true,
    on_schema_change='fail',
    tags=['daily'],
) }}

{%- set attributes = ['manager_id', 'sys', 'acct_no', 'share_pct', 'purpose', 'valid_from', 'valid_to'] %}

with assigns as (
    select biz_date, assign_id, {{ attributes | join(', ') }}
    from {{ ref('stg_crm__assigns') }}
),

history as (
    {{ snapshot_history('assigns', ['assign_id'], attributes, 'delivered_from', 'delivered_to') }}
)

select
    assign_id,
    {{ attributes | join(',\n    ') }},
    delivered_from,
    delivered_to,
    first_delivered_date
from history
