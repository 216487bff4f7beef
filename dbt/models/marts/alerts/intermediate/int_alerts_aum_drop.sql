{#
  Alert AUM_DROP, churn warning (docs/alerts.md): the party's AUM ADB over the recent
  window [d − R + 1, d + 1) is below its ADB over the previous window
  [d − R − B + 1, d − R + 1) by at least min_drop_share of the previous ADB and at least
  min_drop_cny (R = recent_days 30, B = base_days 90: [d−29, d] against [d−119, d−30]).
  AUM: the is_aum accounts of the party as they stood on each day. Dates whose windows
  reach before the warehouse's first date are not evaluated (balances before it are
  unknown, not 0). Thresholds of the party's segment (personal | corporate; window lengths
  are common). A state rule: fires on entry (not in the state on the previous loaded
  date); the parties in the state on the first date evaluated are the opening state
  (is_baseline = true): nothing was seen before it.

  Compared on 积数 (Σ balance × days, exact decimals) rather than on the averages:
  drop × R × B = base积数 × R − recent积数 × B.
#}
{{ config(
    materialized='incremental',
    incremental_strategy='replace_window',
    window_column='as_of_date',
    on_schema_change='fail',
    tags=['monthly'],
) }}

with parameters as (
    {{ alert_parameters('AUM_DROP', days=['recent_days', 'base_days']) }}
),

thresholds as (
    {{ alert_segment_parameters('AUM_DROP', values=['min_drop_share', 'min_drop_cny']) }}
),

-- the first loaded date whose windows lie in the history: the opening state is recorded there
first_evaluated as (
    select min(a.biz_date) as first_evaluated_date
    from {{ ref('int_alert_dates') }} as a
    cross join parameters
    where {{ add_days('1 - parameters.recent_days - parameters.base_days', 'a.biz_date') }}
        >= a.first_date
),

-- the window's dates and the loaded date before each (the state an entry compares with)
{{ alert_window_dates() }}

-- the windows of each date, where they lie wholly in the history
dates as (
    select
        e.as_of_date,
        {{ add_days('1 - parameters.recent_days - parameters.base_days', 'e.as_of_date') }} as base_from,
        {{ add_days('1 - parameters.recent_days', 'e.as_of_date') }} as recent_from,
        {{ add_days(1, 'e.as_of_date') }} as recent_to
    from eval_dates as e
    cross join parameters
    cross join (select min(first_date) as history_from from {{ ref('int_alert_dates') }}) as h
    where {{ add_days('1 - parameters.recent_days - parameters.base_days', 'e.as_of_date') }}
        >= h.history_from
),

org_windows as (
    {{ party_aum_balance_days('dates',
        [('recent', 'recent_from', 'recent_to'), ('base', 'base_from', 'recent_from')],
        'base_from', 'recent_to') }}
),

parties as (
    select
        as_of_date,
        party_id,
        sum(recent_balance_days) as recent_balance_days,
        sum(base_balance_days) as base_balance_days
    from org_windows
    group by as_of_date, party_id
),

-- the organisation holding most of the party's AUM in the previous window
home_org as (
    select as_of_date, party_id, org_id
    from (
        select
            as_of_date,
            party_id,
            org_id,
            row_number() over (
                partition by as_of_date, party_id order by base_balance_days desc, org_id
            ) as pick
        from org_windows
    ) as ranked
    where pick = 1
),

states as (
    select
        p.as_of_date,
        p.party_id,
        t.min_drop_share,
        t.min_drop_cny,
        cast(p.recent_balance_days as double) / parameters.recent_days as recent_adb,
        cast(p.base_balance_days as double) / parameters.base_days as base_adb
    from parties as p
    cross join parameters
    left join {{ ref('dim_customer') }} as c on c.party_id = p.party_id
    inner join thresholds as t on t.segment = {{ alert_party_segment('c.party_kind') }}
    where p.base_balance_days * parameters.recent_days - p.recent_balance_days * parameters.base_days
            >= t.min_drop_share * p.base_balance_days * parameters.recent_days
        and p.base_balance_days * parameters.recent_days - p.recent_balance_days * parameters.base_days
            >= t.min_drop_cny * parameters.recent_days * parameters.base_days
),

entries as (
    select s.*, s.as_of_date = f.first_evaluated_date as is_baseline
    from states as s
    cross join first_evaluated as f
    inner join window_dates as w on w.as_of_date = s.as_of_date
    left join states as before
        on before.party_id = s.party_id and before.as_of_date = w.previous_date
    where before.party_id is null
)

select
    e.as_of_date,
    cast('AUM_DROP' as {{ dbt.type_string() }}) as rule_id,
    cast('customer' as {{ dbt.type_string() }}) as entity_type,
    e.party_id as entity_id,
    e.party_id,
    o.org_id,
    cast(null as {{ dbt.type_string() }}) as account_key,
    cast(null as {{ dbt.type_string() }}) as manager_id,
    cast(null as {{ dbt.type_string() }}) as txn_id,
    cast(e.base_adb - e.recent_adb as {{ money_type() }}) as metric_amount_cny,
    cast(e.base_adb as {{ money_type() }}) as base_amount_cny,
    cast((e.base_adb - e.recent_adb) / e.base_adb as {{ money_type() }}) as metric_ratio,
    cast(null as integer) as metric_days,
    e.min_drop_share as threshold_ratio,
    e.min_drop_cny as threshold_amount_cny,
    cast(null as integer) as threshold_days,
    {{ dbt.concat([
        "'AUM ADB '", format_amount('e.recent_adb'), "' CNY over '",
        as_text(add_days('1 - parameters.recent_days', 'e.as_of_date')), "'..'", as_text('e.as_of_date'),
        "' is '", format_amount('e.base_adb - e.recent_adb'), "' ('",
        format_percent('(e.base_adb - e.recent_adb) / e.base_adb'), "'%) below '",
        format_amount('e.base_adb'), "' over '",
        as_text(add_days('1 - parameters.recent_days - parameters.base_days', 'e.as_of_date')), "'..'",
        as_text(add_days('- parameters.recent_days', 'e.as_of_date')),
        "case when e.is_baseline then ' (opening state on the first date evaluated)' else '' end",
    ]) }} as detail,
    cast(null as {{ dbt.type_string() }}) as severity,
    e.is_baseline
from entries as e
cross join parameters
left join home_org as o on o.party_id = e.party_id and o.as_of_date = e.as_of_date
