{#
  Team KPIs 客户部门考核 (docs/kpi.md): mart_manager_kpi rolled up the team tree. A
  team holds every manager of its own and of the teams below it, both as of the month's
  as_of_date (int_kpi_manager_months, int_kpi_team_ancestor_months: the histories as
  delivered, never today's), so a September reorganisation leaves August's totals as they
  were. Per team, month and indicator, over the same members on both sides:
  - the members scored are the team's managers with a target for the indicator; a member
    without one is left out of the actual and of the target (counted in members_left_out,
    named in left_out_manager_ids), so a team is never measured on the actuals of all and
    the targets of some. When no member has a target nothing is scored and the actual is
    the whole team's (for information);
  - numerator and denominator are summed over those members; a ratio is recomputed from
    the sums (never an average of ratios); an amount or count is the sum;
  - target and target_to_date: the members' sums for an amount or count; for a ratio
    weighted by their denominators (Σ target × denominator / Σ denominator), their plain
    average when those denominators are all 0;
  - team indicators (seed kpi_team_indicators), scored for teams only: the department
    indicator team_customer_contribution 部门考核 = Σ total contribution of the parties
    whose main manager is a member with a contribution target (int_manager_kpi_actuals_monthly
    customer_contribution) against Σ those members' contribution targets;
  - completion, score and the total as for a manager (macros/kpi.sql): total = Σ scores ÷
    Σ weights of the indicators scored, the department indicator included.
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

-- the manager scorecard's indicators and the team-only ones, with the measure each
-- team indicator sums and the manager indicator whose targets it takes
indicators as (
    select
        indicator, perspective, weight, direction, cap, floor, is_ratio, kind,
        cast(null as {{ dbt.type_string() }}) as measure,
        indicator as target_indicator
    from {{ ref('kpi_indicators') }}
    union all
    select
        indicator, perspective, weight, direction, cap, floor, false as is_ratio, kind,
        measure, target_indicator
    from {{ ref('kpi_team_indicators') }}
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
    select manager_id, period, indicator, numerator, denominator, target, target_to_date
    from {{ ref('mart_manager_kpi') }}
    where indicator <> 'total' and period in (select period from periods)
),

-- each member's parts per team indicator: the measure's actual, the target indicator's targets
member_parts as (
    select
        r.manager_id,
        r.period,
        i.indicator,
        case when i.measure is null then r.numerator else coalesce(a.numerator, 0) end as numerator,
        case when i.measure is null then r.denominator end as denominator,
        r.target,
        r.target_to_date
    from manager_rows as r
    inner join indicators as i on i.target_indicator = r.indicator
    left join {{ ref('int_manager_kpi_actuals_monthly') }} as a
        on a.manager_id = r.manager_id and a.period = r.period and a.indicator = i.measure
),

members as (
    select
        tm.team_id,
        r.period,
        r.indicator,
        r.manager_id,
        r.numerator,
        r.denominator,
        r.target,
        r.target_to_date,
        r.target is not null as has_target,
        -- the members counted: those with a target, or all when nobody has one
        r.target is not null
        or max(case when r.target is not null then 1 else 0 end)
            over (partition by tm.team_id, r.period, r.indicator) = 0 as is_counted
    from member_parts as r
    inner join team_managers as tm on tm.manager_id = r.manager_id and tm.period = r.period
),

summed as (
    select
        team_id,
        period,
        indicator,
        count(distinct manager_id) as manager_count,
        sum(case when has_target then 1 else 0 end) as members_scored,
        sum(case when has_target then 0 else 1 end) as members_left_out,
        sum(case when is_counted then numerator end) as numerator,
        sum(case when is_counted then denominator end) as denominator,
        sum(target) as target_sum,
        sum(target_to_date) as target_to_date_sum,
        sum(case when has_target then denominator end) as target_denominator,
        sum(target * denominator) as target_weighted,
        sum(target_to_date * denominator) as target_to_date_weighted,
        avg(target) as target_average,
        avg(target_to_date) as target_to_date_average
    from members
    group by team_id, period, indicator
),

left_out as (
    select
        team_id,
        period,
        indicator,
        {{ dbt.listagg('manager_id', "', '", 'order by manager_id') }} as left_out_manager_ids
    from members
    where not has_target
    group by team_id, period, indicator
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
        i.kind,
        s.manager_count,
        s.members_scored,
        s.members_left_out,
        l.left_out_manager_ids,
        s.numerator,
        s.denominator,
        {{ kpi_actual('s.numerator', 's.denominator', 'i.is_ratio') }} as actual,
        case
            when not i.is_ratio then s.target_sum
            when s.target_denominator > 0 then s.target_weighted / s.target_denominator
            else s.target_average
        end as target,
        case
            when not i.is_ratio then s.target_to_date_sum
            when s.target_denominator > 0 then s.target_to_date_weighted / s.target_denominator
            else s.target_to_date_average
        end as target_to_date
    from summed as s
    inner join periods as p on p.period = s.period
    inner join indicators as i on i.indicator = s.indicator
    left join left_out as l
        on l.team_id = s.team_id and l.period = s.period and l.indicator = s.indicator
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
        cast(null as {{ dbt.type_string() }}) as kind,
        max(manager_count) as manager_count,
        cast(null as integer) as members_scored,
        cast(null as integer) as members_left_out,
        cast(null as {{ dbt.type_string() }}) as left_out_manager_ids,
        cast(null as {{ kpi_number_type() }}) as numerator,
        cast(null as {{ kpi_number_type() }}) as denominator,
        cast(null as {{ kpi_number_type() }}) as actual,
        cast(null as {{ kpi_number_type() }}) as target,
        cast(null as {{ kpi_number_type() }}) as target_to_date,
        cast(null as {{ kpi_number_type() }}) as completion,
        {{ kpi_total_score('score', 'weight') }} as score
    from indicator_rows
    group by team_id, period, period_start, as_of_date, is_finished
),

{%- set columns -%}
        team_id, period, period_start, as_of_date, is_finished, indicator, perspective,
        weight, direction, cap, kind, manager_count, members_scored, members_left_out,
        left_out_manager_ids, numerator, denominator, actual, target, target_to_date,
        completion, score
{%- endset %}

all_rows as (
    select
{{ columns }}
    from indicator_rows
    union all
    select
{{ columns }}
    from total_rows
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
    cast(target_to_date as {{ kpi_number_type() }}) as target_to_date,
    cast(completion as {{ kpi_number_type() }}) as completion,
    cast(score as {{ kpi_number_type() }}) as score,
    cast(numerator as {{ kpi_number_type() }}) as numerator,
    cast(denominator as {{ kpi_number_type() }}) as denominator,
    cast(weight as {{ kpi_number_type() }}) as weight,
    cast(cap as {{ kpi_number_type() }}) as cap,
    cast(direction as {{ dbt.type_string() }}) as direction,
    cast(perspective as {{ dbt.type_string() }}) as perspective,
    cast(kind as {{ dbt.type_string() }}) as kind,
    cast(manager_count as integer) as manager_count,
    cast(members_scored as integer) as members_scored,
    cast(members_left_out as integer) as members_left_out,
    cast(left_out_manager_ids as {{ dbt.type_string() }}) as left_out_manager_ids,
    cast(parent_team_id as {{ dbt.type_string() }}) as parent_team_id,
    cast(team_level as integer) as team_level,
    cast(org_id as {{ dbt.type_string() }}) as org_id,
    cast({{ kpi_rank('score', ['period', "coalesce(parent_team_id, '')", 'indicator']) }}
        as integer) as rank_among_siblings,
    cast(period_start as date) as period_start,
    cast(as_of_date as date) as as_of_date,
    cast(is_finished as boolean) as is_finished
from placed
