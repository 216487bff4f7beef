{#
  How many month steps mart_vip_tier chains (one CTE per finished month from the start of
  the run's month window, open end: the tier of a month depends on every month before it).
  Read from int_periods when the model runs. A unit test compiles against fixtures the
  warehouse does not hold, so it chains a fixed number of steps (var vip_unit_test_steps,
  default 12); steps beyond the months present produce no rows, so any number at least the
  fixture's month count gives the same result. Before int_periods exists (dbt compile on an
  empty warehouse) one step.
#}
{% macro vip_month_steps() -%}
    {%- if not execute -%}
        {{ return(1) }}
    {%- endif -%}
    {%- if model.resource_type == 'unit_test' -%}
        {{ return(var('vip_unit_test_steps', 12)) }}
    {%- endif -%}
    {%- if load_relation(ref('int_periods')) is none -%}
        {{ return(1) }}
    {%- endif -%}
    {%- set query -%}
        select count(*) from {{ ref('int_periods') }}
        where is_finished and period_start >= {{ month_window_start() }}
    {%- endset -%}
    {%- set months = run_query(query).columns[0].values()[0] | int -%}
    {{ return([months, 1] | max) }}
{%- endmacro %}
