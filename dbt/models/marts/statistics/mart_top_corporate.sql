{#
  Top corporate customers 对公十大客户 (docs/statistics.md): for every organisation at every
  level, the top N corporate parties (seed top_corporate_parameters) by deposit ADB over
  the month (to date), loan balance and non-performing loan balance on the as_of_date.
  An account counts toward its organisation on the as_of_date and every ancestor of it
  (dim_org level_N_org_id), so a branch's list covers its outlets.

  Dates: each month's as_of_date (int_periods): the month end for finished months, the
  latest loaded date for the current one, which the month end replaces once the month is
  finished. Monthly incremental: a run replaces the months its window touches; cost
  follows accounts × months of the window.

  Ranking: rank() over the value, largest first: parties tied share a rank, and all
  parties tied at the last place are listed (a list may hold more than N rows). Parties
  with a value of 0 are not listed.
#}
{{ config(
    materialized='incremental',
    incremental_strategy='replace_window',
    window_column='period_start',
    window_grain='month',
    on_schema_change='fail',
    tags=['monthly'],
) }}

with parameters as (
    select
        cast(max(case when parameter = 'top_n' then value end) as integer) as top_n,
        cast(max(case when parameter = 'npl_min_five_class' then value end) as integer)
            as npl_min_five_class
    from {{ ref('top_corporate_parameters') }}
),

periods as (
    select period, period_start, as_of_date
    from {{ ref('int_periods') }}
    where {{ in_month_window('period_start') }}
),

-- corporate accounts as they stood on the month's as_of_date
accounts as (
    select
        p.period,
        p.period_start,
        p.as_of_date,
        m.account_key,
        m.days,
        m.balance_days_cny,
        m.eom_balance_cny,
        h.party_id,
        h.org_id,
        h.category,
        h.is_loan,
        h.five_class
    from {{ ref('int_account_months') }} as m
    inner join periods as p on p.period = m.period
    inner join {{ ref('dim_account_history') }} as h
        on h.account_key = m.account_key
        and h.valid_from <= p.as_of_date and h.valid_to > p.as_of_date
    inner join {{ ref('dim_customer') }} as c on c.party_id = h.party_id
    where c.party_kind = 'corporate'
),

-- exact decimal amounts, divided once summed, in decimal (sums of doubles depend on their order):
-- 积数 over the month's days for the ADB, balances as they are (divisor 1)
measures as (
    select period, period_start, as_of_date, party_id, org_id,
        'deposit_adb' as measure, balance_days_cny as amount, days as divisor
    from accounts
    where category = 'deposit'
    union all
    select period, period_start, as_of_date, party_id, org_id,
        'loan_balance' as measure, eom_balance_cny as amount, 1 as divisor
    from accounts
    where is_loan
    union all
    select a.period, a.period_start, a.as_of_date, a.party_id, a.org_id,
        'npl_balance' as measure, a.eom_balance_cny as amount, 1 as divisor
    from accounts as a
    cross join parameters
    where a.is_loan and cast(a.five_class as integer) >= parameters.npl_min_five_class
),

-- every organisation with its ancestors, itself included
org_ancestors as (
    {{ org_ancestors() }}
),

org_party_values as (
    select
        m.period,
        m.period_start,
        m.as_of_date,
        a.ancestor_org_id as org_id,
        m.measure,
        m.party_id,
        {{ money_divide('sum(m.amount)', 'm.divisor') }} as value
    from measures as m
    inner join org_ancestors as a on a.org_id = m.org_id
    group by m.period, m.period_start, m.as_of_date, a.ancestor_org_id, m.measure, m.party_id,
        m.divisor
),

ranked as (
    select
        v.*,
        rank() over (
            partition by v.period, v.org_id, v.measure order by v.value desc
        ) as value_rank
    from org_party_values as v
    where v.value > 0
)

select
    r.as_of_date,
    r.org_id,
    r.measure,
    cast(r.value_rank as integer) as rank,
    r.party_id,
    r.value,
    r.period,
    r.period_start,
    c.cust_name as party_name
from ranked as r
cross join parameters
inner join {{ ref('dim_customer') }} as c on c.party_id = r.party_id
where r.value_rank <= parameters.top_n
