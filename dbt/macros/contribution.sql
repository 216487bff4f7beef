{#
  Helpers of the contribution mart 贡献度 (docs/contribution.md).
#}

{# Days two or more half-open intervals [from, to) share: SQL expressions, lists of equal
   length. Negative when they do not meet (callers join on overlap first). #}
{% macro intersection_days(froms, tos) -%}
    {{ dbt.datediff('greatest(' ~ froms | join(', ') ~ ')', 'least(' ~ tos | join(', ') ~ ')', 'day') }}
{%- endmacro %}

{#
  The months a contribution model computes in this run (int_periods rows): every month the
  run's window touches, plus finished months whose inputs the window's data restates, so
  that those months are recomputed whole (models keyed unique_key='period_start' under
  replace_window: rows of a month the model emits replace that month's rows), never a
  month before the window's: those are closed and kept as computed (spec section 8; the
  monthly group's window starts at the first open month, marts/month_close.py):
    fee_reversals    months of fee transactions that a reversal of the window cancels (a
                     late reversal 冲正 takes the fee out of the month it was booked in)
    fee_supplements  periods of CRM fee entries with a row entered in the window, and the
                     periods of the earlier rows of those entries (a correction entered in
                     October for 202609 changes September; one moving an entry to another
                     period changes both)
#}
{% macro contribution_periods(restated_by=['fee_reversals']) -%}
    select *
    from {{ ref('int_periods') }}
    where {{ in_month_window('period_start') }}
    or (period_start >= {{ month_window_start() }} and (false
    {%- if 'fee_reversals' in restated_by %}
        or period in (
            select {{ period_of('original.biz_date') }}
            from {{ ref('fct_transaction') }} as reversal
            inner join {{ ref('fct_transaction') }} as original
                on original.txn_id = reversal.reversal_of
            where {{ in_window('reversal.biz_date') }} and original.is_fee
        )
    {%- endif %}
    {%- if 'fee_supplements' in restated_by %}
        or period in (
            select entries.period
            from {{ ref('stg_crm__fees') }} as entries
            where entries.entry_id in (
                select entry_id from {{ ref('stg_crm__fees') }} where {{ in_window('biz_date') }}
            )
        )
    {%- endif %}
    ))
{%- endmacro %}

{# The measures a contribution score model may rank (seed contribution_models, column
   factor, accepted values): columns of mart_customer_contribution. #}
{% macro contribution_score_factors() -%}
    {{ return(['aum_adb', 'deposit_adb', 'loan_adb', 'nii', 'fee_income', 'contribution', 'product_count']) }}
{%- endmacro %}

{# The number type of the contribution models' money and ranks: exact decimals, so sums do
   not depend on row order (doubles differ in the last digit between a split run and one
   run). 10 decimals: far below the presentation's 2. #}
{% macro contribution_number_type() -%}
    {{ money_type() }}
{%- endmacro %}
