{#
  The VIP view of the latest loaded date (docs/vip.md): per personal
  party, its month-to-date average daily AUM (int_party_months of the latest date's month:
  the covered days so far), the tier it holds (mart_vip_tier of the latest finished month;
  a party without one yet holds the lowest tier), the tier its month-to-date AUM alone would
  give, and how far it is from the next tier. Upgrade candidate: month-to-date AUM at least
  the next tier's threshold less upgrade_margin_pct (seed vip_parameters) of it, which
  includes every party whose month-to-date raw tier is already above its tier.
  When the latest date is a month end that month is finished: its mart_vip_tier row is the
  tier held, and the month-to-date AUM is the whole month's.
  Rebuilt whole on every run (one date; tag monthly+ runs it after the monthly models).
#}

with latest as (
    select period, period_start, as_of_date, days
    from {{ ref('int_periods') }}
    where period_start = (select max(period_start) from {{ ref('int_periods') }})
),

tier_month as (
    select max(period_start) as period_start
    from {{ ref('int_periods') }}
    where is_finished
),

tiers as (
    select
        tier,
        tier_rank,
        min_aum_cny,
        lead(tier) over (order by tier_rank) as next_tier,
        lead(min_aum_cny) over (order by tier_rank) as next_min_aum_cny
    from {{ ref('vip_tiers') }}
),

params as (
    select cast(value as {{ dbt.type_numeric() }}) as upgrade_margin_pct
    from {{ ref('vip_parameters') }}
    where parameter = 'upgrade_margin_pct'
),

held as (
    select v.*
    from {{ ref('mart_vip_tier') }} as v
    inner join tier_month as t on t.period_start = v.period_start
),

month_to_date as (
    select m.*
    from {{ ref('int_party_months') }} as m
    inner join latest as l on l.period = m.period
    where m.party_kind = 'personal'
),

-- parties with AUM history: a tier already, or AUM for the first time this month
parties as (
    select
        coalesce(h.party_id, m.party_id) as party_id,
        h.period as tier_period,
        coalesce(h.tier_rank, 0) as tier_rank,
        coalesce(m.adb_aum, 0) as mtd_adb_aum,
        -- the organisation and manager of the month so far; of the tier's month without accounts now
        case when m.party_id is not null then m.home_org_id else h.home_org_id end as home_org_id,
        case when m.party_id is not null then m.main_manager_id else h.manager_id end as manager_id
    from held as h
    full outer join month_to_date as m on m.party_id = h.party_id
    where h.party_id is not null or m.adb_aum > 0
),

-- the tier the month-to-date AUM alone gives (the lowest tier takes everything below the
-- next threshold). Only the rank here: DuckDB 2.0 fails an internal check ("dict-surviving
-- cache") when this range join and an equality join on the seed both return tier names.
ranked as (
    select
        p.*,
        r.tier_rank as mtd_raw_tier_rank
    from parties as p
    inner join tiers as r
        on (r.tier_rank = 0 or p.mtd_adb_aum >= r.min_aum_cny)
        and (r.next_min_aum_cny is null or p.mtd_adb_aum < r.next_min_aum_cny)
)

select
    l.as_of_date,
    l.period,
    p.party_id,
    l.days as mtd_days,
    p.mtd_adb_aum,
    t.tier,
    t.tier_rank,
    p.tier_period,
    r.tier as mtd_raw_tier,
    p.mtd_raw_tier_rank,
    t.next_tier,
    t.next_min_aum_cny,
    case
        when t.next_min_aum_cny is not null
            then greatest(t.next_min_aum_cny - p.mtd_adb_aum, 0)
    end as gap_to_next_tier,
    coalesce(
        p.mtd_adb_aum >= t.next_min_aum_cny * (1 - params.upgrade_margin_pct / 100), false
    ) as is_upgrade_candidate,
    p.home_org_id,
    p.manager_id
from ranked as p
cross join latest as l
cross join params
inner join tiers as t on t.tier_rank = p.tier_rank
inner join tiers as r on r.tier_rank = p.mtd_raw_tier_rank
