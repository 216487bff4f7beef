{#
  The business dates alerts are evaluated on (every rule on every business
  date as it is processed): every date with a loaded current batch, with the loaded date
  before it (what an `entry` rule compares with: in the state now, not then) and the
  warehouse's first loaded date (history before it is unknown: rules with look-back windows
  wait until their windows lie in the history).
#}
{{ config(materialized='view') }}

with loaded as (
    select distinct biz_date
    from {{ source('audit', 'audit_batch') }}
    where status = 'loaded' and is_current
)

select
    biz_date,
    lag(biz_date) over (order by biz_date) as previous_date,
    min(biz_date) over () as first_date
from loaded
