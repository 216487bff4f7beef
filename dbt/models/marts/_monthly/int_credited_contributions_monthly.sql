{#
  Manager credit of marginal contribution 边际贡献 per account and month (credit shares:
  docs/crm.md, spec section 5 "Credit"), part by part, each by the share the rule names:
    credited_nii            nii × the manager's 积数 share of the month (credited
                            balance-days / balance-days, int_credited_balances_monthly);
                            an account without balance-days by its time share
    credited_fee_income     fee transactions × the share held on the transaction's day
                            (int_credited_fees_monthly)
    credited_operating_cost operating cost × the time share (share_days / days)
    credited_risk_cost      risk cost (change of provision) × the share held at month end
                            (the assess shares valid on the month's as_of_date, fct_credit_share)
    credited_contribution   credited_nii + credited_fee_income − credited_operating_cost
                            − credited_risk_cost
  The rest stays with the organisation: a row with an empty manager_id holding each part's
  remainder, so per account and month the rows add up to the account's contribution and to
  each of its parts exactly (tested: assert_kpi_credited_contributions_add_up). An account
  with contribution but no credit row in the month goes to the pool whole.
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

-- the months int_account_contributions_monthly recomputes in this run
with periods as (
    {{ kpi_periods(['fee_reversals']) }}
),

contributions as (
    select
        account_key, period, period_start, balance_days_cny,
        nii, fee_income, operating_cost, risk_cost, contribution
    from {{ ref('int_account_contributions_monthly') }}
    where period in (select period from periods)
),

shares as (
    select account_key, manager_id, period, share_days, days, credited_balance_days_cny
    from {{ ref('int_credited_balances_monthly') }}
    where manager_id is not null and period in (select period from periods)
),

fees as (
    select account_key, manager_id, period, credited_fee_income_cny
    from {{ ref('int_credited_fees_monthly') }}
    where manager_id is not null and period in (select period from periods)
),

-- the share each manager holds on the month's as_of_date (already scaled to at most 100)
month_end_shares as (
    select s.account_key, s.manager_id, p.period, sum(s.share_pct) / 100 as share
    from {{ ref('fct_credit_share') }} as s
    inner join periods as p
        on s.valid_from <= p.as_of_date and s.valid_to > p.as_of_date
    group by s.account_key, s.manager_id, p.period
),

parts as (
    select
        c.account_key,
        s.manager_id,
        c.period,
        c.period_start,
        s.share_days / s.days as time_share,
        -- the shares as ratios (doubles): a decimal product of two 38-digit decimals overflows
        cast(c.nii * case when c.balance_days_cny <> 0
            then cast(s.credited_balance_days_cny / c.balance_days_cny as double)
            else cast(s.share_days / s.days as double) end as {{ kpi_number_type() }}) as credited_nii,
        cast(coalesce(f.credited_fee_income_cny, 0) as {{ kpi_number_type() }}) as credited_fee_income,
        cast(c.operating_cost * cast(s.share_days / s.days as double) as {{ kpi_number_type() }})
            as credited_operating_cost,
        cast(c.risk_cost * cast(coalesce(e.share, 0) as double) as {{ kpi_number_type() }})
            as credited_risk_cost
    from contributions as c
    inner join shares as s
        on s.account_key = c.account_key and s.period = c.period
    left join fees as f
        on f.account_key = c.account_key and f.manager_id = s.manager_id and f.period = c.period
    left join month_end_shares as e
        on e.account_key = c.account_key and e.manager_id = s.manager_id and e.period = c.period
),

managers as (
    select
        account_key, manager_id, period, period_start, time_share,
        credited_nii, credited_fee_income, credited_operating_cost, credited_risk_cost,
        cast(credited_nii + credited_fee_income - credited_operating_cost - credited_risk_cost
            as {{ kpi_number_type() }}) as credited_contribution
    from parts
),

manager_totals as (
    select
        account_key, period,
        sum(time_share) as time_share,
        sum(credited_nii) as credited_nii,
        sum(credited_fee_income) as credited_fee_income,
        sum(credited_operating_cost) as credited_operating_cost,
        sum(credited_risk_cost) as credited_risk_cost,
        sum(credited_contribution) as credited_contribution
    from managers
    group by account_key, period
),

pool as (
    select
        c.account_key,
        cast(null as {{ dbt.type_string() }}) as manager_id,
        c.period,
        c.period_start,
        1 - coalesce(t.time_share, 0) as time_share,
        cast(c.nii - coalesce(t.credited_nii, 0) as {{ kpi_number_type() }}) as credited_nii,
        cast(c.fee_income - coalesce(t.credited_fee_income, 0) as {{ kpi_number_type() }})
            as credited_fee_income,
        cast(c.operating_cost - coalesce(t.credited_operating_cost, 0) as {{ kpi_number_type() }})
            as credited_operating_cost,
        cast(c.risk_cost - coalesce(t.credited_risk_cost, 0) as {{ kpi_number_type() }})
            as credited_risk_cost,
        cast(c.contribution - coalesce(t.credited_contribution, 0) as {{ kpi_number_type() }})
            as credited_contribution
    from contributions as c
    left join manager_totals as t
        on t.account_key = c.account_key and t.period = c.period
)

select
    account_key, manager_id, period, period_start, time_share, credited_contribution,
    credited_nii, credited_fee_income, credited_operating_cost, credited_risk_cost
from managers
union all
select
    account_key, manager_id, period, period_start, time_share, credited_contribution,
    credited_nii, credited_fee_income, credited_operating_cost, credited_risk_cost
from pool
