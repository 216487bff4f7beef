{#
  Each account's marginal contribution 边际贡献 per month (docs/contribution.md; no overhead
  allocation, no capital charge), the base of the customer mart and of the managers'
  credited contribution (KPI mart):
    nii            deposits Σ balance × (ftp − rate) / 100 / 360 over the days; loans and
                   cards Σ interest-bearing balance × rate − Σ balance × ftp, the same way:
                   cut wherever the balance, the rate, the class, the FTP curve point or the
                   FTP rate changes; products without ftp_key (wealth, agency: sold or held
                   as agent) earn none.
                   FTP: matched maturity (products.is_matched_ftp: time deposits, loans) at
                   the rate of the ftp_key on the account's open date, for its whole life;
                   the others at each day's curve.
                   Interest-bearing: a loan in a class that does not accrue (risk_rates.
                   accrues_interest, defaults 3–5: non-accrual 非应计) earns nothing from its
                   first day in the class; a card earns on its whole balance on its
                   revolving days (int_card_statements) and, on the other days, on each cash
                   advance from the day drawn up to and including the due date of the first
                   statement on or after that day.
    fee_income     fee transactions of the month (by biz_date); a reversed fee and its
                   reversal both drop out
    operating_cost account unit cost × days_open / days_in_month + channel unit cost × every
                   posting of the month (reversals and reversed originals too: each was
                   processed, and a later reversal does not change a closed month's cost)
    risk_cost      拨备成本, the change of the required provision over the month: provision
                   on the as_of_date − provision at the end of the month before (the first
                   loaded month: at the end of the first loaded date, the opening stock,
                   charged to no month); provision = CNY balance (≥ 0) × rate / 100, loans by
                   the five-level class of that day (seed risk_rates), cards by product
                   (seed card_provision_rates), 0 once closed. Repaid, closed or upgraded:
                   negative (a release).
    contribution   nii + fee_income − operating_cost − risk_cost
  One row per account and month in which it was open, had a non-zero balance, a
  transaction or a provision at either end. Money in CNY (the balance's CNY value of each
  day) as decimal(38, 10): sums are exact, so results do not depend on the order rows are
  added in (a run split at any date equals one run to the last digit).

  Incremental: replaces the months the run's window touches and the months of fees a
  window reversal cancels (macro contribution_periods; unique_key period_start replaces
  such a month whole). The provision at the end of the month before a window month is
  read from fct_balance and dim_account_history directly, so an open month never needs a
  closed one recomputed.
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

-- the first loaded date: its end-of-day provision is the opening stock
first_loaded as (
    select min(covered_from) as first_date from {{ ref('int_periods') }}
),

parameters as (
    select max(case when parameter = 'card_cash_advance_txn_code' then value end) as cash_advance_code
    from {{ ref('contribution_parameters') }}
),

accounts as (
    select
        a.account_key,
        a.party_id,
        a.product_code,
        a.category,
        a.is_aum,
        a.is_loan,
        coalesce(p.is_matched_ftp, false) as is_matched_ftp,
        -- an account delivered without an opening date counts as open
        coalesce(a.open_date, cast('1900-01-01' as date)) as open_date,
        coalesce(a.close_date, {{ open_end() }}) as close_date
    from {{ ref('dim_account') }} as a
    left join {{ ref('products') }} as p on p.product_code = a.product_code
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
        h.ftp_key,
        coalesce(a.is_matched_ftp, false) as is_matched_ftp,
        coalesce(a.open_date, cast('1900-01-01' as date)) as open_date,
        -- non-accrual 非应计: a loan in a class whose seed row says it does not accrue
        not (coalesce(h.is_loan, false) and not coalesce(k.accrues_interest, true)) as accrues,
        greatest(s.stretch_from, h.valid_from) as piece_from,
        least(s.stretch_to, h.valid_to) as piece_to
    from stretches as s
    inner join {{ ref('dim_account_history') }} as h
        on h.account_key = s.account_key
        and h.valid_from < s.stretch_to and h.valid_to > s.stretch_from
    left join accounts as a on a.account_key = s.account_key
    left join {{ ref('risk_rates') }} as k on k.five_class = h.five_class
    where h.ftp_key is not null
),

-- FTP cost (deposits: income) of the whole balance, Σ balance × ftp (percent) × days:
-- matched maturity at the rate of the open date, the others cut where the curve changes
ftp_pieces as (
    select
        r.account_key,
        r.period,
        r.balance_cny * f.ftp_rate_pct
        * {{ dbt.datediff('r.piece_from', 'r.piece_to', 'day') }} as ftp_amount
    from rated as r
    inner join {{ ref('ftp_rates') }} as f
        on f.ftp_key = r.ftp_key
        and f.valid_from <= r.open_date and f.valid_to > r.open_date
    where r.is_matched_ftp
    union all
    select
        r.account_key,
        r.period,
        r.balance_cny * f.ftp_rate_pct
        * {{ intersection_days(['r.piece_from', 'f.valid_from'], ['r.piece_to', 'f.valid_to']) }}
            as ftp_amount
    from rated as r
    inner join {{ ref('ftp_rates') }} as f
        on f.ftp_key = r.ftp_key
        and f.valid_from < r.piece_to and f.valid_to > r.piece_from
    where not r.is_matched_ftp
),

ftp as (
    select account_key, period, sum(ftp_amount) as ftp_amount
    from ftp_pieces
    group by account_key, period
),

-- the customer rate's side, Σ interest-bearing balance × rate (percent) × days and the
-- interest-bearing 积数: deposits and accruing loans on the whole balance, cards on
-- their revolving days (the advances below on the others)
rate_pieces as (
    select
        account_key,
        period,
        balance_cny * {{ dbt.datediff('piece_from', 'piece_to', 'day') }} as bearing_days,
        balance_cny * rate * {{ dbt.datediff('piece_from', 'piece_to', 'day') }} as rate_amount
    from rated
    where category <> 'card' and accrues
    union all
    select
        r.account_key,
        r.period,
        greatest(r.balance_cny, 0)
        * {{ intersection_days(['r.piece_from', 's.revolving_from'], ['r.piece_to', 's.revolving_to']) }}
            as bearing_days,
        greatest(r.balance_cny, 0) * r.rate
        * {{ intersection_days(['r.piece_from', 's.revolving_from'], ['r.piece_to', 's.revolving_to']) }}
            as rate_amount
    from rated as r
    inner join {{ ref('int_card_statements') }} as s
        on s.account_key = r.account_key
        and s.revolving_from < r.piece_to and s.revolving_to > r.piece_from
    where r.category = 'card'
),

-- cash advances 取现: interest from the day drawn up to and including the due date of the
-- first statement on or after that day (open while that statement is not cut yet)
advances as (
    select
        t.txn_id,
        t.account_key,
        cast(t.amount_cny as decimal(38, 8)) as amount_cny,
        t.biz_date as accrue_from,
        coalesce(cast({{ dbt.dateadd('day', 1, 'min(s.due_date)') }} as date), {{ open_end() }}) as accrue_to
    from {{ ref('fct_transaction') }} as t
    cross join parameters
    inner join accounts as a on a.account_key = t.account_key
    left join {{ ref('int_card_statements') }} as s
        on s.account_key = t.account_key and s.statement_date >= t.biz_date
    where a.category = 'card'
        and t.txn_code = parameters.cash_advance_code
        and t.dr_cr = 'D'
        and not coalesce(t.is_reversal, false)
        and not coalesce(t.is_reversed, false)
        and t.biz_date >= cast({{ dbt.dateadd('month', -3, month_window_start()) }} as date)
    group by t.txn_id, t.account_key, t.amount_cny, t.biz_date
),

-- each advance's days in the month, cut where the card's rate changes
advance_pieces as (
    select
        v.txn_id,
        v.account_key,
        p.period,
        v.amount_cny,
        h.rate,
        greatest(v.accrue_from, p.covered_from, h.valid_from) as piece_from,
        least(v.accrue_to, p.covered_to, h.valid_to) as piece_to
    from advances as v
    inner join periods as p
        on v.accrue_from < p.covered_to and v.accrue_to > p.covered_from
    inner join {{ ref('dim_account_history') }} as h
        on h.account_key = v.account_key
        and h.valid_from < least(v.accrue_to, p.covered_to)
        and h.valid_to > greatest(v.accrue_from, p.covered_from)
    where h.ftp_key is not null
),

-- an advance's days that are revolving days already earn on the whole balance: taken out
advance_amounts as (
    select
        account_key,
        period,
        amount_cny * {{ dbt.datediff('piece_from', 'piece_to', 'day') }} as bearing_days,
        amount_cny * rate * {{ dbt.datediff('piece_from', 'piece_to', 'day') }} as rate_amount
    from advance_pieces
    union all
    select
        v.account_key,
        v.period,
        - v.amount_cny
        * {{ intersection_days(['v.piece_from', 's.revolving_from'], ['v.piece_to', 's.revolving_to']) }}
            as bearing_days,
        - v.amount_cny * v.rate
        * {{ intersection_days(['v.piece_from', 's.revolving_from'], ['v.piece_to', 's.revolving_to']) }}
            as rate_amount
    from advance_pieces as v
    inner join {{ ref('int_card_statements') }} as s
        on s.account_key = v.account_key
        and s.revolving_from < v.piece_to and s.revolving_to > v.piece_from
),

customer_rate as (
    select account_key, period, sum(bearing_days) as bearing_days, sum(rate_amount) as rate_amount
    from (
        select account_key, period, bearing_days, rate_amount from rate_pieces
        union all
        select account_key, period, bearing_days, rate_amount from advance_amounts
    ) as pieces
    group by account_key, period
),

interest as (
    select
        coalesce(f.account_key, c.account_key) as account_key,
        coalesce(f.period, c.period) as period,
        coalesce(c.bearing_days, 0) as bearing_days,
        coalesce(f.ftp_amount, 0) as ftp_amount,
        coalesce(c.rate_amount, 0) as rate_amount
    from ftp as f
    full outer join customer_rate as c
        on c.account_key = f.account_key and c.period = f.period
),

-- required provision at both ends of the month: the end of the month before (the first
-- loaded date's end in the first month: the opening stock) and the as_of_date
provision_points as (
    select
        p.period,
        'start' as side,
        case when p.period_start <= l.first_date then l.first_date
            else cast({{ dbt.dateadd('day', -1, 'p.period_start') }} as date) end as on_date
    from periods as p
    cross join first_loaded as l
    union all
    select period, 'end' as side, as_of_date as on_date
    from periods
),

provisions as (
    select
        a.account_key,
        d.period,
        d.side,
        case when a.close_date <= d.on_date then 0
            else greatest(cast(b.balance_cny as decimal(38, 8)), 0)
                * coalesce(case when a.is_loan then k.provision_rate_pct else c.provision_rate_pct end, 0)
                * 0.01
        end as provision_cny
    from provision_points as d
    cross join accounts as a
    inner join {{ ref('fct_balance') }} as b
        on b.account_key = a.account_key
        and b.valid_from <= d.on_date and b.valid_to > d.on_date
    left join {{ ref('dim_account_history') }} as h
        on h.account_key = a.account_key
        and h.valid_from <= d.on_date and h.valid_to > d.on_date
    left join {{ ref('risk_rates') }} as k on a.is_loan and k.five_class = h.five_class
    left join {{ ref('card_provision_rates') }} as c
        on a.category = 'card' and c.product_code = a.product_code
    where a.is_loan or a.category = 'card'
),

risk as (
    select
        account_key,
        period,
        sum(case when side = 'start' then provision_cny else 0 end) as provision_start_cny,
        sum(case when side = 'end' then provision_cny else 0 end) as provision_end_cny
    from provisions
    group by account_key, period
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
    union
    select account_key, period from risk where provision_start_cny <> 0 or provision_end_cny <> 0
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
        {{ money_divide('coalesce(b.balance_days_cny, 0)', 'p.days') }} as adb_cny,
        {{ money_divide('coalesce(i.bearing_days, 0)', 'p.days') }} as interest_bearing_adb_cny,
        -- Σ balance × spread (percent) × days, then / 100 / 360 once
        cast(case when a.category = 'deposit' then coalesce(i.ftp_amount - i.rate_amount, 0)
            else coalesce(i.rate_amount - i.ftp_amount, 0) end / 36000
            as {{ contribution_number_type() }}) as nii,
        cast(coalesce(t.fee_income, 0) as {{ contribution_number_type() }}) as fee_income,
        coalesce(t.txn_count, 0) as txn_count,
        cast(coalesce(u.monthly_cost_cny, 0) * coalesce(o.days_open, 0) / p.days_in_month
            as {{ contribution_number_type() }}) as account_cost,
        cast(coalesce(t.txn_cost, 0) as {{ contribution_number_type() }}) as txn_cost,
        cast(coalesce(r.provision_start_cny, 0) as {{ contribution_number_type() }}) as provision_start_cny,
        cast(coalesce(r.provision_end_cny, 0) as {{ contribution_number_type() }}) as provision_end_cny,
        cast(coalesce(r.provision_end_cny, 0) - coalesce(r.provision_start_cny, 0)
            as {{ contribution_number_type() }}) as risk_cost
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
    interest_bearing_adb_cny,
    nii,
    fee_income,
    txn_count,
    account_cost,
    txn_cost,
    account_cost + txn_cost as operating_cost,
    provision_start_cny,
    provision_end_cny,
    risk_cost,
    nii + fee_income - (account_cost + txn_cost) - risk_cost as contribution
from measures
