{#
  Customer-manager KPIs 客户经理绩效 (docs/kpi.md): one row per manager, month and
  scorecard indicator (seed kpi_indicators), plus indicator = 'total'. Managers are those
  with assess credit or a target in the month.
  actual from int_manager_kpi_actuals_monthly (a ratio recomputed from numerator and
  denominator); target = the latest delivered CRM target, the whole month's;
  target_to_date = the target pro rata to the month's covered days for a flow indicator
  (seed kind = flow: target × days / days_in_month, 序时进度; = target in a fully covered
  month), the target for a level indicator; completion (against target_to_date) and score
  by the macros in macros/kpi.sql. No target, or no base for a ratio (no loans, no
  contact due) → completion and score empty, and the indicator does not count in the
  total. total: score = Σ scores ÷ Σ weights of the indicators scored for the manager
  (0 – 100 × cap: managers with different applicable indicators compare), weight = that
  Σ weights; empty when nothing was scored. rank_in_team /
  rank_in_org: every row ranks its own score among the managers of the same team /
  organisation in the month; on the total row that is the manager's overall rank. Team and
  organisation are the manager's as of the month's as_of_date (int_kpi_manager_months, from
  dim_manager_history), never today's: a manager who moves team in September stays in
  August's team, and a finished month does not move with a later reorganisation.
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

-- the months int_manager_kpi_actuals_monthly recomputes
with periods as (
    {{ kpi_periods(open_end=true) }}
),

indicators as (
    select * from {{ ref('kpi_indicators') }}
),

actuals as (
    select * from {{ ref('int_manager_kpi_actuals_monthly') }}
    where period in (select period from periods)
),

targets as (
    select t.period, t.manager_id, t.indicator, t.target_value
    from {{ ref('int_kpi_targets') }} as t
    inner join periods as p on p.period = t.period
    inner join indicators as i on i.indicator = t.indicator
    -- a target of a manager not delivered in the month, or of an unknown indicator, is
    -- left out (int_kpi_targets warns)
    inner join {{ ref('int_kpi_manager_months') }} as d
        on d.manager_id = t.manager_id and d.period = t.period
),

managers as (
    select distinct manager_id, period from actuals
    union
    select distinct manager_id, period from targets
),

scored as (
    select
        m.manager_id,
        p.period,
        p.period_start,
        p.as_of_date,
        p.is_finished,
        i.indicator,
        i.perspective,
        i.weight,
        i.direction,
        i.cap,
        i.floor,
        coalesce(a.numerator, 0) as numerator,
        case when i.is_ratio then coalesce(a.denominator, 0) end as denominator,
        {{ kpi_actual('coalesce(a.numerator, 0)', 'coalesce(a.denominator, 0)', 'i.is_ratio') }}
            as actual,
        t.target_value as target,
        i.kind,
        {{ kpi_target_to_date('t.target_value', 'i.kind', 'p.days', 'p.days_in_month') }} as target_to_date
    from managers as m
    inner join periods as p on p.period = m.period
    cross join indicators as i
    left join actuals as a
        on a.manager_id = m.manager_id and a.period = m.period and a.indicator = i.indicator
    left join targets as t
        on t.manager_id = m.manager_id and t.period = m.period and t.indicator = i.indicator
),

completed as (
    select
        *,
        {{ kpi_completion('actual', 'target_to_date', 'direction', 'cap') }} as completion
    from scored
),

indicator_rows as (
    select
        *,
        -- decimal, so that the total (a sum) does not depend on row order
        cast({{ kpi_score('completion', 'weight', 'cap', 'floor') }} as {{ kpi_number_type() }})
            as score
    from completed
),

total_rows as (
    select
        manager_id,
        period,
        period_start,
        as_of_date,
        is_finished,
        'total' as indicator,
        cast(null as {{ dbt.type_string() }}) as perspective,
        sum(case when score is not null then weight end) as weight,
        cast(null as {{ dbt.type_string() }}) as direction,
        cast(null as {{ kpi_number_type() }}) as cap,
        cast(null as {{ kpi_number_type() }}) as numerator,
        cast(null as {{ kpi_number_type() }}) as denominator,
        cast(null as {{ kpi_number_type() }}) as actual,
        cast(null as {{ kpi_number_type() }}) as target,
        cast(null as {{ dbt.type_string() }}) as kind,
        cast(null as {{ kpi_number_type() }}) as target_to_date,
        cast(null as {{ kpi_number_type() }}) as completion,
        {{ kpi_total_score('score', 'weight') }} as score
    from indicator_rows
    group by manager_id, period, period_start, as_of_date, is_finished
),

all_rows as (
    select
        manager_id, period, period_start, as_of_date, is_finished, indicator, perspective,
        weight, direction, cap, numerator, denominator, actual, target, kind, target_to_date,
        completion, score
    from indicator_rows
    union all
    select
        manager_id, period, period_start, as_of_date, is_finished, indicator, perspective,
        weight, direction, cap, numerator, denominator, actual, target, kind, target_to_date,
        completion, score
    from total_rows
),

placed as (
    select
        r.*,
        d.team_id,
        d.org_id
    from all_rows as r
    -- the manager's team and organisation as of the month
    left join {{ ref('int_kpi_manager_months') }} as d
        on d.manager_id = r.manager_id and d.period = r.period
)

select
    cast(manager_id as {{ dbt.type_string() }}) as manager_id,
    cast(period as {{ dbt.type_string() }}) as period,
    cast(indicator as {{ dbt.type_string() }}) as indicator,
    cast(actual as {{ kpi_number_type() }}) as actual,
    cast(target as {{ kpi_number_type() }}) as target,
    cast(target_to_date as {{ kpi_number_type() }}) as target_to_date,
    cast(completion as {{ kpi_number_type() }}) as completion,
    cast(score as {{ kpi_number_type() }}) as score,
    cast(numerator as {{ kpi_number_type() }}) as numerator,
    cast(denominator as {{ kpi_number_type() }}) as denominator,
    cast(weight as {{ kpi_number_type() }}) as weight,
    cast(cap as {{ kpi_number_type() }}) as cap,
    cast(direction as {{ dbt.type_string() }}) as direction,
    cast(kind as {{ dbt.type_string() }}) as kind,
    cast(perspective as {{ dbt.type_string() }}) as perspective,
    cast(team_id as {{ dbt.type_string() }}) as team_id,
    cast(org_id as {{ dbt.type_string() }}) as org_id,
    cast(case when team_id is not null then {{ kpi_rank('score', ['period', 'team_id', 'indicator']) }} end
        as integer) as rank_in_team,
    cast(case when org_id is not null then {{ kpi_rank('score', ['period', 'org_id', 'indicator']) }} end
        as integer) as rank_in_org,
    cast(period_start as date) as period_start,
    cast(as_of_date as date) as as_of_date,
    cast(is_finished as boolean) as is_finished
from placed
