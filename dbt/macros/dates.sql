{# 'YYYYMMDD' text (the contract's business dates, the raw zone's partition values)
   to a date, per engine. #}
{% macro yyyymmdd_to_date(column) -%}
    {{ return(adapter.dispatch('yyyymmdd_to_date', 'crmwh')(column)) }}
{%- endmacro %}

{% macro default__yyyymmdd_to_date(column) -%}
    cast(strptime({{ column }}, '%Y%m%d') as date)
{%- endmacro %}

{% macro spark__yyyymmdd_to_date(column) -%}
    to_date({{ column }}, 'yyyyMMdd')
{%- endmacro %}
