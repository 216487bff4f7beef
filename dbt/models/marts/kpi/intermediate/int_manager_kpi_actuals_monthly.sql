{#
  Each manager's KPI actuals per month (docs/kpi.md), one row per manager, month and
  indicator, as numerator and denominator so that teams can add them up and recompute
  ratios (a ratio indicator's actual is numerator / denominator; an amount or a count
  has no denominator). Only assess credit counts, and only managers: what nobody is
  credited with stays with the organisation and is not here.
  - aum_adb, loan_adb: Σ credited average daily balance of the is_aum / is_loan accounts.
  - npl_ratio: credited balance on the month's as_of_date of the loans whose five-level
    class that day is at least npl_min_five_class (kpi_parameters) / credited balance of
    all loans that day.
  - fee_income: fee transactions credited with the share valid on their day
    (int_credited_fees_monthly) + the CRM fee supplements of the parties whose main
    manager the manager is (party-level income, credited whole to that manager).
  - contribution: account contribution × time-weighted share
    (int_credited_contributions_monthly) + those fee supplements.
  - vip_count, new_customers: parties whose main manager the manager is, that are VIPs
    (tier in force gold or above) / whose first account opened in the month.
  - cross_sell: Σ distinct product categories of the parties mainly managed / their number.
  - contact_compliance: VIP contacts made on time / contacts that fell due
    (int_kpi_contact_dues), for the parties mainly managed.
  - customer_contribution (not scored; the team roll-up's 部门考核 indicator): Σ total
    contribution (mart_customer_contribution) of the parties mainly managed.
#}
{{ config(
    materialized='incremental',
    incremental_strategy='replace_window',
    window_column='period_start',
    window_grain='month',
    window_open_end=true,
    unique_key='period_start',
    on_schema_change='fail',
    tags=['monthly'],
) }}

with periods as (
    {{ kpi_periods(open_end=true) }}
),

params as (
    select cast(value as integer) as npl_min_five_class
    from {{ ref('kpi_parameters') }}
    where parameter = 'npl_min_five_class'
),

-- amounts are cast to decimal before they are summed: decimal sums are exact, so the
-- result does not depend on the order rows come in (double sums would, in the last bits)
balances as (
    select
        c.manager_id,
        c.period,
        c.period_start,
        sum(case when a.is_aum then cast(c.credited_adb_cny as {{ kpi_number_type() }}) else 0 end) as aum_adb,
        sum(case when a.is_loan then cast(c.credited_adb_cny as {{ kpi_number_type() }}) else 0 end) as loan_adb,
        sum(case when a.is_loan then cast(c.credited_eom_balance_cny as {{ kpi_number_type() }}) else 0 end)
            as eom_loan,
        sum(case when a.is_loan and cast(h.five_class as integer) >= params.npl_min_five_class
            then cast(c.credited_eom_balance_cny as {{ kpi_number_type() }}) else 0 end) as eom_npl
    from {{ ref('int_credited_balances_monthly') }} as c
    inner join periods as p on p.period = c.period
    inner join {{ ref('dim_account') }} as a on a.account_key = c.account_key
    -- the loan's classification on the month's as_of_date
    left join {{ ref('dim_account_history') }} as h
        on h.account_key = c.account_key
        and h.valid_from <= p.as_of_date and h.valid_to > p.as_of_date
    cross join params
    where c.manager_id is not null
    group by c.manager_id, c.period, c.period_start
),

fees as (
    select manager_id, period, period_start, sum(credited_fee_income_cny) as fee_income
    from {{ ref('int_credited_fees_monthly') }}
    where manager_id is not null and period in (select period from periods)
    group by manager_id, period, period_start
),

contributions as (
    select manager_id, period, period_start, sum(credited_contribution) as contribution
    from {{ ref('int_credited_contributions_monthly') }}
    where manager_id is not null and period in (select period from periods)
    group by manager_id, period, period_start
),

parties as (
    select
        main_manager_id as manager_id,
        period,
        period_start,
        sum(case when is_vip then 1 else 0 end) as vip_count,
        sum(case when is_new_customer then 1 else 0 end) as new_customers,
        sum(category_count) as categories,
        count(*) as managed_parties,
        sum(fee_income_supplement) as fee_income_supplement,
        sum(customer_contribution) as customer_contribution
    from {{ ref('int_kpi_party_months') }}
    where main_manager_id is not null and period in (select period from periods)
    group by main_manager_id, period, period_start
),

contacts as (
    select
        manager_id,
        period,
        period_start,
        sum(case when is_on_time then 1 else 0 end) as on_time,
        count(*) as due
    from {{ ref('int_kpi_contact_dues') }}
    where manager_id is not null and period in (select period from periods)
    group by manager_id, period, period_start
),

managers as (
    select manager_id, period, period_start from balances
    union
    select manager_id, period, period_start from fees
    union
    select manager_id, period, period_start from contributions
    union
    select manager_id, period, period_start from parties
    union
    select manager_id, period, period_start from contacts
),

measures as (
    select
        m.manager_id,
        m.period,
        m.period_start,
        coalesce(b.aum_adb, 0) as aum_adb,
        coalesce(b.loan_adb, 0) as loan_adb,
        coalesce(b.eom_loan, 0) as eom_loan,
        coalesce(b.eom_npl, 0) as eom_npl,
        coalesce(f.fee_income, 0) as fee_income,
        coalesce(c.contribution, 0) as contribution,
        coalesce(p.vip_count, 0) as vip_count,
        coalesce(p.new_customers, 0) as new_customers,
        coalesce(p.categories, 0) as categories,
        coalesce(p.managed_parties, 0) as managed_parties,
        coalesce(p.fee_income_supplement, 0) as fee_income_supplement,
        coalesce(p.customer_contribution, 0) as customer_contribution,
        coalesce(k.on_time, 0) as contacts_on_time,
        coalesce(k.due, 0) as contacts_due
    from managers as m
    left join balances as b on b.manager_id = m.manager_id and b.period = m.period
    left join fees as f on f.manager_id = m.manager_id and f.period = m.period
    left join contributions as c on c.manager_id = m.manager_id and c.period = m.period
    left join parties as p on p.manager_id = m.manager_id and p.period = m.period
    left join contacts as k on k.manager_id = m.manager_id and k.period = m.period
)

{%- set rows = [
    ('aum_adb', 'aum_adb', none),
    ('vip_count', 'vip_count', none),
    ('new_customers', 'new_customers', none),
    ('loan_adb', 'loan_adb', none),
    ('fee_income', 'fee_income + fee_income_supplement', none),
    ('cross_sell', 'categories', 'managed_parties'),
    ('contribution', 'contribution + fee_income_supplement', none),
    ('npl_ratio', 'eom_npl', 'eom_loan'),
    ('contact_compliance', 'contacts_on_time', 'contacts_due'),
    ('customer_contribution', 'customer_contribution', none),
] %}

{% for indicator, numerator, denominator in rows %}
select
    manager_id,
    period,
    period_start,
    '{{ indicator }}' as indicator,
    cast({{ numerator }} as {{ kpi_number_type() }}) as numerator,
    cast({{ denominator or 'null' }} as {{ kpi_number_type() }}) as denominator
from measures
{% if not loop.last %}union all{% endif %}
{%- endfor %}
