{#
  Balance history as intervals: one row per account and stretch of days [valid_from,
  valid_to) with the same end-of-day balance (and, for foreign currencies, the same rate
  to CNY: their stretches are cut where the rate changes). A day's balance is the row
  containing it, 0 before the first row; a window's average comes from overlaps (macro
  `account_adb`), never from a row per account per day.

  Incremental: a window [min_date, max_date) rebuilds, for the accounts it touches, every
  stretch from the one each account was in on the day before the window, so stretches
  that run across the window's edges come out as a full refresh makes them.
#}
{{ config(
    materialized='incremental',
    tags=['daily'],
    incremental_strategy='replace_window',
    window_column='valid_from',
    unique_key='account_key',
    unique_key_since='valid_to',
    on_schema_change='fail',
) }}

with snapshots as (
    select account_key, sys, product_code, currency, biz_date, eod_balance as balance
    from {{ ref('int_account_snapshots') }}
    {%- if is_incremental() %}
    where biz_date >= {{ window_start() }}
    {%- endif %}
),

{% if is_incremental() -%}
-- accounts whose stretches the window can change: delivered in it, a stretch starting in
-- it (perhaps no longer delivered), or a foreign currency (rates of the window may differ)
affected as (
    select account_key from snapshots where biz_date < {{ window_end() }}
    union
    select account_key from {{ this }}
    where {{ in_window('valid_from') }}
        or (currency <> 'CNY' and valid_to >= {{ window_start() }})
),

-- the stretch each of them was in on the day before the window: the rebuild starts there
restart as (
    select kept.account_key, kept.sys, kept.product_code, kept.currency, kept.valid_from as biz_date, kept.balance
    from {{ this }} as kept
    inner join affected on affected.account_key = kept.account_key
    where kept.valid_from < {{ window_start() }} and kept.valid_to >= {{ window_start() }}
),

events as (
    select * from restart
    union all
    select snapshots.*
    from snapshots
    inner join affected on affected.account_key = snapshots.account_key
),
{%- else %}
events as (
    select * from snapshots
),
{%- endif %}

changes as (
    select
        events.*,
        lag(balance) over (partition by account_key order by biz_date) as previous_balance
    from events
),

stretches as (
    select
        account_key,
        sys,
        product_code,
        currency,
        balance,
        biz_date as valid_from,
        coalesce(
            lead(biz_date) over (partition by account_key order by biz_date), {{ open_end() }}
        ) as valid_to
    from changes
    where previous_balance is null or previous_balance <> balance
),

rates as (
    select * from {{ ref('int_fx_rate_intervals') }}
)

select
    stretches.account_key,
    stretches.sys,
    stretches.product_code,
    stretches.currency,
    case when stretches.currency = 'CNY' then stretches.valid_from
        else greatest(stretches.valid_from, rates.valid_from) end as valid_from,
    case when stretches.currency = 'CNY' then stretches.valid_to
        else least(stretches.valid_to, rates.valid_to) end as valid_to,
    stretches.balance,
    case when stretches.currency = 'CNY' then 1 else rates.rate_to_cny end as rate_to_cny,
    stretches.balance * case when stretches.currency = 'CNY' then 1
        else rates.rate_to_cny end as balance_cny
from stretches
left join rates
    on stretches.currency <> 'CNY'
    and rates.currency = stretches.currency
    and rates.valid_from < stretches.valid_to
    and rates.valid_to > stretches.valid_from
