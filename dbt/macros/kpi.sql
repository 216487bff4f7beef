{#
  Customer-manager KPI formulas (docs/kpi.md), shared by mart_manager_kpi and
  mart_team_kpi. Arguments are SQL expressions.

  kpi_actual: a ratio indicator is numerator / denominator, empty when the denominator
  is 0 (nothing to measure: no loans, no managed party, no contact due); an amount or a
  count is the numerator.
#}
{% macro kpi_actual(numerator, denominator, is_ratio) -%}
    case
        when not {{ is_ratio }} then {{ numerator }}
        when {{ denominator }} > 0 then {{ numerator }} / {{ denominator }}
    end
{%- endmacro %}

{#
  completion = actual / target (direction 'higher', target > 0); an inverse indicator
  (direction 'lower') target / actual, and the cap when actual is 0 (nothing bad at all:
  full marks, whatever the target). Empty without a target or an actual, or with a
  target ≤ 0 on a 'higher' indicator (no meaningful ratio). Not capped here: the
  completion shows how far the target was beaten; the score caps it.
#}
{% macro kpi_completion(actual, target, direction, cap) -%}
    case
        when {{ actual }} is null or {{ target }} is null then null
        when {{ direction }} = 'lower' then
            case
                when {{ actual }} = 0 then {{ cap }}
                when {{ actual }} > 0 then {{ target }} / {{ actual }}
            end
        when {{ target }} > 0 then {{ actual }} / {{ target }}
    end
{%- endmacro %}

{#
  score = weight × 100 × min(max(completion, floor), cap); empty when the completion is.
  The floor (seed, 0) keeps a negative completion (a contribution below zero) from
  scoring below 0.
#}
{% macro kpi_score(completion, weight, cap, floor) -%}
    case
        when {{ completion }} is null then null
        when {{ completion }} > {{ cap }} then {{ weight }} * 100 * {{ cap }}
        when {{ completion }} < {{ floor }} then {{ weight }} * 100 * {{ floor }}
        else {{ weight }} * 100 * {{ completion }}
    end
{%- endmacro %}

{#
  Competition rank (1, 1, 3) of `value`, highest first, within `partition_by` (a list
  of expressions); empty where the value is empty, so unscored rows neither get a rank
  nor push others down.
#}
{% macro kpi_rank(value, partition_by) -%}
    case when {{ value }} is not null then rank() over (
        partition by {{ partition_by | join(', ') }}, case when {{ value }} is null then 1 else 0 end
        order by {{ value }} desc
    ) end
{%- endmacro %}

{# Numbers of the KPI marts (amounts in CNY, counts, ratios): wide enough for a bank's
   total in CNY with 10 decimals of a ratio. #}
{% macro kpi_number_type() -%}
    {{ money_type() }}
{%- endmacro %}

{#
  The months a KPI model computes in this run (int_periods rows): the months the run's
  window touches (open_end: and every later month, for models whose month depends on
  earlier months: VIP tiers chained month to month, contacts falling due months later),
  plus the finished months whose contribution inputs the window's data restates (a late
  fee reversal, a CRM fee supplement entered or corrected for an earlier period:
  contribution_periods, macros/contribution.sql), recomputed whole. Models using it are
  keyed unique_key='period_start' under replace_window, so the months they emit replace
  those months.
#}
{% macro kpi_periods(restated_by=['fee_reversals', 'fee_supplements'], open_end=false) -%}
    select *
    from {{ ref('int_periods') }}
    where period in (
        select period from ({{ contribution_periods(restated_by) }}) as touched
    )
    {%- if open_end %}
        or period_start >= {{ month_window_start() }}
    {%- endif %}
{%- endmacro %}

{#
  Time progress 序时进度: the target a month's actual is compared with. A flow indicator
  (seed kind = flow: fee income, contribution, new customers, which accumulate day by day)
  is compared with the month's target pro rata to the days the month covers,
  target × days / days_in_month (int_periods.days: from the month's first day, or the
  first loaded date of a history starting mid-month, to the as_of_date; so a finished,
  fully covered month gives the target itself, and the first month of a history starting
  on the 15th compares its 17 days of fees with 17/31 of the target). A level indicator
  (average balances, counts held, ratios) is not pro-rated. Decimal arithmetic, divided
  once: 31,000 × 10 / 31 = 10,000 exactly.
#}
{% macro kpi_target_to_date(target, kind, days, days_in_month) -%}
    case
        when {{ target }} is null then null
        -- rounded to the stored type here, so that completion uses the target_to_date shown
        when {{ kind }} = 'flow'
            then cast(cast({{ target }} as {{ kpi_number_type() }}) * {{ days }} / {{ days_in_month }}
                as {{ kpi_number_type() }})
        else cast({{ target }} as {{ kpi_number_type() }})
    end
{%- endmacro %}

{#
  The total of a manager's or a team's scorecard (aggregate over its indicator rows):
  Σ scores ÷ Σ weights of the indicators scored, so an indicator that does not apply (an
  NPL ratio without loans) neither adds nor costs anything and every total is on the same
  0 – 100 × cap scale (100: every scored target met exactly). Empty when nothing scored.
#}
{% macro kpi_total_score(score, weight) -%}
    case
        when sum(case when {{ score }} is not null then {{ weight }} end) > 0
            then sum({{ score }}) / sum(case when {{ score }} is not null then {{ weight }} end)
    end
{%- endmacro %}
