{#
  Manager credit of balances per account and month (credit shares: docs/crm.md): a manager is
  credited share_pct of the account's balance on each day, by the assess assignment
  valid on that day (fct_credit_share, already scaled to at most 100). What no manager
  holds stays with the account's organisation: a row with an empty manager_id (the
  organisation pool). Per account and month, the rows add up to the account's total:
  Σ credited_balance_days_cny = int_account_months.balance_days_cny (tested).

  share_days = Σ over the month's covered days of share_pct / 100: divided by the days
  it is the manager's time-weighted share, used to credit what accrues per account and
  month (transactions counted monthly, contribution).
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

shares as (
    select
        s.account_key,
        s.manager_id,
        -- exact decimals throughout (sums of doubles depend on row order: a split run
        -- would differ from one run in the last digits)
        cast(s.share_pct / 100 as decimal(38, 8)) as share,
        p.period,
        p.period_start,
        p.days,
        p.as_of_date,
        greatest(s.valid_from, p.covered_from) as covered_from,
        least(s.valid_to, p.covered_to) as covered_to
    from {{ ref('fct_credit_share') }} as s
    inner join periods as p
        on s.valid_from < p.covered_to and s.valid_to > p.covered_from
),

share_days as (
    select
        account_key, manager_id, period, period_start, days,
        sum(share * {{ dbt.datediff('covered_from', 'covered_to', 'day') }}) as share_days
    from shares
    group by account_key, manager_id, period, period_start, days
),

credited as (
    select
        s.account_key,
        s.manager_id,
        s.period,
        sum(cast(b.balance_cny as decimal(38, 8)) * s.share
            * {{ overlap_days('b.valid_from', 'b.valid_to', 's.covered_from', 's.covered_to') }})
            as credited_balance_days_cny,
        coalesce(sum(case when b.valid_from <= s.as_of_date and b.valid_to > s.as_of_date
            and s.covered_from <= s.as_of_date and s.covered_to > s.as_of_date
            then cast(b.balance_cny as decimal(38, 8)) * s.share end), 0) as credited_eom_balance_cny
    from shares as s
    inner join {{ ref('fct_balance') }} as b
        on b.account_key = s.account_key
        and b.valid_from < s.covered_to and b.valid_to > s.covered_from
    group by s.account_key, s.manager_id, s.period
),

managers as (
    select
        d.account_key,
        d.manager_id,
        d.period,
        d.period_start,
        d.days,
        d.share_days,
        coalesce(c.credited_balance_days_cny, 0) as credited_balance_days_cny,
        coalesce(c.credited_eom_balance_cny, 0) as credited_eom_balance_cny
    from share_days as d
    left join credited as c
        on c.account_key = d.account_key and c.manager_id = d.manager_id and c.period = d.period
),

manager_totals as (
    select
        account_key, period,
        sum(share_days) as share_days,
        sum(credited_balance_days_cny) as credited_balance_days_cny,
        sum(credited_eom_balance_cny) as credited_eom_balance_cny
    from managers
    group by account_key, period
),

-- the organisation pool: what the managers do not hold (every account with a balance
-- in the month has one, zero where managers hold it all)
pool as (
    select
        a.account_key,
        cast(null as {{ dbt.type_string() }}) as manager_id,
        a.period,
        a.period_start,
        a.days,
        a.days - coalesce(t.share_days, 0) as share_days,
        a.balance_days_cny - coalesce(t.credited_balance_days_cny, 0) as credited_balance_days_cny,
        a.eom_balance_cny - coalesce(t.credited_eom_balance_cny, 0) as credited_eom_balance_cny
    from {{ ref('int_account_months') }} as a
    left join manager_totals as t
        on t.account_key = a.account_key and t.period = a.period
    where {{ in_month_window('a.period_start') }}
)

select
    account_key, manager_id, period, period_start, days, share_days,
    credited_balance_days_cny,
    {{ money_divide('credited_balance_days_cny', 'days') }} as credited_adb_cny,
    credited_eom_balance_cny
from managers
union all
select
    account_key, manager_id, period, period_start, days, share_days,
    credited_balance_days_cny,
    {{ money_divide('credited_balance_days_cny', 'days') }} as credited_adb_cny,
    credited_eom_balance_cny
from pool
