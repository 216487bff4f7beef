{#
  Alert DORMANT (docs/alerts.md): a demand account (seed alert_rule_products) with an
  end-of-day balance above 0 and no customer-initiated transaction for inactive_days
  (N): d − last activity ≥ N, the opening date counting as activity; reversed
  transactions do not count. A state rule: it fires on entry, the first date the account
  is dormant when it was not on the previous loaded date.

  History before the warehouse's first date h is unknown. An account opened before h
  without activity since is dormant from h + N − 1 on (N days of history without
  activity); before that the core system's own flag stands in: acct_status 3 (久悬, set
  by the core after a year without activity). So the warehouse's first date reports the
  accounts already dormant there.

  Cost follows the window: the activity of N days before the window's dates, and one row
  per dormant account and date. Dormant stretches come from the activity dates:
  after an activity t, [t + N, next activity); before the first activity of the look-back,
  [max(h + N − 1, opened + N), first activity), and the core's flag on
  [opened + N, min(h + N − 1, first activity)).
#}
{{ config(
    materialized='incremental',
    incremental_strategy='replace_window',
    window_column='as_of_date',
    on_schema_change='fail',
    tags=['monthly'],
) }}

with parameters as (
    {{ alert_parameters('DORMANT', days=['inactive_days']) }}
),

products as (
    select product_code from {{ ref('alert_rule_products') }} where rule_id = 'DORMANT'
),

-- the window's dates and the loaded date before each (the state an entry compares with)
{{ alert_window_dates() }}

bounds as (
    select
        e.eval_from,
        e.eval_last,
        h.history_from,
        parameters.inactive_days,
        -- activity on or after this day matters to the dates evaluated
        {{ add_days('1 - parameters.inactive_days', 'e.eval_from') }} as lookback_from,
        -- from this day on, the history holds N days before it
        {{ add_days('parameters.inactive_days - 1', 'h.history_from') }} as known_from
    from (select min(as_of_date) as eval_from, max(as_of_date) as eval_last from eval_dates) as e
    cross join (select min(first_date) as history_from from {{ ref('int_alert_dates') }}) as h
    cross join parameters
),

accounts as (
    select h.account_key, max(h.open_date) as open_date
    from {{ ref('dim_account_history') }} as h
    inner join products as p on p.product_code = h.product_code
    cross join bounds
    where h.valid_from <= bounds.eval_last and h.valid_to > bounds.eval_from
    group by h.account_key
),

activity as (
    select distinct t.account_key, t.biz_date as activity_date
    from {{ ref('fct_transaction') }} as t
    inner join accounts as a on a.account_key = t.account_key
    cross join bounds
    where t.is_customer_initiated
        and not t.is_reversed
        and t.biz_date >= bounds.lookback_from
        and t.biz_date <= bounds.eval_last
),

activity_runs as (
    select
        account_key,
        activity_date,
        lead(activity_date) over (partition by account_key order by activity_date)
            as next_activity_date
    from activity
),

first_activity as (
    select account_key, min(activity_date) as first_activity_date
    from activity
    group by account_key
),

quiet as (
    -- after an activity, until the next one
    select
        r.account_key,
        'inactivity' as basis,
        r.activity_date as last_activity_date,
        {{ add_days('bounds.inactive_days', 'r.activity_date') }} as quiet_from,
        coalesce(r.next_activity_date, {{ open_end() }}) as quiet_to
    from activity_runs as r
    cross join bounds

    union all

    -- before the first activity of the look-back (or without any): known once the history
    -- holds N days, and N days after opening; the opening date is the last activity if
    -- it lies in the history and the look-back
    select
        a.account_key,
        'inactivity' as basis,
        case when a.open_date >= bounds.history_from and a.open_date >= bounds.lookback_from
            then a.open_date end as last_activity_date,
        greatest(
            bounds.eval_from,
            bounds.known_from,
            coalesce({{ add_days('bounds.inactive_days', 'a.open_date') }}, bounds.eval_from)
        ) as quiet_from,
        coalesce(f.first_activity_date, {{ open_end() }}) as quiet_to
    from accounts as a
    left join first_activity as f on f.account_key = a.account_key
    cross join bounds

    union all

    -- before the history holds N days: the core's dormancy flag stands in
    select
        a.account_key,
        'core_status' as basis,
        cast(null as date) as last_activity_date,
        greatest(
            bounds.eval_from,
            coalesce({{ add_days('bounds.inactive_days', 'a.open_date') }}, bounds.eval_from)
        ) as quiet_from,
        least(bounds.known_from, coalesce(f.first_activity_date, {{ open_end() }})) as quiet_to
    from accounts as a
    left join first_activity as f on f.account_key = a.account_key
    cross join bounds
),

