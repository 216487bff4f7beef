-- Manager credit plus the organisation pool equals each account's balance (what is
-- unassigned stays with the organisation), per account and month, exactly: 积数 and
-- balances are decimal sums, and the pool holds the remainder (no tolerance).
-- Checks the months of the run's window on both sides (a full build checks every month).
with account_months as (
    select account_key, period, balance_days_cny, eom_balance_cny
    from {{ ref('int_account_months') }}
    where period_start >= {{ month_window_start() }}
),

credited as (
    select account_key, period, sum(credited_balance_days_cny) as credited,
        sum(credited_eom_balance_cny) as credited_eom
    from {{ ref('int_credited_balances_monthly') }}
    where period_start >= {{ month_window_start() }}
    group by account_key, period
)

select a.account_key, a.period, a.balance_days_cny, c.credited
from account_months as a
left join credited as c on c.account_key = a.account_key and c.period = a.period
where c.credited is null
    or c.credited <> a.balance_days_cny
    or c.credited_eom <> a.eom_balance_cny
