{#
  Alert VIP_WATCH (docs/alerts.md, docs/vip.md): a VIP party whose tier is kept on watch (quick up,
  slow down: the month's raw tier is below the tier held, mart_vip_tier.tier_status =
  watch). Fires at each finished month's as_of_date (the month end, when the month's tier
  is decided) the party is on watch: the manager hears of it every month until the tier
  is confirmed or lowered. The line it fell below is the held tier's threshold (seed
  vip_tiers). No opening state: a party's first month is `new`, never on watch, so the
  rule has nothing to record on the first date (is_baseline is always false).
#}
{{ config(
    materialized='incremental',
    incremental_strategy='replace_window',
    window_column='as_of_date',
    on_schema_change='fail',
    tags=['monthly'],
) }}

with watched as (
    select
        v.as_of_date,
        v.period,
        v.party_id,
        v.home_org_id,
        v.manager_id,
        v.adb_aum,
        v.tier,
        v.raw_tier,
        v.watch_months,
        t.min_aum_cny,
        t.watch_months as down_after_months
    from {{ ref('mart_vip_tier') }} as v
    inner join {{ ref('vip_tiers') }} as t on t.tier = v.tier
    where {{ in_window('v.as_of_date') }}
        and v.tier_status = 'watch'
)

select
    as_of_date,
    cast('VIP_WATCH' as {{ dbt.type_string() }}) as rule_id,
    cast('customer' as {{ dbt.type_string() }}) as entity_type,
    party_id as entity_id,
    party_id,
    home_org_id as org_id,
    cast(null as {{ dbt.type_string() }}) as account_key,
    manager_id,
    cast(null as {{ dbt.type_string() }}) as txn_id,
    cast(adb_aum as {{ money_type() }}) as metric_amount_cny,
    cast(min_aum_cny as {{ money_type() }}) as base_amount_cny,
    cast(cast(adb_aum as double) / cast(min_aum_cny as double) as {{ money_type() }}) as metric_ratio,
    cast(null as integer) as metric_days,
    cast(null as decimal(38, 6)) as threshold_ratio,
    cast(min_aum_cny as decimal(38, 6)) as threshold_amount_cny,
    cast(null as integer) as threshold_days,
    {{ dbt.concat([
        "tier", "' tier on watch, month '", as_text('watch_months'), "' of '",
        as_text('down_after_months'), "': AUM ADB '", format_amount('adb_aum'), "' CNY in '",
        "period", "' is below the '", "tier", "' line '", format_amount('min_aum_cny'),
        "' (raw tier '", "raw_tier", "')'",
    ]) }} as detail,
    cast(null as {{ dbt.type_string() }}) as severity,
    false as is_baseline
from watched
