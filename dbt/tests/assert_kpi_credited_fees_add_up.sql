-- Fee income credited to managers plus the organisation pool equals each account's fee
-- transactions (is_fee, not reversed) per month, exactly: the parts are decimals and the
-- pool holds the remainder.
-- Checks the months of the run's window on both sides (a full build checks every month).
with periods as (
    select period, covered_from, covered_to
    from {{ ref('int_periods') }}
    where period_start >= {{ month_window_start() }}
),

fees as (
    select
        t.account_key,
        p.period,
        sum(t.amount_cny) as fee_income_cny
    from {{ ref('fct_transaction') }} as t
    inner join periods as p
        on t.biz_date >= p.covered_from and t.biz_date < p.covered_to
    where t.biz_date >= {{ month_window_start() }}
        and t.is_fee and not coalesce(t.is_reversed, false)
    group by t.account_key, p.period
),

credited as (
    select account_key, period, sum(credited_fee_income_cny) as credited
    from {{ ref('int_credited_fees_monthly') }}
    where period_start >= {{ month_window_start() }}
    group by account_key, period
)

select
    coalesce(f.account_key, c.account_key) as account_key,
    coalesce(f.period, c.period) as period,
    f.fee_income_cny,
    c.credited
from fees as f
full outer join credited as c
    on c.account_key = f.account_key and c.period = f.period
where f.fee_income_cny is null
    or c.credited is null
    or c.credited <> f.fee_income_cny
