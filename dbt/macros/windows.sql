{#
  The business-date window of an incremental run, half-open: [min_date, max_date).
  `--vars` wins; else the orchestrator's CRMWH_MIN_DATE / CRMWH_MAX_DATE; else every date.
  The environment is read at execution only: a window passed as --vars changes dbt's
  config, which costs a full re-parse of the project (~9 s) in every dbt call. So never
  use these macros inside config(): config is fixed at parse time, with the defaults.
#}
{% macro window_bound(name, default) -%}
    {%- set value = var(name, none) -%}
    {%- if value is none and execute -%}
        {%- set value = env_var('CRMWH_' ~ name | upper, '') -%}
    {%- endif -%}
    {{- value or default -}}
{%- endmacro %}

{% macro window_start() -%}
    cast('{{ window_bound("min_date", "1900-01-01") }}' as date)
{%- endmacro %}

{% macro window_end() -%}
    cast('{{ window_bound("max_date", "9999-12-31") }}' as date)
{%- endmacro %}

{% macro in_window(column) -%}
    ({{ column }} >= {{ window_start() }} and {{ column }} < {{ window_end() }})
{%- endmacro %}

{#
  Monthly models (tag `monthly`) replace whole months: every month the window [min_date,
  max_date) touches, from the first day of min_date's month. `period_start` is the first
  day of a month (column of every monthly model).
#}
{% macro month_window_start() -%}
    {{ dbt.date_trunc('month', window_start()) }}
{%- endmacro %}

{% macro in_month_window(period_start) -%}
    ({{ period_start }} >= {{ month_window_start() }} and {{ period_start }} < {{ window_end() }})
{%- endmacro %}

{# The open end of a zipper row or an interval: valid_to = 9999-12-31. #}
{% macro open_end() -%}
    cast('9999-12-31' as date)
{%- endmacro %}
