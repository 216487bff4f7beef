{#
  Alert FIVE_CLASS_DOWN, credit risk 信贷风险预警 (docs/alerts.md): a loan (products.is_loan)
  whose five-level class 五级分类 (1 normal … 5 loss) on a loaded date d is worse (higher)
  than on the loaded date before. An event rule: every downgrade fires once, on the date
  the core delivers it; an upgrade (3 → 2) or an unchanged class does not. A loan first
  delivered on d has no class before: nothing to compare, no alert. The warehouse's first
  date has no date before: not evaluated.

  Cost follows the window: a change of class starts a version of dim_account_history on
  the date it is delivered, so only the versions starting on the window's dates are read,
  each with the version of the same account valid on the loaded date before.
#}
{{ config(
    materialized='incremental',
    incremental_strategy='replace_window',
    window_column='as_of_date',
    on_schema_change='fail',
    tags=['monthly'],
) }}

-- the window's dates and the loaded date before each (what the class is compared with)
with {{ alert_window_dates() }}

changed as (
    select
        w.as_of_date,
        w.previous_date,
        h.account_key,
        h.party_id,
        h.org_id,
        cast(h.five_class as integer) as five_class
    from window_dates as w
    inner join {{ ref('dim_account_history') }} as h
        on h.valid_from = w.as_of_date
    where w.previous_date is not null
        and h.is_loan
        and h.five_class is not null
),

downgrades as (
    select
        c.*,
        cast(before.five_class as integer) as previous_five_class
    from changed as c
    inner join {{ ref('dim_account_history') }} as before
        on before.account_key = c.account_key
        and before.valid_from <= c.previous_date and before.valid_to > c.previous_date
    where before.five_class is not null
        and c.five_class > cast(before.five_class as integer)
),

with_balance as (
    select
        d.*,
        coalesce(b.balance_cny, 0) as balance_cny
    from downgrades as d
    left join {{ ref('fct_balance') }} as b
        on b.account_key = d.account_key
        and b.valid_from <= d.as_of_date and b.valid_to > d.as_of_date
)

select
    as_of_date,
    cast('FIVE_CLASS_DOWN' as {{ dbt.type_string() }}) as rule_id,
    cast('account' as {{ dbt.type_string() }}) as entity_type,
    account_key as entity_id,
    party_id,
    org_id,
    account_key,
    cast(null as {{ dbt.type_string() }}) as manager_id,
    cast(null as {{ dbt.type_string() }}) as txn_id,
    cast(balance_cny as {{ money_type() }}) as metric_amount_cny,
    cast(null as {{ money_type() }}) as base_amount_cny,
    cast(null as {{ money_type() }}) as metric_ratio,
    cast(null as integer) as metric_days,
    cast(null as decimal(38, 6)) as threshold_ratio,
    cast(null as decimal(38, 6)) as threshold_amount_cny,
    cast(null as integer) as threshold_days,
    {{ dbt.concat([
        "'five-level class '", as_text('previous_five_class'), "' -> '", as_text('five_class'),
        "' (since '", as_text('previous_date'), "'), balance '", format_amount('balance_cny'),
        "' CNY'",
    ]) }} as detail,
    cast(null as {{ dbt.type_string() }}) as severity,
    false as is_baseline
from with_balance
