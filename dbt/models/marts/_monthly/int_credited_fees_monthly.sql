{#
  Manager credit of fee income per account and month (credit shares: docs/crm.md): each fee
  transaction (is_fee, not reversed) is credited share_pct / 100 to every manager whose
  assess share (fct_credit_share, already scaled to at most 100) is valid on the
  transaction's business date. What no manager holds stays with the organisation: a row
  with an empty manager_id, so per account and month the rows add up to the account's
  fee income (tested). A transaction belongs to the month of its business date.
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

-- the window's months, and months of fees a reversal in the window cancels
with periods as (
    {{ kpi_periods(['fee_reversals']) }}
),

fees as (
    select
        t.txn_id,
        t.account_key,
        t.biz_date,
        t.amount_cny,
        p.period,
        p.period_start
    from {{ ref('fct_transaction') }} as t
    inner join periods as p
        on t.biz_date >= p.covered_from and t.biz_date < p.covered_to
    where t.is_fee and not coalesce(t.is_reversed, false)
),

account_fees as (
    select
        account_key, period, period_start,
        sum(amount_cny) as fee_income_cny
    from fees
    group by account_key, period, period_start
),

-- the share valid on the transaction's day
managers as (
    select
        f.account_key,
        s.manager_id,
        f.period,
        f.period_start,
        -- exact decimal sum, one division: the result does not depend on the order of rows
        cast(sum(f.amount_cny * s.share_pct) / 100 as {{ kpi_number_type() }}) as credited_fee_income_cny
    from fees as f
    inner join {{ ref('fct_credit_share') }} as s
        on s.account_key = f.account_key
        and s.valid_from <= f.biz_date and s.valid_to > f.biz_date
    group by f.account_key, s.manager_id, f.period, f.period_start
),

manager_totals as (
    select account_key, period, sum(credited_fee_income_cny) as credited_fee_income_cny
    from managers
    group by account_key, period
),

-- the organisation pool: what the managers do not hold (every account with a fee in the
-- month has one, zero where managers hold it all)
pool as (
    select
        a.account_key,
        cast(null as {{ dbt.type_string() }}) as manager_id,
        a.period,
        a.period_start,
        cast(a.fee_income_cny - coalesce(t.credited_fee_income_cny, 0) as {{ kpi_number_type() }})
            as credited_fee_income_cny
    from account_fees as a
    left join manager_totals as t
        on t.account_key = a.account_key and t.period = a.period
)

select account_key, manager_id, period, period_start, credited_fee_income_cny
from managers
union all
select account_key, manager_id, period, period_start, credited_fee_income_cny
from pool
