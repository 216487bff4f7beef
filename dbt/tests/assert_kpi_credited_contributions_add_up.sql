-- Contribution credited to managers plus the organisation pool equals each account's
-- contribution per month, exactly: the parts are decimals and the pool holds the remainder.
-- Checks the months of the run's window on both sides (a full build checks every month).
with contributions as (
    select account_key, period, contribution
    from {{ ref('int_account_contributions_monthly') }}
    where period_start >= {{ month_window_start() }}
),

credited as (
    select account_key, period, sum(credited_contribution) as credited
    from {{ ref('int_credited_contributions_monthly') }}
    where period_start >= {{ month_window_start() }}
    group by account_key, period
)

select
    coalesce(a.account_key, c.account_key) as account_key,
    coalesce(a.period, c.period) as period,
    a.contribution,
    c.credited
from contributions as a
full outer join credited as c
    on c.account_key = a.account_key and c.period = a.period
where a.contribution is null
    or c.credited is null
    or c.credited <> a.contribution
