{#
  Generic tests on an incremental model check the rows the run wrote, not the whole
  history: a daily run's cost must not grow with the length of the history (spec section
  8). dbt's own get_where_subquery (the test's `where` config) is kept, and when the run
  has a window (CRMWH_MIN_DATE / CRMWH_MAX_DATE, macros/windows.sql) and the tested model is
  `replace_window`, its rows are narrowed to those the strategy replaced:
    window_column in the window (by month for window_grain='month'; open-ended with
    window_open_end), or, with unique_key_since, every row whose `since` column reaches the
    window (the rows a key delete may re-emit).
  A build without a window (a full build) tests everything. Singular tests (dbt/tests) say
  their own window where it matters.
#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set window = test_window_condition() -%}
    {%- set conditions = [] -%}
    {%- if where %}{% do conditions.append('(' ~ where ~ ')') %}{% endif -%}
    {%- if window %}{% do conditions.append(window) %}{% endif -%}
    {%- if conditions -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ conditions | join(' and ') }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}

{% macro test_window_condition() -%}
    {%- if not execute or not window_bound('min_date', '') -%}
        {{ return('') }}
    {%- endif -%}
    {%- set attached = model.get('attached_node') -%}
    {%- set node = graph.nodes.get(attached) if attached else none -%}
    {%- if node is none
        or node.config.materialized != 'incremental'
        or node.config.get('incremental_strategy') != 'replace_window'
        or not node.config.get('window_column') -%}
        {{ return('') }}
    {%- endif -%}
    {%- set cfg = node.config -%}
    {%- if cfg.get('unique_key_since') -%}
        {{ return(cfg.get('unique_key_since') ~ ' >= ' ~ window_start()) }}
    {%- endif -%}
    {%- set column = cfg.get('window_column') -%}
    {%- set start = month_window_start() if cfg.get('window_grain') == 'month' else window_start() -%}
    {%- set condition = column ~ ' >= ' ~ start -%}
    {%- if not cfg.get('window_open_end') -%}
        {%- set condition = condition ~ ' and ' ~ column ~ ' < ' ~ window_end() -%}
    {%- endif -%}
    {{ return(condition) }}
{%- endmacro %}
