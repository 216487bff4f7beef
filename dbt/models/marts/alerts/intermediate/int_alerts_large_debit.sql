{#
  Alert LARGE_DEBIT (docs/alerts.md): one customer-initiated debit (txn_codes
  is_customer_initiated: not interest, fees, salary batches, drawdowns or other system
  postings) of a demand or current account (seed alert_rule_products: SAV-DD, ACC-DD; a
  time deposit's payout at maturity is not a debit a manager chases) more than
  min_share_of_prior_balance of the account's end-of-day balance the day before and at
  least min_amount_cny, both in CNY, thresholds of the holder's segment (personal |
  corporate). A reversed debit, or a reversal, is not a debit of the customer. An event rule: every such debit fires once, on
  its business date. The prior balance comes from fct_balance (0 where no stretch holds the
  day: a debit of money credited the same day compares with 0 and fires). On the
  warehouse's first date the prior balance is unknown (not 0): that date is not evaluated.
#}
{{ config(
    materialized='incremental',
    incremental_strategy='replace_window',
    window_column='as_of_date',
    on_schema_change='fail',
    tags=['monthly'],
) }}

with parameters as (
    {{ alert_segment_parameters('LARGE_DEBIT', values=['min_share_of_prior_balance', 'min_amount_cny']) }}
),

products as (
    select product_code from {{ ref('alert_rule_products') }} where rule_id = 'LARGE_DEBIT'
),

debits as (
    select
        t.txn_id,
        t.account_key,
        t.biz_date as as_of_date,
        t.amount_cny
    from {{ ref('fct_transaction') }} as t
    -- the day before lies in the history
    cross join (select min(first_date) as history_from from {{ ref('int_alert_dates') }}) as h
    where {{ in_window('t.biz_date') }}
        and t.biz_date > h.history_from
        and t.dr_cr = 'D'
        and t.is_customer_initiated
        and not t.is_reversal
        and not t.is_reversed
        -- cheap first: no segment's minimum is lower
        and t.amount_cny >= (select min(min_amount_cny) from parameters)
),

-- the account as it stood on the day (product, party, organisation) and its holder's segment
accounts as (
    select
        d.*,
        h.party_id,
        h.org_id,
        {{ alert_party_segment('c.party_kind') }} as segment
    from debits as d
    inner join {{ ref('dim_account_history') }} as h
        on h.account_key = d.account_key
        and h.valid_from <= d.as_of_date and h.valid_to > d.as_of_date
    inner join products as p on p.product_code = h.product_code
    left join {{ ref('dim_customer') }} as c on c.party_id = h.party_id
),

with_prior_balance as (
    select
        a.*,
        coalesce(b.balance_cny, 0) as prior_balance_cny
    from accounts as a
    left join {{ ref('fct_balance') }} as b
        on b.account_key = a.account_key
        and b.valid_from <= {{ add_days(-1, 'a.as_of_date') }}
        and b.valid_to > {{ add_days(-1, 'a.as_of_date') }}
),

fired as (
    select
        w.*,
        parameters.min_share_of_prior_balance,
        parameters.min_amount_cny,
        case when w.prior_balance_cny > 0
            then cast(w.amount_cny as double) / cast(w.prior_balance_cny as double) end as ratio
    from with_prior_balance as w
    inner join parameters on parameters.segment = w.segment
    -- exact decimals: the debit is more than the share of the prior balance
    where w.amount_cny > parameters.min_share_of_prior_balance * w.prior_balance_cny
        and w.amount_cny >= parameters.min_amount_cny
)

select
    as_of_date,
    cast('LARGE_DEBIT' as {{ dbt.type_string() }}) as rule_id,
    cast('account' as {{ dbt.type_string() }}) as entity_type,
    account_key as entity_id,
    party_id,
    org_id,
    account_key,
    cast(null as {{ dbt.type_string() }}) as manager_id,
    txn_id,
    cast(amount_cny as {{ money_type() }}) as metric_amount_cny,
    cast(prior_balance_cny as {{ money_type() }}) as base_amount_cny,
    cast(ratio as {{ money_type() }}) as metric_ratio,
    cast(null as integer) as metric_days,
    min_share_of_prior_balance as threshold_ratio,
    min_amount_cny as threshold_amount_cny,
    cast(null as integer) as threshold_days,
    {{ dbt.concat([
        "'debit '", format_amount('amount_cny'), "' CNY '",
        "case when ratio is not null then " ~ dbt.concat(["'= '", format_percent('ratio'), "'% of'"])
            ~ " else 'with' end",
        "' prior balance '", format_amount('prior_balance_cny'), "' CNY'",
    ]) }} as detail,
    cast(null as {{ dbt.type_string() }}) as severity,
    false as is_baseline
from fired
