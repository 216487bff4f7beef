{#
  Helpers of the alert rules (models/intermediate/alerts, mart_alerts).

  alert_parameters(rule_id, days=[], values=[]): the rule's parameters (seed
  alert_parameters) as one row, a column per parameter: day counts as integers, the rest
  as decimal(38, 6) (wide: products with balances stay exact). A select for a CTE, to
  cross join.
#}
{% macro alert_parameters(rule_id, days=[], values=[]) -%}
    select
    {%- for name in days %}
        cast(max(case when parameter = '{{ name }}' then value end) as integer) as {{ name }},
    {%- endfor %}
    {%- for name in values %}
        cast(max(case when parameter = '{{ name }}' then value end) as decimal(38, 6)) as {{ name }},
    {%- endfor %}
        count(*) as parameter_rows
    from {{ ref('alert_parameters') }}
    where rule_id = '{{ rule_id }}' and segment = 'all'
{%- endmacro %}

{#
  alert_segment_parameters(rule_id, values=[]): the rule's thresholds per party segment,
  one row per segment (personal, corporate) with a column `segment` and a column per
  parameter, decimal(38, 6): the seed row of the segment where there is one, else the row
  of segment `all`. A select for a CTE, to join on the party's segment
  (alert_party_segment). Window lengths (days) are not per segment: alert_parameters.
#}
{% macro alert_segment_parameters(rule_id, values=[]) -%}
    select
        s.segment,
    {%- for name in values %}
        cast(coalesce(
            max(case when p.parameter = '{{ name }}' and p.segment = s.segment then p.value end),
            max(case when p.parameter = '{{ name }}' and p.segment = 'all' then p.value end)
        ) as decimal(38, 6)) as {{ name }},
    {%- endfor %}
        count(*) as parameter_rows
    from (
        select cast('personal' as {{ dbt.type_string() }}) as segment
        union all
        select cast('corporate' as {{ dbt.type_string() }}) as segment
    ) as s
    inner join {{ ref('alert_parameters') }} as p
        on p.rule_id = '{{ rule_id }}' and p.segment in ('all', s.segment)
    group by s.segment
{%- endmacro %}

{#
  The segment of a party whose thresholds apply (alert_segment_parameters): its party kind
  (dim_customer.party_kind: personal | corporate); a party not (yet) known to the customer
  layer counts as personal, the stricter default of most banks' rules.
#}
{% macro alert_party_segment(party_kind) -%}
    coalesce({{ party_kind }}, 'personal')
{%- endmacro %}

{# The columns every alert model gives, in this order (mart_alerts unions them). severity:
   empty = the rule's (seed alert_rules); a rule whose severity depends on the threshold
   crossed (LOAN_OVERDUE) sets it. is_baseline: true for the opening state a state rule
   records on the first date it is evaluated (docs/alerts.md), false for firings. #}
{% macro alert_columns() -%}
    {{ return(['as_of_date', 'rule_id', 'entity_type', 'entity_id', 'party_id', 'org_id',
               'account_key', 'manager_id', 'txn_id', 'metric_amount_cny', 'base_amount_cny',
               'metric_ratio', 'metric_days', 'threshold_ratio', 'threshold_amount_cny',
               'threshold_days', 'detail', 'severity', 'is_baseline']) }}
{%- endmacro %}

{# A date `days` days after `date` (negative: before), as a date. `days` may be a column. #}
{% macro add_days(days, date) -%}
    cast({{ dbt.dateadd('day', days, date) }} as date)
{%- endmacro %}

{# Presentation text of the alert details: an amount with thousands separators and two
   decimals ('80,000.00'), a share as a whole percentage ('64'), a date ('2026-07-01'). #}
{% macro format_amount(expression) -%}
    {{ return(adapter.dispatch('format_amount', 'crmwh')(expression)) }}
{%- endmacro %}

{% macro default__format_amount(expression) -%}
    format('{:,.2f}', cast({{ expression }} as double))
{%- endmacro %}

{% macro spark__format_amount(expression) -%}
    format_number(cast({{ expression }} as double), 2)
{%- endmacro %}

{% macro format_percent(ratio) -%}
    {{ return(adapter.dispatch('format_percent', 'crmwh')(ratio)) }}
{%- endmacro %}

{% macro default__format_percent(ratio) -%}
    format('{:.0f}', cast({{ ratio }} as double) * 100)
{%- endmacro %}

{% macro spark__format_percent(ratio) -%}
    format_number(cast({{ ratio }} as double) * 100, 0)
{%- endmacro %}

{% macro as_text(expression) -%}
    cast({{ expression }} as {{ dbt.type_string() }})
{%- endmacro %}

{#
  Σ balance_cny × days of each party's AUM accounts over windows relative to each date of
  `dates`, per date, party and organisation (ADB = this / days of the window). Accounts as
  they stood on each day (dim_account_history: is_aum, party, organisation), balances from
  fct_balance intervals with overlap_days: never a row per account and day.
    dates      relation (CTE) with as_of_date and the windows' bound columns
    windows    list of (name, from_column, to_column): half-open [from, to) per date;
               gives the column <name>_balance_days
    cover_from, cover_to   columns of `dates` covering every window of the date
    parties    optional relation with party_id: only these parties
  A select, for a CTE.
#}
{% macro party_aum_balance_days(dates, windows, cover_from, cover_to, parties=none) -%}
    select
        d.as_of_date,
        p.party_id,
        p.org_id,
        {%- for name, from_column, to_column in windows %}
        sum(p.balance_cny * greatest({{ overlap_days('p.piece_from', 'p.piece_to',
            'd.' ~ from_column, 'd.' ~ to_column) }}, 0)) as {{ name }}_balance_days
        {{- ',' if not loop.last }}
        {%- endfor %}
    from (
        -- each balance stretch cut by the account's versions
        select
            h.party_id,
            h.org_id,
            b.balance_cny,
            greatest(b.valid_from, h.valid_from) as piece_from,
            least(b.valid_to, h.valid_to) as piece_to
        from {{ ref('fct_balance') }} as b
        inner join {{ ref('dim_account_history') }} as h
            on h.account_key = b.account_key
            and h.valid_from < b.valid_to and h.valid_to > b.valid_from
        cross join (
            select min({{ cover_from }}) as span_from, max({{ cover_to }}) as span_to
            from {{ dates }}
        ) as span
        where h.is_aum
            and h.party_id is not null
            and b.balance_cny <> 0
            and b.valid_from < span.span_to and b.valid_to > span.span_from
            and h.valid_from < span.span_to and h.valid_to > span.span_from
            {%- if parties %}
            and h.party_id in (select party_id from {{ parties }})
            {%- endif %}
    ) as p
    inner join {{ dates }} as d
        on p.piece_from < d.{{ cover_to }} and p.piece_to > d.{{ cover_from }}
    group by d.as_of_date, p.party_id, p.org_id
{%- endmacro %}

{#
  alert_window_dates(): two CTEs for a rule model, `window_dates` (the run's loaded dates,
  each with the loaded date before it) and `eval_dates` (those dates and the dates
  before them: the state an entry compares with). Ends with a comma.
#}
{% macro alert_window_dates() -%}
window_dates as (
    select biz_date as as_of_date, previous_date
    from {{ ref('int_alert_dates') }}
    where {{ in_window('biz_date') }}
),

eval_dates as (
    select as_of_date from window_dates
    union
    select previous_date as as_of_date from window_dates where previous_date is not null
),
{%- endmacro %}
