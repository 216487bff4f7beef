{#
  The columns an account snapshot carries across the seven legacy systems: the contract's
  common fields, then each system's extra fields (null where a system has none); both
  lists are generated from contract/extracts.py (macros/staging_columns.sql).
#}
{# select of one system's staging accounts with every extra column, typed, nulls for
   the fields it does not have #}
{% macro account_snapshot_select(sys, extras) -%}
    select
        sys,
        biz_date,
        source_version,
        source_line,
        {{ acct_common_columns() }},
        {%- for column, type in acct_extra_columns().items() %}
        {% if column in extras %}cast({{ column }} as {{ type }}){% else %}cast(null as {{ type }}){% endif %} as {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ ref('stg_' ~ sys ~ '__accts') }}
    {%- if is_incremental() %}
    where {{ in_window('biz_date') }}
    {%- endif %}
{%- endmacro %}

{# the columns as one text (nulls shown as '-'), to hash a row's attributes #}
{% macro attributes_text(columns) -%}
    concat_ws('|'
    {%- for column in columns -%}
        , coalesce(cast({{ column }} as {{ dbt.type_string() }}), '-')
    {%- endfor -%})
{%- endmacro %}
