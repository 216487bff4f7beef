{#
  Team KPIs 客户部门考核 (docs/kpi.md): mart_manager_kpi rolled up the team tree. A
  team holds every manager of its own and of the teams below it, both as of the month's
  as_of_date (int_kpi_manager_months, int_kpi_team_ancestor_months: the histories as
  delivered, never today's), so a September reorganisation leaves August's totals as they
  were. Per team, month and indicator:
  - numerator and denominator are summed over the managers; a ratio is recomputed from
    the sums (never an average of the managers' ratios); an amount or count is the sum;
  - target: the sum of the managers' targets for an amount or count; for a ratio the
    managers' targets weighted by their denominators (Σ target × denominator /
    Σ denominator, over managers with a target), their plain average when those
    denominators are all 0; empty when no manager of the team has a target;
  - completion, score and the total as for a manager (macros/kpi.sql);
  - indicator 'team_customer_contribution' (部门考核, not scored): Σ total contribution
    (mart_customer_contribution) of the parties whose main manager is in the team.
  rank_among_siblings: every row ranks its own score among the teams with the same
  parent (roots among roots) in the month; on the total row, the team's overall rank.
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

-- the months mart_manager_kpi recomputes
with periods as (
    {{ kpi_periods(open_end=true) }}
),

indicators as (
    select * from {{ ref('kpi_indicators') }}
),

-- per month, each team and every manager of it or of a team below it, as of the month
team_managers as (
    select ta.period, ta.ancestor_team_id as team_id, m.manager_id
    from {{ ref('int_kpi_team_ancestor_months') }} as ta
    inner join {{ ref('int_kpi_manager_months') }} as m
        on m.team_id = ta.team_id and m.period = ta.period
    where ta.period in (select period from periods)
),

manager_rows as (
    select manager_id, period, indicator, numerator, denominator, target
    from {{ ref('mart_manager_kpi') }}
    where indicator <> 'total' and period in (select period from periods)
),

summed as (
    select
        tm.team_id,
        r.period,
        r.indicator,
        count(distinct r.manager_id) as manager_count,
        sum(r.numerator) as numerator,
        sum(r.denominator) as denominator,
        sum(r.target) as target_sum,
        sum(case when r.target is not null then r.denominator end) as target_denominator,
        sum(r.target * r.denominator) as target_weighted,
        avg(r.target) as target_average
    from manager_rows as r
    inner join team_managers as tm on tm.manager_id = r.manager_id and tm.period = r.period
    group by tm.team_id, r.period, r.indicator
),

scored as (
    select
        s.team_id,
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
        s.manager_count,
        s.numerator,
        s.denominator,
        {{ kpi_actual('s.numerator', 's.denominator', 'i.is_ratio') }} as actual,
        case
            when not i.is_ratio then s.target_sum
            when s.target_denominator > 0 then s.target_weighted / s.target_denominator
            else s.target_average
        end as target
    from summed as s
    inner join periods as p on p.period = s.period
    inner join indicators as i on i.indicator = s.indicator
),

completed as (
    select
        *,
        {{ kpi_completion('actual', 'target', 'direction', 'cap') }} as completion
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
        team_id,
        period,
        period_start,
        as_of_date,
        is_finished,
        'total' as indicator,
        cast(null as {{ dbt.type_string() }}) as perspective,
        sum(case when score is not null then weight end) as weight,
        cast(null as {{ dbt.type_string() }}) as direction,
        cast(null as {{ kpi_number_type() }}) as cap,
        max(manager_count) as manager_count,
        cast(null as {{ kpi_number_type() }}) as numerator,
        cast(null as {{ kpi_number_type() }}) as denominator,
        cast(null as {{ kpi_number_type() }}) as actual,
        cast(null as {{ kpi_number_type() }}) as target,
        cast(null as {{ kpi_number_type() }}) as completion,
        sum(score) as score
    from indicator_rows
    group by team_id, period, period_start, as_of_date, is_finished
),

customer_contribution as (
    select
        tm.team_id,
        p.period,
        p.period_start,
        p.as_of_date,
        p.is_finished,
        'team_customer_contribution' as indicator,
        cast(null as {{ dbt.type_string() }}) as perspective,
        cast(null as {{ kpi_number_type() }}) as weight,
        cast(null as {{ dbt.type_string() }}) as direction,
        cast(null as {{ kpi_number_type() }}) as cap,
        count(distinct a.manager_id) as manager_count,
        sum(a.numerator) as numerator,
        cast(null as {{ kpi_number_type() }}) as denominator,
        sum(a.numerator) as actual,
        cast(null as {{ kpi_number_type() }}) as target,
        cast(null as {{ kpi_number_type() }}) as completion,
        cast(null as {{ kpi_number_type() }}) as score
    from {{ ref('int_manager_kpi_actuals_monthly') }} as a
    inner join periods as p on p.period = a.period
    inner join team_managers as tm on tm.manager_id = a.manager_id and tm.period = a.period
    where a.indicator = 'customer_contribution'
    group by tm.team_id, p.period, p.period_start, p.as_of_date, p.is_finished
),

all_rows as (
    select
        team_id, period, period_start, as_of_date, is_finished, indicator, perspective,
        weight, direction, cap, manager_count, numerator, denominator, actual, target,
        completion, score
    from indicator_rows
    union all
    select
        team_id, period, period_start, as_of_date, is_finished, indicator, perspective,
        weight, direction, cap, manager_count, numerator, denominator, actual, target,
        completion, score
    from total_rows
    union all
    select
        team_id, period, period_start, as_of_date, is_finished, indicator, perspective,
        weight, direction, cap, manager_count, numerator, denominator, actual, target,
        completion, score
    from customer_contribution
),

placed as (
    select
        r.*,
        t.parent_team_id,
        t.team_level,
        t.org_id
    from all_rows as r
    -- the team's parent, level and organisation as of the month
    left join {{ ref('int_kpi_team_months') }} as t
        on t.team_id = r.team_id and t.period = r.period
)

select
    cast(team_id as {{ dbt.type_string() }}) as team_id,
    cast(period as {{ dbt.type_string() }}) as period,
    cast(indicator as {{ dbt.type_string() }}) as indicator,
    cast(actual as {{ kpi_number_type() }}) as actual,
    cast(target as {{ kpi_number_type() }}) as target,
    cast(completion as {{ kpi_number_type() }}) as completion,
    cast(score as {{ kpi_number_type() }}) as score,
    cast(numerator as {{ kpi_number_type() }}) as numerator,
    cast(denominator as {{ kpi_number_type() }}) as denominator,
    cast(weight as {{ kpi_number_type() }}) as weight,
    cast(cap as {{ kpi_number_type() }}) as cap,
    cast(direction as {{ dbt.type_string() }}) as direction,
    cast(perspective as {{ dbt.type_string() }}) as perspective,
    cast(manager_count as integer) as manager_count,
    cast(parent_team_id as {{ dbt.type_string() }}) as parent_team_id,
    cast(team_level as integer) as team_level,
    cast(org_id as {{ dbt.type_string() }}) as org_id,
    cast({{ kpi_rank('score', ['period', "coalesce(parent_team_id, '')", 'indicator']) }}
        as integer) as rank_among_siblings,
    cast(period_start as date) as period_start,
    cast(as_of_date as date) as as_of_date,
    cast(is_finished as boolean) as is_finished
from placed
