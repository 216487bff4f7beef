{#
  Account and customer statistics by balance band 账户/客户统计 (docs/statistics.md): per
  organisation (every level: an organisation covers its subtree), segment (the holder's
  party_kind: personal | corporate; unknown for an account without a party yet), product
  category and balance band (seed balance_bands, on the account's end-of-day balance in CNY), the
  accounts open on the date, the distinct parties holding them and their balance.

  Dates: each month's as_of_date (int_periods): every month end, and the latest loaded
  date for the current month (replaced by the month end once the month is finished).
  Monthly incremental: a run replaces the months its window touches, so cost follows
  accounts × months of the window. Open on the date: opened on or before it and not
  closed by then (dim_account_history as it stood that day).
#}
{{ config(
    materialized='incremental',
    incremental_strategy='replace_window',
    window_column='period_start',
    window_grain='month',
    on_schema_change='fail',
    tags=['monthly'],
) }}

with periods as (
    select period, period_start, as_of_date
    from {{ ref('int_periods') }}
    where {{ in_month_window('period_start') }}
),

open_accounts as (
    select
        p.period,
        p.period_start,
        p.as_of_date,
        h.account_key,
        h.party_id,
        h.org_id,
        h.category,
        coalesce(c.party_kind, 'unknown') as segment
    from periods as p
    inner join {{ ref('dim_account_history') }} as h
        on h.valid_from <= p.as_of_date and h.valid_to > p.as_of_date
    left join {{ ref('dim_customer') }} as c on c.party_id = h.party_id
    where h.open_date <= p.as_of_date
        and (h.close_date is null or h.close_date > p.as_of_date)
),

-- the balance on the as_of_date (0 for an account without a balance that month)
balances as (
    select
        a.*,
        coalesce(m.eom_balance_cny, 0) as balance_cny
    from open_accounts as a
    left join {{ ref('int_account_months') }} as m
        on m.account_key = a.account_key and m.period = a.period
),

banded as (
    select
        b.*,
        bands.band_id,
        bands.band_order
    from balances as b
    inner join {{ ref('balance_bands') }} as bands
        on (bands.lower_cny is null or b.balance_cny >= bands.lower_cny)
        and (bands.upper_cny is null or b.balance_cny < bands.upper_cny)
),

org_ancestors as (
    {{ org_ancestors() }}
)

select
    b.as_of_date,
    o.ancestor_org_id as org_id,
    cast(b.segment as {{ dbt.type_string() }}) as segment,
    b.category,
    b.band_id,
    b.band_order,
    count(*) as accounts,
    count(distinct b.party_id) as parties,
    cast(sum(b.balance_cny) as {{ money_type() }}) as balance,
    b.period,
    b.period_start
from banded as b
inner join org_ancestors as o on o.org_id = b.org_id
group by b.as_of_date, o.ancestor_org_id, b.segment, b.category, b.band_id, b.band_order, b.period, b.period_start
