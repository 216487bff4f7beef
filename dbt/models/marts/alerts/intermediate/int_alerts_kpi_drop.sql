{#
  Alert KPI_DROP, manager performance 业绩变动预警 (docs/alerts.md), entity_type = manager,
  entity_id = manager_id. Two checks, one alert per manager and date:
  (a) month: the manager's total score of a finished month (mart_manager_kpi, indicator
      'total', column score) is at least min_score_drop points below the total of the
      month before; fires on the month's last date (its as_of_date), the date that finishes
      it. A month without a total (nothing scored), or without one the month before, is
      not compared.
  (b) time progress 序时进度: on a loaded date d whose day of the month is after after_day
      (20), the credited fee income of the month to date is below completion_floor (60%)
      of the target pro rata to the days elapsed: fee × days_in_month < floor × target ×
      day_of_month(d). Fee income is the KPI's as far as it is known on d: fee
      transactions (is_fee, not reversed) of [1st of the month, d], credited with the share
      valid on the transaction's day (fct_credit_share, which int_assignment_shares feeds),
      plus the month's CRM fee supplements (int_fee_supplements, matched to a party)
      first delivered on or before d, credited to the party's main manager of the month
      (int_kpi_party_months, as the KPI credits them; the latest correction's amount).
      The target is the month's
      fee_income target (int_kpi_targets, > 0). A state rule: fires on entry (not in the
      state on the loaded date before, and the 20th never is), so a manager below the floor
      from the 21st on has one alert. Only fee income is computed per day from the daily
      facts: contribution needs the month's models (FTP, provisions at month end) and new
      customers the month's main manager (largest credited AUM share over the month);
      neither is known per date without recomputing the month (docs/alerts.md).
  When both hold on one date (a finished month's last day), one row says both, with (b)'s
  numbers in the measured columns.
#}
{{ config(
    materialized='incremental',
    incremental_strategy='replace_window',
    window_column='as_of_date',
    on_schema_change='fail',
    tags=['monthly'],
) }}

with parameters as (
    {{ alert_parameters('KPI_DROP', days=['after_day'], values=['min_score_drop', 'completion_floor']) }}
),

-- the window's dates and the loaded date before each (the state an entry compares with)
{{ alert_window_dates() }}

-- (a) a finished month's total against the month before
totals as (
    select manager_id, period, period_start, as_of_date, is_finished, org_id, score
    from {{ ref('mart_manager_kpi') }}
    where indicator = 'total' and score is not null
),

score_drops as (
    select
        cur.as_of_date,
        cur.manager_id,
        cur.org_id,
        cur.period,
        before.period as previous_period,
        cur.score,
        before.score as previous_score,
        before.score - cur.score as score_drop,
        parameters.min_score_drop
    from totals as cur
    inner join totals as before
        on before.manager_id = cur.manager_id
        and before.period_start = cast({{ dbt.dateadd('month', -1, 'cur.period_start') }} as date)
    cross join parameters
    where cur.is_finished
        and {{ in_window('cur.as_of_date') }}
        and before.score - cur.score >= parameters.min_score_drop
),

-- (b) the dates evaluated after the after_day-th of their month, with their month
progress_dates as (
    select
        e.as_of_date,
        cast({{ dbt.date_trunc('month', 'e.as_of_date') }} as date) as period_start,
        {{ dbt.datediff(dbt.date_trunc('month', 'e.as_of_date'), 'e.as_of_date', 'day') }} + 1
            as elapsed_days,
        {{ dbt.datediff(dbt.date_trunc('month', 'e.as_of_date'),
            dbt.dateadd('month', 1, dbt.date_trunc('month', 'e.as_of_date')), 'day') }}
            as days_in_month
    from eval_dates as e
    cross join parameters
    where {{ dbt.datediff(dbt.date_trunc('month', 'e.as_of_date'), 'e.as_of_date', 'day') }} + 1
        > parameters.after_day
),

progress_months as (
    select distinct period_start, {{ period_of('period_start') }} as period from progress_dates
),

targets as (
    select t.manager_id, m.period_start, t.target_value
    from {{ ref('int_kpi_targets') }} as t
    inner join progress_months as m on m.period = t.period
    where t.indicator = 'fee_income' and t.target_value > 0
),

fees as (
    select t.txn_id, t.account_key, t.biz_date, t.amount_cny
    from {{ ref('fct_transaction') }} as t
    cross join (
        select min(period_start) as span_from, max(as_of_date) as span_last from progress_dates
    ) as span
    where t.is_fee
        and not coalesce(t.is_reversed, false)
        and t.biz_date >= span.span_from
        and t.biz_date <= span.span_last
),

-- the share valid on the transaction's day; exact decimal sums, one division
credited_transactions as (
    select
        d.as_of_date,
        s.manager_id,
        cast(sum(f.amount_cny * s.share_pct) / 100 as {{ money_type() }}) as fee_cny
    from progress_dates as d
    inner join fees as f on f.biz_date >= d.period_start and f.biz_date <= d.as_of_date
    inner join {{ ref('fct_credit_share') }} as s
        on s.account_key = f.account_key
        and s.valid_from <= f.biz_date and s.valid_to > f.biz_date
    where s.manager_id is not null
    group by d.as_of_date, s.manager_id
),

-- CRM fee supplements of the month delivered by the date, to the party's main manager
credited_supplements as (
    select
        d.as_of_date,
        pm.main_manager_id as manager_id,
        cast(sum(f.amount_cny) as {{ money_type() }}) as fee_cny
    from progress_dates as d
    inner join progress_months as m on m.period_start = d.period_start
    inner join {{ ref('int_fee_supplements') }} as f
        on f.period = m.period and f.first_biz_date <= d.as_of_date
    inner join {{ ref('int_kpi_party_months') }} as pm
        on pm.party_id = f.party_id and pm.period = f.period
    where f.attribution_status = 'matched'
        and pm.main_manager_id is not null
    group by d.as_of_date, pm.main_manager_id
),

credited_fees as (
    select as_of_date, manager_id, sum(fee_cny) as fee_to_date
    from (
        select as_of_date, manager_id, fee_cny from credited_transactions
        union all
        select as_of_date, manager_id, fee_cny from credited_supplements
    ) as credited
    group by as_of_date, manager_id
),

progress_states as (
    select
        d.as_of_date,
        t.manager_id,
        d.elapsed_days,
        d.days_in_month,
        coalesce(c.fee_to_date, 0) as fee_to_date,
        t.target_value,
        cast(t.target_value as {{ money_type() }}) * d.elapsed_days / d.days_in_month
            as target_to_date,
        parameters.completion_floor
    from progress_dates as d
    inner join targets as t on t.period_start = d.period_start
    left join credited_fees as c on c.as_of_date = d.as_of_date and c.manager_id = t.manager_id
    cross join parameters
    where coalesce(c.fee_to_date, 0) * d.days_in_month
        < parameters.completion_floor * t.target_value * d.elapsed_days
),

progress_entries as (
    select s.*
    from progress_states as s
    inner join window_dates as w on w.as_of_date = s.as_of_date
    left join progress_states as before
        on before.manager_id = s.manager_id and before.as_of_date = w.previous_date
    where before.manager_id is null
),

both_checks as (
    select
        coalesce(p.as_of_date, s.as_of_date) as as_of_date,
        coalesce(p.manager_id, s.manager_id) as manager_id,
        s.org_id as month_org_id,
        s.period,
        s.previous_period,
        s.score,
        s.previous_score,
        s.score_drop,
        s.min_score_drop,
        p.elapsed_days,
        p.days_in_month,
        p.fee_to_date,
        p.target_value,
        p.target_to_date,
        p.completion_floor
    from progress_entries as p
    full outer join score_drops as s
        on s.as_of_date = p.as_of_date and s.manager_id = p.manager_id
),

-- the manager's organisation: the month's (mart_manager_kpi), else as delivered on the date
placed as (
    select
        b.*,
        coalesce(b.month_org_id, m.org_id) as org_id
    from both_checks as b
    left join {{ ref('dim_manager_history') }} as m
        on m.manager_id = b.manager_id
        and m.valid_from <= b.as_of_date and m.valid_to > b.as_of_date
)

select
    as_of_date,
    cast('KPI_DROP' as {{ dbt.type_string() }}) as rule_id,
    cast('manager' as {{ dbt.type_string() }}) as entity_type,
    manager_id as entity_id,
    cast(null as {{ dbt.type_string() }}) as party_id,
    org_id,
    cast(null as {{ dbt.type_string() }}) as account_key,
    manager_id,
    cast(null as {{ dbt.type_string() }}) as txn_id,
    cast(fee_to_date as {{ money_type() }}) as metric_amount_cny,
    cast(target_to_date as {{ money_type() }}) as base_amount_cny,
    cast(fee_to_date / target_to_date as {{ money_type() }}) as metric_ratio,
    cast(elapsed_days as integer) as metric_days,
    cast(completion_floor as decimal(38, 6)) as threshold_ratio,
    cast(null as decimal(38, 6)) as threshold_amount_cny,
    cast(null as integer) as threshold_days,
    {{ dbt.concat([
        "case when score_drop is not null then " ~ dbt.concat([
            "'total score '", format_amount('score'), "' in '", "period", "' is '",
            format_amount('score_drop'), "' points below '", format_amount('previous_score'),
            "' in '", "previous_period", "' (alert at '", format_amount('min_score_drop'), "')'"])
            ~ " else '' end",
        "case when score_drop is not null and fee_to_date is not null then '; ' else '' end",
        "case when fee_to_date is not null then " ~ dbt.concat([
            "'fee income to date '", format_amount('fee_to_date'), "' CNY = '",
            format_percent('fee_to_date / target_to_date'), "'% of the target to date '",
            format_amount('target_to_date'), "' (month target '", format_amount('target_value'),
            "' x '", as_text('elapsed_days'), "'/'", as_text('days_in_month'),
            "' days), below '", format_percent('completion_floor'), "'%'"])
            ~ " else '' end",
    ]) }} as detail,
    cast(null as {{ dbt.type_string() }}) as severity,
    false as is_baseline
from placed
