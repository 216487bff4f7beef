{#
  Average daily balance from balance intervals (ADB = Σ_{d∈W} EOD(d) / |W|, balances
  carried forward, 0 before opening and after closing).

  `overlap_days` is the number of days of an interval [valid_from, valid_to) inside a window
  [window_from, window_to): an interval's 积数 in that window is balance × overlap_days.
  Arguments are SQL expressions (columns or literals), so windows may come from a table.
#}
{% macro overlap_days(valid_from, valid_to, window_from, window_to) -%}
    {{ dbt.datediff(
        'greatest(' ~ valid_from ~ ', ' ~ window_from ~ ')',
        'least(' ~ valid_to ~ ', ' ~ window_to ~ ')',
        'day') }}
{%- endmacro %}

{#
  ADB of every account with a balance in [window_from, window_to), in currency and in CNY:
  a select to use as a CTE or subquery. Accounts without any day in the window are absent
  (their ADB is 0).
#}
{% macro account_adb(window_from, window_to, balances=none) -%}
    {%- set balances = balances or ref('fct_balance') -%}
    select
        account_key,
        sum(balance * {{ overlap_days('valid_from', 'valid_to', window_from, window_to) }})
            / {{ dbt.datediff(window_from, window_to, 'day') }} as adb,
        sum(balance_cny * {{ overlap_days('valid_from', 'valid_to', window_from, window_to) }})
            / {{ dbt.datediff(window_from, window_to, 'day') }} as adb_cny
    from {{ balances }}
    where valid_from < {{ window_to }} and valid_to > {{ window_from }}
    group by account_key
{%- endmacro %}
