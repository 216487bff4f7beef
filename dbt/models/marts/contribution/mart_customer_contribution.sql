{#
  Contribution 贡献度 per party and month (docs/contribution.md): the accounts' months
  (int_account_contributions_monthly) summed per party, plus the CRM fee supplements
  (int_fee_supplements), which belong to a party, not an account.

  Incremental by month; also recomputes, whole, the finished months whose inputs the run's
  data restates: fee supplements entered or corrected for them, fees reversed late
  (macro contribution_periods). Other finished months stay as they were computed.
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
    {{ contribution_periods(['fee_reversals', 'fee_supplements']) }}
),

account_totals as (
    select
        a.party_id,
        a.period,
        sum(a.nii) as nii,
        sum(a.fee_income) as fee_income_txn,
        sum(a.operating_cost) as operating_cost,
        sum(a.risk_cost) as risk_cost,
        -- 积数 summed exactly and divided once in decimal (like int_party_months)
        {{ money_divide('sum(case when a.is_aum then a.balance_days_cny else 0 end)', 'max(a.days)') }}
            as aum_adb,
        {{ money_divide("sum(case when a.category = 'deposit' then a.balance_days_cny else 0 end)",
            'max(a.days)') }} as deposit_adb,
        {{ money_divide('sum(case when a.is_loan then a.balance_days_cny else 0 end)', 'max(a.days)') }}
            as loan_adb,
        count(*) as account_count,
        count(distinct case when a.days_open > 0 then a.product_code end) as product_count,
        sum(a.txn_count) as txn_count
    from {{ ref('int_account_contributions_monthly') }} as a
    inner join periods as p on p.period = a.period
    where a.party_id is not null
    group by a.party_id, a.period
),

supplements as (
    select
        s.party_id,
        s.period,
        sum(s.amount_cny) as fee_income_supplement,
        count(*) as supplement_count
    from {{ ref('int_fee_supplements') }} as s
    inner join periods as p on p.period = s.period
    where s.attribution_status = 'matched'
    group by s.party_id, s.period
),

party_months as (
    select party_id, period from account_totals
    union
    select party_id, period from supplements
),

measures as (
    select
        m.party_id,
        m.period,
        p.period_start,
        p.as_of_date,
        p.is_finished,
        c.party_kind as segment,
        h.home_org_id,
        coalesce(a.nii, 0) as nii,
        coalesce(a.fee_income_txn, 0) as fee_income_txn,
        coalesce(s.fee_income_supplement, 0) as fee_income_supplement,
        coalesce(a.operating_cost, 0) as operating_cost,
        coalesce(a.risk_cost, 0) as risk_cost,
        coalesce(a.aum_adb, 0) as aum_adb,
        coalesce(a.deposit_adb, 0) as deposit_adb,
        coalesce(a.loan_adb, 0) as loan_adb,
        coalesce(a.account_count, 0) as account_count,
        coalesce(a.product_count, 0) as product_count,
        coalesce(a.txn_count, 0) as txn_count,
        coalesce(s.supplement_count, 0) as supplement_count
    from party_months as m
    inner join periods as p on p.period = m.period
    inner join {{ ref('dim_customer') }} as c on c.party_id = m.party_id
    left join account_totals as a on a.party_id = m.party_id and a.period = m.period
    left join supplements as s on s.party_id = m.party_id and s.period = m.period
    left join {{ ref('int_party_months') }} as h on h.party_id = m.party_id and h.period = m.period
)

select
    cast(party_id as {{ dbt.type_string() }}) as party_id,
    cast(period as {{ dbt.type_string() }}) as period,
    cast(segment as {{ dbt.type_string() }}) as segment,
    cast(nii as {{ contribution_number_type() }}) as nii,
    cast(fee_income_txn + fee_income_supplement as {{ contribution_number_type() }}) as fee_income,
    cast(operating_cost as {{ contribution_number_type() }}) as operating_cost,
    cast(risk_cost as {{ contribution_number_type() }}) as risk_cost,
    cast(nii + fee_income_txn + fee_income_supplement - operating_cost - risk_cost
        as {{ contribution_number_type() }}) as contribution,
    period_start,
    as_of_date,
    is_finished,
    cast(home_org_id as {{ dbt.type_string() }}) as home_org_id,
    cast(fee_income_txn as {{ contribution_number_type() }}) as fee_income_txn,
    cast(fee_income_supplement as {{ contribution_number_type() }}) as fee_income_supplement,
    cast(aum_adb as {{ contribution_number_type() }}) as aum_adb,
    cast(deposit_adb as {{ contribution_number_type() }}) as deposit_adb,
    cast(loan_adb as {{ contribution_number_type() }}) as loan_adb,
    cast(account_count as integer) as account_count,
    cast(product_count as integer) as product_count,
    cast(txn_count as integer) as txn_count,
    cast(supplement_count as integer) as supplement_count
from measures
