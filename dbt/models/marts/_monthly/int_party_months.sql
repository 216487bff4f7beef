{#
  Each party's month (docs/accounts.md, docs/vip.md, docs/kpi.md): AUM (Σ average daily
  balance of its is_aum accounts, 0 before opening and after closing), deposits and
  loans, month-end balances (non-performing: five-level class at least
  npl_min_five_class of seed kpi_parameters, the KPI's threshold), the manager credited
  with the largest part of its AUM (its "main" manager), and its home organisation: the
  outlet holding the largest part of its AUM at month end, ties to the earliest-opened
  account. One row per party with an account row in the month; accounts whose customer
  has no party yet are left out (dim_account warns about them).
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

-- non-performing: five-level class at least npl_min_five_class (seed kpi_parameters, the
-- KPI's NPL ratio uses the same threshold)
parameters as (
    select cast(value as integer) as npl_min_five_class
    from {{ ref('kpi_parameters') }}
    where parameter = 'npl_min_five_class'
),

accounts as (
    select
        m.account_key,
        m.period,
        m.period_start,
        m.days,
        m.balance_days_cny,
        m.eom_balance_cny,
        a.party_id,
        a.category,
        a.is_aum,
        a.is_loan,
        a.open_date,
        h.org_id as eom_org_id,
        h.five_class as eom_five_class
    from {{ ref('int_account_months') }} as m
    inner join periods as p on p.period = m.period
    inner join {{ ref('dim_account') }} as a on a.account_key = m.account_key
    -- the account's organisation and classification on the month's as_of_date
    left join {{ ref('dim_account_history') }} as h
        on h.account_key = m.account_key
        and h.valid_from <= p.as_of_date and h.valid_to > p.as_of_date
    where a.party_id is not null
),

totals as (
    select
        party_id,
        period,
        period_start,
        -- 积数 summed exactly, divided once in decimal: the result does not depend on row order
        {{ money_divide("sum(case when is_aum then balance_days_cny else 0 end)", 'max(days)') }}
            as adb_aum,
        sum(case when is_aum then eom_balance_cny else 0 end) as eom_aum,
        {{ money_divide("sum(case when category = 'deposit' then balance_days_cny else 0 end)", 'max(days)') }}
            as adb_deposit,
        {{ money_divide("sum(case when is_loan then balance_days_cny else 0 end)", 'max(days)') }}
            as adb_loan,
        sum(case when is_loan then eom_balance_cny else 0 end) as eom_loan,
        sum(case when is_loan and cast(eom_five_class as integer) >= parameters.npl_min_five_class
            then eom_balance_cny else 0 end) as eom_npl,
        count(*) as account_count,
        count(distinct category) as category_count,
        min(open_date) as first_open_date
    from accounts
    cross join parameters
    group by party_id, period, period_start
),

-- home organisation: the outlet with the most AUM at month end, ties to the earliest-opened
-- account (a party without AUM at month end goes to its earliest-opened account's outlet)
org_aum as (
    select
        party_id,
        period,
        eom_org_id,
        sum(case when is_aum then eom_balance_cny else 0 end) as org_eom_aum,
        min(open_date) as org_first_open_date
    from accounts
    where eom_org_id is not null
    group by party_id, period, eom_org_id
),

home_org as (
    select party_id, period, eom_org_id as home_org_id
    from (
        select
            *,
            row_number() over (
                partition by party_id, period
                order by org_eom_aum desc, org_first_open_date, eom_org_id
            ) as pick
        from org_aum
    ) as ranked
    where pick = 1
),

-- main manager: the one credited with the most of the party's AUM over the month
manager_aum as (
    select
        a.party_id,
        c.period,
        c.manager_id,
        sum(c.credited_balance_days_cny) as credited_aum_days
    from {{ ref('int_credited_balances_monthly') }} as c
    inner join accounts as a on a.account_key = c.account_key and a.period = c.period
    where c.manager_id is not null and a.is_aum
    group by a.party_id, c.period, c.manager_id
),

main_manager as (
    select party_id, period, manager_id as main_manager_id
    from (
        select
            *,
            row_number() over (
                partition by party_id, period order by credited_aum_days desc, manager_id
            ) as pick
        from manager_aum
        where credited_aum_days > 0
    ) as ranked
    where pick = 1
)

select
    t.party_id,
    c.party_kind,
    t.period,
    t.period_start,
    t.adb_aum,
    t.eom_aum,
    t.adb_deposit,
    t.adb_loan,
    t.eom_loan,
    t.eom_npl,
    t.account_count,
    t.category_count,
    t.first_open_date,
    h.home_org_id,
    m.main_manager_id
from totals as t
inner join {{ ref('dim_customer') }} as c on c.party_id = t.party_id
left join home_org as h on h.party_id = t.party_id and h.period = t.period
left join main_manager as m on m.party_id = t.party_id and m.period = t.period
