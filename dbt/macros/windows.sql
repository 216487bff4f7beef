{# The business-date window of an incremental run, half-open: [var min_date, var max_date). #}
{% macro window_start() -%}
    cast('{{ var("min_date") }}' as date)
{%- endmacro %}

{% macro window_end() -%}
    cast('{{ var("max_date") }}' as date)
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
