{#
  Alert LOAN_OVERDUE, credit risk 信贷风险预警 (docs/alerts.md): a loan (products.is_loan)
  whose overdue days reach a threshold of the seed alert_loan_overdue_thresholds
  (defaults 30 and 90 days), crossed on the first day the value reaches it (≥). The loan's
  level on a date is the highest threshold its overdue_days reach (none below the lowest).
  A state rule per level: fires on the first loaded date the level is higher than on the
  loaded date before (29 → 30 fires at 30, 89 → 90 at 90, 0 → 95 once at 90; 95 → 40 does
  not fire, and 40 → 90 again does), with the severity of the threshold crossed. The loans
  already overdue on the warehouse's first loaded date are its opening state: rows with
  is_baseline = true, not firings.

  Cost follows the window: overdue days change only where a version of
  dim_account_history starts, so only the versions starting on the window's dates are
  read (on the first date every loan's first version), each with the version of the same
  account valid on the loaded date before.
#}
{{ config(
    materialized='incremental',
    incremental_strategy='replace_window',
    window_column='as_of_date',
    on_schema_change='fail',
    tags=['monthly'],
) }}

with thresholds as (
    select cast(overdue_days as integer) as overdue_days, severity
    from {{ ref('alert_loan_overdue_thresholds') }}
),

-- the window's dates and the loaded date before each (the state an entry compares with)
{{ alert_window_dates() }}

changed as (
    select
        w.as_of_date,
        w.previous_date,
        w.as_of_date = d.first_date as is_baseline,
        h.account_key,
        h.party_id,
        h.org_id,
        h.overdue_days
    from window_dates as w
    inner join {{ ref('int_alert_dates') }} as d on d.biz_date = w.as_of_date
    inner join {{ ref('dim_account_history') }} as h
        on h.valid_from = w.as_of_date
    where h.is_loan
        and h.overdue_days is not null
),

-- the highest threshold reached on the date, and on the loaded date before (among those
-- reached on the date: a level that fell is not compared upward)
levels as (
    select
        c.as_of_date,
        c.previous_date,
        c.is_baseline,
        c.account_key,
        c.party_id,
        c.org_id,
        c.overdue_days,
        before.overdue_days as previous_overdue_days,
        max(t.overdue_days) as level_days,
        max(case when t.overdue_days <= before.overdue_days then t.overdue_days end)
            as previous_level_days
    from changed as c
    inner join thresholds as t on t.overdue_days <= c.overdue_days
    left join {{ ref('dim_account_history') }} as before
        on before.account_key = c.account_key
        and before.valid_from <= c.previous_date and before.valid_to > c.previous_date
    group by
        c.as_of_date, c.previous_date, c.is_baseline, c.account_key, c.party_id, c.org_id,
        c.overdue_days, before.overdue_days
),

entries as (
    select
        l.*,
        t.severity,
        coalesce(b.balance_cny, 0) as balance_cny
    from levels as l
    inner join thresholds as t on t.overdue_days = l.level_days
    left join {{ ref('fct_balance') }} as b
        on b.account_key = l.account_key
        and b.valid_from <= l.as_of_date and b.valid_to > l.as_of_date
    where l.level_days > coalesce(l.previous_level_days, 0)
)

select
    as_of_date,
    cast('LOAN_OVERDUE' as {{ dbt.type_string() }}) as rule_id,
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
    cast(overdue_days as integer) as metric_days,
    cast(null as decimal(38, 6)) as threshold_ratio,
    cast(null as decimal(38, 6)) as threshold_amount_cny,
    cast(level_days as integer) as threshold_days,
    {{ dbt.concat([
        "'overdue '", as_text('overdue_days'), "' days (threshold '", as_text('level_days'),
        "' days; '",
        "case when previous_overdue_days is null then 'no overdue days before'"
            ~ " else " ~ dbt.concat(["'overdue '", as_text('previous_overdue_days'),
            "' days on '", as_text('previous_date')]) ~ " end",
        "'), balance '", format_amount('balance_cny'), "' CNY'",
        "case when is_baseline then ' (opening state on the first loaded date)' else '' end",
    ]) }} as detail,
    cast(severity as {{ dbt.type_string() }}) as severity,
    is_baseline
from entries