quiet_days as (
    select q.account_key, q.basis, q.last_activity_date, e.as_of_date
    from quiet as q
    inner join eval_dates as e
        on e.as_of_date >= q.quiet_from and e.as_of_date < q.quiet_to
),

-- dormant on the day: in scope that day, a balance above 0, and (stand-in) flagged 3 久悬
states as (
    select
        q.as_of_date,
        q.account_key,
        q.basis,
        q.last_activity_date,
        h.party_id,
        h.org_id,
        h.open_date,
        b.balance_cny
    from quiet_days as q
    inner join {{ ref('dim_account_history') }} as h
        on h.account_key = q.account_key
        and h.valid_from <= q.as_of_date and h.valid_to > q.as_of_date
    inner join products as p on p.product_code = h.product_code
    inner join {{ ref('fct_balance') }} as b
        on b.account_key = q.account_key
        and b.valid_from <= q.as_of_date and b.valid_to > q.as_of_date
    where b.balance_cny > 0
        and (q.basis = 'inactivity' or h.acct_status = '3')
),

entries as (
    select s.*, s.as_of_date = bounds.history_from as is_baseline
    from states as s
    cross join bounds
    inner join window_dates as w on w.as_of_date = s.as_of_date
    left join states as before
        on before.account_key = s.account_key and before.as_of_date = w.previous_date
    where before.account_key is null
)

select
    e.as_of_date,
    cast('DORMANT' as {{ dbt.type_string() }}) as rule_id,
    cast('account' as {{ dbt.type_string() }}) as entity_type,
    e.account_key as entity_id,
    e.party_id,
    e.org_id,
    e.account_key,
    cast(null as {{ dbt.type_string() }}) as manager_id,
    cast(null as {{ dbt.type_string() }}) as txn_id,
    cast(e.balance_cny as {{ money_type() }}) as metric_amount_cny,
    cast(null as {{ money_type() }}) as base_amount_cny,
    cast(null as {{ money_type() }}) as metric_ratio,
    cast({{ dbt.datediff('e.last_activity_date', 'e.as_of_date', 'day') }} as integer) as metric_days,
    cast(null as decimal(38, 6)) as threshold_ratio,
    cast(null as decimal(38, 6)) as threshold_amount_cny,
    bounds.inactive_days as threshold_days,
    {{ dbt.concat([
        "'balance '", format_amount('e.balance_cny'), "' CNY, '",
        "case"
        ~ " when e.basis = 'core_status' then " ~ dbt.concat([
            "'no customer-initiated transaction since '", as_text('bounds.history_from'),
            "' (the first date of the warehouse; opened '",
            "coalesce(" ~ as_text('e.open_date') ~ ", 'on an unknown date')",
            "'), flagged dormant 久悬 by the core system'"])
        ~ " when e.last_activity_date is not null then " ~ dbt.concat([
            "'no customer-initiated transaction for '",
            as_text(dbt.datediff('e.last_activity_date', 'e.as_of_date', 'day')),
            "' days (last activity '", as_text('e.last_activity_date'), "')'"])
        ~ " else " ~ dbt.concat([
            "'no customer-initiated transaction in the last '", as_text('bounds.inactive_days'),
            "' days'"])
        ~ " end",
        "case when e.is_baseline then ' (opening state on the first loaded date)' else '' end",
    ]) }} as detail,
    cast(null as {{ dbt.type_string() }}) as severity,
    e.is_baseline
from entries as e
cross join bounds
