{#
  Alert OUTFLOW_OTHER_BANK (docs/alerts.md): money leaving for other banks over
  [d − O + 1, d + 1) reaches min_share_of_aum of the party's AUM ADB over [d − B + 1, d + 1)
  and min_outflow_cny (O = outflow_days 30, B = base_days 90: the flows of [d−29, d]
  against the ADB of [d−89, d]), thresholds of the party's segment. Personal parties: the
  gross transfers out (fct_transaction.is_outflow_other_bank, not reversed). Corporate
  parties: the NET outflow, transfers out − transfers in from other banks (a credit with a
  code flagged is_interbank_transfer, seed txn_codes, whose counterparty bank code is not
  one of ours, seed own_bank_codes: the mirror of is_outflow_other_bank, derived here):
  a company's current account pays suppliers at other banks and is paid by customers from
  them every day; only money that leaves and does not come back is a warning. Dates whose
  windows reach before the warehouse's first date are not evaluated. A party without AUM in
  the window (money through the bank the same day) fires on the amount alone. A state rule:
  fires on entry (not in the state on the previous loaded date); the parties in the state
  on the first date evaluated are the opening state (is_baseline = true).

  Cheap first: only parties whose outflows reach the smallest min_outflow_cny get their
  ADB computed; compared exactly on 积数: outflow × B ≥ share × AUM 积数.
#}
{{ config(
    materialized='incremental',
    incremental_strategy='replace_window',
    window_column='as_of_date',
    on_schema_change='fail',
    tags=['monthly'],
) }}

with parameters as (
    {{ alert_parameters('OUTFLOW_OTHER_BANK', days=['outflow_days', 'base_days']) }}
),

thresholds as (
    {{ alert_segment_parameters('OUTFLOW_OTHER_BANK', values=['min_share_of_aum', 'min_outflow_cny']) }}
),

-- the first loaded date whose windows lie in the history: the opening state is recorded there
first_evaluated as (
    select min(a.biz_date) as first_evaluated_date
    from {{ ref('int_alert_dates') }} as a
    cross join parameters
    where {{ add_days('1 - parameters.outflow_days', 'a.biz_date') }} >= a.first_date
        and {{ add_days('1 - parameters.base_days', 'a.biz_date') }} >= a.first_date
),

-- the window's dates and the loaded date before each (the state an entry compares with)
{{ alert_window_dates() }}

-- the windows of each date, where they lie wholly in the history
dates as (
    select
        e.as_of_date,
        {{ add_days('1 - parameters.outflow_days', 'e.as_of_date') }} as outflow_from,
        {{ add_days('1 - parameters.base_days', 'e.as_of_date') }} as base_from,
        {{ add_days(1, 'e.as_of_date') }} as window_to
    from eval_dates as e
    cross join parameters
    cross join (select min(first_date) as history_from from {{ ref('int_alert_dates') }}) as h
    where {{ add_days('1 - parameters.outflow_days', 'e.as_of_date') }} >= h.history_from
        and {{ add_days('1 - parameters.base_days', 'e.as_of_date') }} >= h.history_from
),

-- transfers out to other banks, and (for the corporate net) in from other banks
transfers as (
    select
        t.account_key,
        t.biz_date,
        case when t.is_outflow_other_bank then t.amount_cny else 0 end as out_cny,
        case when t.is_outflow_other_bank then 0 else t.amount_cny end as in_cny,
        case when t.is_outflow_other_bank then 1 else 0 end as out_count
    from {{ ref('fct_transaction') }} as t
    left join {{ ref('txn_codes') }} as codes on codes.txn_code = t.txn_code
    left join {{ ref('own_bank_codes') }} as own on own.bank_code = t.cp_bank_code
    cross join (select min(outflow_from) as span_from, max(window_to) as span_to from dates) as span
    where not t.is_reversed
        and t.biz_date >= span.span_from
        and t.biz_date < span.span_to
        and (
            t.is_outflow_other_bank
            or (
                coalesce(codes.is_interbank_transfer, false)
                and t.dr_cr = 'C'
                and t.cp_bank_code is not null
                and own.bank_code is null
                and not t.is_reversal
            )
        )
),

org_outflows as (
    select
        d.as_of_date,
        h.party_id,
        h.org_id,
        sum(t.out_cny) as out_cny,
        sum(t.in_cny) as in_cny,
        sum(t.out_count) as transfer_count
    from transfers as t
    inner join {{ ref('dim_account_history') }} as h
        on h.account_key = t.account_key
        and h.valid_from <= t.biz_date and h.valid_to > t.biz_date
    inner join dates as d on t.biz_date >= d.outflow_from and t.biz_date < d.window_to
    where h.party_id is not null
    group by d.as_of_date, h.party_id, h.org_id
),

outflows as (
    select
        o.as_of_date,
        o.party_id,
        {{ alert_party_segment('max(c.party_kind)') }} as segment,
        sum(o.out_cny) as out_cny,
        sum(o.in_cny) as in_cny,
        sum(o.transfer_count) as transfer_count
    from org_outflows as o
    left join {{ ref('dim_customer') }} as c on c.party_id = o.party_id
    group by o.as_of_date, o.party_id
),

-- personal: the gross outflow; corporate: the net outflow
measured as (
    select
        o.*,
        case when o.segment = 'corporate' then o.out_cny - o.in_cny else o.out_cny end as outflow_cny
    from outflows as o
),

candidates as (
    select m.*, t.min_share_of_aum, t.min_outflow_cny
    from measured as m
    inner join thresholds as t on t.segment = m.segment
    where m.outflow_cny >= t.min_outflow_cny
),

candidate_parties as (
    select distinct party_id from candidates
),

org_aum as (
    {{ party_aum_balance_days('dates', [('base', 'base_from', 'window_to')],
        'base_from', 'window_to', parties='candidate_parties') }}
),

aum as (
    select as_of_date, party_id, sum(base_balance_days) as base_balance_days
    from org_aum
    group by as_of_date, party_id
),

-- the organisation of the accounts the most money left from
source_org as (
    select as_of_date, party_id, org_id
    from (
        select
            as_of_date,
            party_id,
            org_id,
            row_number() over (
                partition by as_of_date, party_id order by out_cny desc, org_id
            ) as pick
        from org_outflows
    ) as ranked
    where pick = 1
),

states as (
    select
        c.*,
        cast(coalesce(a.base_balance_days, 0) as double) / parameters.base_days as base_adb
    from candidates as c
    cross join parameters
    left join aum as a on a.party_id = c.party_id and a.as_of_date = c.as_of_date
    where c.outflow_cny * parameters.base_days
        >= c.min_share_of_aum * coalesce(a.base_balance_days, 0)
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
    cast('OUTFLOW_OTHER_BANK' as {{ dbt.type_string() }}) as rule_id,
    cast('customer' as {{ dbt.type_string() }}) as entity_type,
    e.party_id as entity_id,
    e.party_id,
    o.org_id,
    cast(null as {{ dbt.type_string() }}) as account_key,
    cast(null as {{ dbt.type_string() }}) as manager_id,
    cast(null as {{ dbt.type_string() }}) as txn_id,
    cast(e.outflow_cny as {{ money_type() }}) as metric_amount_cny,
    cast(e.base_adb as {{ money_type() }}) as base_amount_cny,
    cast(case when e.base_adb > 0 then cast(e.outflow_cny as double) / e.base_adb end
        as {{ money_type() }}) as metric_ratio,
    cast(null as integer) as metric_days,
    e.min_share_of_aum as threshold_ratio,
    e.min_outflow_cny as threshold_amount_cny,
    cast(null as integer) as threshold_days,
    {{ dbt.concat([
        "case when e.segment = 'corporate' then " ~ dbt.concat([
            "'net outflow to other banks '", format_amount('e.outflow_cny'), "' CNY (out '",
            format_amount('e.out_cny'), "' in '", format_amount('e.in_cny'), "', '"])
            ~ " else " ~ dbt.concat([
            "'transfers to other banks '", format_amount('e.outflow_cny'), "' CNY ('"])
            ~ " end",
        as_text('e.transfer_count'), "' out over '",
        as_text(add_days('1 - parameters.outflow_days', 'e.as_of_date')), "'..'", as_text('e.as_of_date'),
        "') '",
        "case when e.base_adb > 0 then " ~ dbt.concat(["'= '",
            format_percent('cast(e.outflow_cny as double) / e.base_adb'), "'% of'"])
            ~ " else 'with' end",
        "' AUM ADB '", format_amount('e.base_adb'), "' over '",
        as_text(add_days('1 - parameters.base_days', 'e.as_of_date')), "'..'", as_text('e.as_of_date'),
        "case when e.is_baseline then ' (opening state on the first date evaluated)' else '' end",
    ]) }} as detail,
    cast(null as {{ dbt.type_string() }}) as severity,
    e.is_baseline
from entries as e
cross join parameters
left join source_org as o on o.party_id = e.party_id and o.as_of_date = e.as_of_date
