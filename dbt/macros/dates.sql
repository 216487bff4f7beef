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

{# A date's month as the marts' `period` text, 'YYYYMM' (as in CRM_TARGET). #}
{% macro period_of(date_column) -%}
    {{ return(adapter.dispatch('period_of', 'crmwh')(date_column)) }}
{%- endmacro %}

{% macro default__period_of(date_column) -%}
    strftime({{ date_column }}, '%Y%m')
{%- endmacro %}

{% macro spark__period_of(date_column) -%}
    date_format({{ date_column }}, 'yyyyMM')
{%- endmacro %}

{# Completed years between two dates (an age): the year difference, less one before the
   birthday of that year. #}
{% macro age_in_years(birth_date, on_date) -%}
    (extract(year from {{ on_date }}) - extract(year from {{ birth_date }})
        - case when extract(month from {{ on_date }}) * 100 + extract(day from {{ on_date }})
            < extract(month from {{ birth_date }}) * 100 + extract(day from {{ birth_date }})
            then 1 else 0 end)
{%- endmacro %}
