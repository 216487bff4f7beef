{{ config(meta={"dagster": {"ref": {"name": "mart_customer_contribution"}}}) }}
-- mart_customer_contribution adds up, per period, to its inputs: the account rows with a
-- party (int_account_contributions_monthly) plus the attributed CRM fee supplements
-- (int_fee_supplements, status matched). Nothing is lost or counted twice between them.
-- Exactly: every side is a decimal sum of the same decimal rows (no tolerance).
-- Checks the months of the run's window on every side (a full build checks every month).
with accounts as (
    select
        period,
        sum(nii) as nii,
        sum(fee_income) as fee_income,
        sum(operating_cost) as operating_cost,
        sum(risk_cost) as risk_cost,
        sum(contribution) as contribution
    from {{ ref('int_account_contributions_monthly') }}
    where party_id is not null and period_start >= {{ month_window_start() }}
    group by period
),

supplements as (
    select period, sum(amount_cny) as amount
    from {{ ref('int_fee_supplements') }}
    where attribution_status = 'matched' and period_start >= {{ month_window_start() }}
    group by period
),

expected as (
    select
        coalesce(a.period, s.period) as period,
        coalesce(a.nii, 0) as nii,
        coalesce(a.fee_income, 0) + coalesce(s.amount, 0) as fee_income,
        coalesce(a.operating_cost, 0) as operating_cost,
        coalesce(a.risk_cost, 0) as risk_cost,
        coalesce(a.contribution, 0) + coalesce(s.amount, 0) as contribution
    from accounts as a
    full outer join supplements as s on s.period = a.period
),

actual as (
    select
        period,
        sum(nii) as nii,
        sum(fee_income) as fee_income,
        sum(operating_cost) as operating_cost,
        sum(risk_cost) as risk_cost,
        sum(contribution) as contribution
    from {{ ref('mart_customer_contribution') }}
    where period_start >= {{ month_window_start() }}
    group by period
)

select e.period, e.contribution as expected_contribution, a.contribution as mart_contribution
from expected as e
full outer join actual as a on a.period = e.period
where e.period is null or a.period is null
    or e.nii <> a.nii
    or e.fee_income <> a.fee_income
    or e.operating_cost <> a.operating_cost
    or e.risk_cost <> a.risk_cost
    or e.contribution <> a.contribution
