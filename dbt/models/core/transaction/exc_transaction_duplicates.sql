{#
  Copies of transactions dropped by fct_transaction: one row per extra delivery of a
  txn_id (again in the same file, or in a later day's file), with where the kept row came
  from. Incremental by the business date of the copy.
#}
{{ config(
    materialized='incremental',
    tags=['daily'],
    incremental_strategy='replace_window',
    window_column='biz_date',
    on_schema_change='fail',
) }}

with delivered as (
    {{ delivered_transactions() }}
),

kept as (
    select txn_id, biz_date, source_line from {{ ref('fct_transaction') }}
)

select
    delivered.txn_id,
    delivered.sys,
    delivered.biz_date,
    delivered.source_version,
    delivered.source_line,
    kept.biz_date as kept_biz_date,
    kept.source_line as kept_source_line,
    delivered.amount,
    delivered.balance_after
from delivered
inner join kept on kept.txn_id = delivered.txn_id
where delivered.biz_date <> kept.biz_date or delivered.source_line <> kept.source_line
