{{ config(meta={"dagster": {"ref": {"name": "mart_vip_tier"}}}) }}
-- The AUM in mart_vip_tier adds up, per finished month, to the personal parties' AUM in
-- int_party_months (parties without AUM history hold none; a month without accounts is 0),
-- exactly: the mart carries each party's decimal ADB, and decimal sums do not depend on
-- row order (no tolerance). Fails with each month that does not.
-- Checks the months of the run's window on both sides (a full build checks every month).
with periods as (
    select period from {{ ref('int_periods') }}
    where is_finished and period_start >= {{ month_window_start() }}
),

source_aum as (
    select m.period, sum(m.adb_aum) as adb_aum
    from {{ ref('int_party_months') }} as m
    inner join periods as p on p.period = m.period
    where m.party_kind = 'personal'
    group by m.period
),

mart_aum as (
    select period, sum(adb_aum) as adb_aum
    from {{ ref('mart_vip_tier') }}
    where period_start >= {{ month_window_start() }}
    group by period
)

select s.period, s.adb_aum as source_adb_aum, v.adb_aum as mart_adb_aum
from source_aum as s
full outer join mart_aum as v on v.period = s.period
where v.period is null
    or s.period is null
    or s.adb_aum <> v.adb_aum
