{#
  Incremental strategy `replace_window`: the run's business-date window replaces what the
  table held for it, so re-running a window, or a restated batch, gives what a full
  refresh gives (never a blind append).

  config:
    window_column           rows whose column lies in [min_date, max_date) are deleted
    window_grain            'day' (default) or 'month': the column holds the first day of
                            a month, and every month the window touches is deleted
    window_open_end         true: every row from the window's start on is deleted (state
                            carried month to month, e.g. VIP tiers: a restated month
                            changes every later one)
    unique_key              rows sharing a key with the new rows are deleted too (rows of
                            other dates the window's data re-states, e.g. an original
                            transaction marked reversed by a later reversal)
    unique_key_since        that key delete keeps rows whose column lies before the
                            window (e.g. `valid_to`: stretches that ended before it)
    incremental_predicates  extra conditions on that key delete ("DBT_INTERNAL_DEST" is
                            not used: columns of the target are named bare)
  The window is read here, at execution: a config() value is fixed when dbt parses the
  project, before the run's window is known (macros/windows.sql).
  then the new rows are inserted. One transaction (dbt's): readers never see a half-window.
#}
{% macro get_incremental_replace_window_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set unique_key = arg_dict['unique_key'] -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    {%- set window_column = config.get('window_column') -%}
    {%- if not window_column and not unique_key -%}
        {{ exceptions.raise_compiler_error("replace_window needs window_column or unique_key") }}
    {%- endif -%}
    {%- if window_column %}
    {%- set grain = config.get('window_grain', 'day') %}
    {%- set start = month_window_start() if grain == 'month' else window_start() %}
    delete from {{ target }} where {{ window_column }} >= {{ start }}
        {%- if not config.get('window_open_end', false) %} and {{ window_column }} < {{ window_end() }}{% endif %};
    {%- endif %}
    {%- if unique_key %}
    delete from {{ target }}
    where {{ unique_key }} in (select {{ unique_key }} from {{ source }})
    {%- if config.get('unique_key_since') %}
        and {{ config.get('unique_key_since') }} >= {{ window_start() }}
    {%- endif %}
    {%- for predicate in arg_dict['incremental_predicates'] or [] %}
        and {{ predicate }}
    {%- endfor %};
    {%- endif %}
    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ source }};
{%- endmacro %}
