{#
  Manager credit of contribution per account and month (credit shares: docs/crm.md): the account's
  contribution (int_account_contributions_monthly: NII + fee transactions − operating
  and risk cost) × the manager's time-weighted share of the month, share_days / days
  (int_credited_balances_monthly: Σ daily share of the assess assignments valid each
  day). The rest stays with the organisation: a row with an empty manager_id, so per
  account and month the rows add up to the account's contribution (tested). An account
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
    select account_key, period, period_start, contribution
    from {{ ref('int_account_contributions_monthly') }}
    where period in (select period from periods)
),

shares as (
    select account_key, manager_id, period, share_days, days
    from {{ ref('int_credited_balances_monthly') }}
    where manager_id is not null and period in (select period from periods)
),

managers as (
    select
        c.account_key,
        s.manager_id,
        c.period,
        c.period_start,
        s.share_days / s.days as time_share,
        cast(c.contribution * s.share_days / s.days as {{ kpi_number_type() }}) as credited_contribution
    from contributions as c
    inner join shares as s
        on s.account_key = c.account_key and s.period = c.period
),

manager_totals as (
    select
        account_key, period,
        sum(time_share) as time_share,
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
        cast(c.contribution - coalesce(t.credited_contribution, 0) as {{ kpi_number_type() }})
            as credited_contribution
    from contributions as c
    left join manager_totals as t
        on t.account_key = c.account_key and t.period = c.period
)

select account_key, manager_id, period, period_start, time_share, credited_contribution
from managers
union all
select account_key, manager_id, period, period_start, time_share, credited_contribution
from pool
