{{ config(meta={"dagster": {"ref": {"name": "int_account_contributions_monthly"}}}) }}
-- The contribution rows' 积数 and average daily balance equal int_account_months' (the same
-- fct_balance stretches over the same covered days, decimal sums divided by money_divide:
-- no tolerance), and no account-month with a non-zero balance is missing from
-- int_account_contributions_monthly.
-- Checks the months of the run's window on both sides (a full build checks every month).
with account_months as (
    select account_key, period, adb_cny, balance_days_cny
    from {{ ref('int_account_months') }}
    where period_start >= {{ month_window_start() }}
),

contributions as (
    select account_key, period, adb_cny, balance_days_cny
    from {{ ref('int_account_contributions_monthly') }}
    where period_start >= {{ month_window_start() }}
)

select
    m.account_key,
    m.period,
    m.adb_cny as account_months_adb_cny,
    c.adb_cny as contribution_adb_cny
from account_months as m
left join contributions as c
    on c.account_key = m.account_key and c.period = m.period
where (c.account_key is null and m.balance_days_cny <> 0)
    or m.balance_days_cny <> c.balance_days_cny
    or m.adb_cny <> c.adb_cny
