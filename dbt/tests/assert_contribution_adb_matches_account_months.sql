{{ config(meta={"dagster": {"ref": {"name": "int_account_contributions_monthly"}}}) }}
-- The contribution rows' average daily balance agrees with int_account_months (the same
-- fct_balance stretches over the same covered days), and no account-month with a non-zero
-- balance is missing from int_account_contributions_monthly.
select
    m.account_key,
    m.period,
    m.adb_cny as account_months_adb_cny,
    c.adb_cny as contribution_adb_cny
from {{ ref('int_account_months') }} as m
left join {{ ref('int_account_contributions_monthly') }} as c
    on c.account_key = m.account_key and c.period = m.period
where (c.account_key is null and m.balance_days_cny <> 0)
    or abs(m.adb_cny - c.adb_cny) > 0.0001
