{#
  Each account's contribution 贡献度 per month (docs/contribution.md), the base of the customer
  mart and of the managers' credited contribution (KPI mart):
    nii            deposits Σ balance × (ftp − rate) / 100 / 360 over the days; loans and
                   cards (rate − ftp): ADB × spread × days / 360, cut wherever the balance,
                   the rate, the FTP curve point or the FTP rate changes; products without
                   ftp_key (wealth, agency: sold or held as agent) earn none
    fee_income     fee transactions of the month (by biz_date); a reversed fee and its
                   reversal both drop out
    operating_cost account unit cost × days_open / days_in_month + channel unit cost × every
                   posting of the month (reversals and reversed originals too: each was
                   processed, and a later reversal does not change a closed month's cost)
    risk_cost      loans: Σ balance × annual risk rate of the day's five-level class / 100 / 360
    contribution   nii + fee_income − operating_cost − risk_cost
  One row per account and month in which it was open, had a non-zero balance or a
  transaction. Money in CNY (the balance's CNY value of each day) as decimal(38, 10): sums
  are exact, so results do not depend on the order rows are added in (a run split at any
  date equals one run to the last digit).

  Incremental: replaces the months the run's window touches and the months of fees a
  window reversal cancels (macro contribution_periods; unique_key period_start replaces
  such a month whole).
#}
{{ config(
    materialized='incremental',
    incremental_strategy='replace_window',
    window_column='period_start',
    window_grain='month',
    unique_key='period_start',
    on_schema_change='fail',
    tags=['monthly'],
) }}

with periods as (
    {{ contribution_periods(['fee_reversals']) }}
),

accounts as (
    select
        account_key,
        party_id,
        product_code,
        category,
        is_aum,
        is_loan,
        -- an account delivered without an opening date counts as open
        coalesce(open_date, cast('1900-01-01' as date)) as open_date,
        coalesce(close_date, {{ open_end() }}) as close_date
    from {{ ref('dim_account') }}
),

-- days of the month's covered days the account was open: [open_date, close_date)
open_days as (
    select
        a.account_key,
        p.period,
        {{ intersection_days(['a.open_date', 'p.covered_from'], ['a.close_date', 'p.covered_to']) }}
            as days_open
    from accounts as a
    inner join periods as p
        on a.open_date < p.covered_to and a.close_date > p.covered_from
),

-- balance stretches cut to the month's covered days
stretches as (
    select
        b.account_key,
        p.period,
        -- exact decimal arithmetic up to one final division per account and month
        cast(b.balance_cny as decimal(38, 8)) as balance_cny,
        greatest(b.valid_from, p.covered_from) as stretch_from,
        least(b.valid_to, p.covered_to) as stretch_to
    from {{ ref('fct_balance') }} as b
    inner join periods as p
        on b.valid_from < p.covered_to and b.valid_to > p.covered_from
),

balances as (
    select
        account_key,
        period,
        sum(balance_cny * {{ dbt.datediff('stretch_from', 'stretch_to', 'day') }}) as balance_days_cny
    from stretches
    group by account_key, period
),

-- the stretches cut again where the account's rate, class or curve point change
rated as (
    select
        s.account_key,
        s.period,
        s.balance_cny,
        h.category,
        h.is_loan,
        h.rate,
        h.five_class,
        h.ftp_key,
        greatest(s.stretch_from, h.valid_from) as piece_from,
        least(s.stretch_to, h.valid_to) as piece_to
    from stretches as s
    inner join {{ ref('dim_account_history') }} as h
        on h.account_key = s.account_key
        and h.valid_from < s.stretch_to and h.valid_to > s.stretch_from
),

-- and where the FTP rate of the curve point changes
interest as (
    select
        r.account_key,
        r.period,
        -- Σ balance × spread (percent) × days, then / 100 / 360 once
        sum(
            r.balance_cny
            * case when r.category = 'deposit' then f.ftp_rate_pct - r.rate
                else r.rate - f.ftp_rate_pct end
            * {{ intersection_days(['r.piece_from', 'f.valid_from'], ['r.piece_to', 'f.valid_to']) }}
        ) / 36000 as nii
    from rated as r
    inner join {{ ref('ftp_rates') }} as f
        on f.ftp_key = r.ftp_key
        and f.valid_from < r.piece_to and f.valid_to > r.piece_from
    group by r.account_key, r.period
),

risk as (
    select
        r.account_key,
        r.period,
        sum(
            r.balance_cny * k.annual_risk_rate_pct
            * {{ dbt.datediff('r.piece_from', 'r.piece_to', 'day') }}
        ) / 36000 as risk_cost
    from rated as r
    inner join {{ ref('risk_rates') }} as k on k.five_class = r.five_class
    where r.is_loan
    group by r.account_key, r.period
),

transactions as (
    select
        t.account_key,
        p.period,
        count(*) as txn_count,
        sum(coalesce(c.cost_per_txn_cny, 0)) as txn_cost,
        sum(case when t.is_fee and not t.is_reversed and not t.is_reversal
            then t.amount_cny else 0 end) as fee_income
    from {{ ref('fct_transaction') }} as t
    inner join periods as p
        on t.biz_date >= p.covered_from and t.biz_date < p.covered_to
    left join {{ ref('txn_unit_costs') }} as c on c.channel = t.channel
    group by t.account_key, p.period
),

account_months as (
    select account_key, period from open_days
    union
    select account_key, period from balances where balance_days_cny <> 0
    union
    select account_key, period from transactions
),

measures as (
    select
        m.account_key,
        a.party_id,
        a.product_code,
        a.category,
        a.is_aum,
        a.is_loan,
        p.period,
        p.period_start,
        p.days,
        p.days_in_month,
        coalesce(o.days_open, 0) as days_open,
        coalesce(b.balance_days_cny, 0) as balance_days_cny,
        cast(coalesce(b.balance_days_cny, 0) / p.days as {{ contribution_number_type() }}) as adb_cny,
        cast(coalesce(i.nii, 0) as {{ contribution_number_type() }}) as nii,
        cast(coalesce(t.fee_income, 0) as {{ contribution_number_type() }}) as fee_income,
        coalesce(t.txn_count, 0) as txn_count,
        cast(coalesce(u.monthly_cost_cny, 0) * coalesce(o.days_open, 0) / p.days_in_month
            as {{ contribution_number_type() }}) as account_cost,
        cast(coalesce(t.txn_cost, 0) as {{ contribution_number_type() }}) as txn_cost,
        cast(coalesce(r.risk_cost, 0) as {{ contribution_number_type() }}) as risk_cost
    from account_months as m
    inner join periods as p on p.period = m.period
    left join accounts as a on a.account_key = m.account_key
    left join open_days as o on o.account_key = m.account_key and o.period = m.period
    left join balances as b on b.account_key = m.account_key and b.period = m.period
    left join interest as i on i.account_key = m.account_key and i.period = m.period
    left join risk as r on r.account_key = m.account_key and r.period = m.period
    left join transactions as t on t.account_key = m.account_key and t.period = m.period
    left join {{ ref('account_unit_costs') }} as u on u.product_code = a.product_code
)

select
    account_key,
    party_id,
    product_code,
    category,
    is_aum,
    is_loan,
    period,
    period_start,
    days,
    days_in_month,
    days_open,
    balance_days_cny,
    adb_cny,
    nii,
    fee_income,
    txn_count,
    account_cost,
    txn_cost,
    account_cost + txn_cost as operating_cost,
    risk_cost,
    nii + fee_income - (account_cost + txn_cost) - risk_cost as contribution
from measures
