{#
  Each account's balance over each month (ADB and 积数: docs/accounts.md): 积数 (balance × days) in
  currency and CNY over the month's covered days, the average daily balance (积数 / days),
  and the end-of-month balance (on the month's as_of_date: month end, or the latest
  date in the current month). One row per account whose balance intervals touch the
  month, zero-balance stretches included. Replaces the months its window touches.
#}
{{ config(
    materialized='incremental',
    incremental_strategy='replace_window',
    window_column='period_start',
    window_grain='month',
    on_schema_change='fail',
    tags=['monthly'],
) }}

with periods as (
    select * from {{ ref('int_periods') }}
    where {{ in_month_window('period_start') }}
),

stretches as (
    select
        b.account_key,
        p.period,
        p.period_start,
        p.as_of_date,
        p.days,
        b.balance,
        b.balance_cny,
        b.valid_from,
        b.valid_to,
        {{ overlap_days('b.valid_from', 'b.valid_to', 'p.covered_from', 'p.covered_to') }} as overlap
    from {{ ref('fct_balance') }} as b
    inner join periods as p
        on b.valid_from < p.covered_to and b.valid_to > p.covered_from
)

select
    account_key,
    period,
    period_start,
    days,
    sum(balance * overlap) as balance_days,
    sum(balance_cny * overlap) as balance_days_cny,
    {{ money_divide('sum(balance_cny * overlap)', 'days') }} as adb_cny,
    coalesce(sum(case when valid_from <= as_of_date and valid_to > as_of_date
        then balance end), 0) as eom_balance,
    coalesce(sum(case when valid_from <= as_of_date and valid_to > as_of_date
        then balance_cny end), 0) as eom_balance_cny
from stretches
group by account_key, period, period_start, days
