{{ config(meta={"dagster": {"ref": {"name": "mart_vip_tier"}}}) }}
-- Every finished month, mart_vip_tier holds each personal party with AUM history exactly
-- once: its tier counts add up to the personal parties whose first month with AUM
-- (int_party_months.adb_aum > 0) is that month or earlier. Fails with each month where
-- the counts differ.
-- Checks the months of the run's window (a full build checks every month).
with periods as (
    select period, period_start
    from {{ ref('int_periods') }}
    where is_finished and period_start >= {{ month_window_start() }}
),

-- the parties with AUM history before the window: the rows of the month before it (that
-- month's run checked them); none on a full build
earlier as (
    select party_id, period_start
    from {{ ref('mart_vip_tier') }}
    where period_start = cast({{ dbt.dateadd('month', -1, month_window_start()) }} as date)
),

aum_months as (
    select party_id, period_start from earlier
    union all
    select party_id, period_start
    from {{ ref('int_party_months') }}
    where party_kind = 'personal' and adb_aum > 0 and period_start >= {{ month_window_start() }}
),

first_aum as (
    select party_id, min(period_start) as first_period_start
    from aum_months
    group by party_id
),

expected as (
    select p.period, count(f.party_id) as party_count
    from periods as p
    left join first_aum as f on f.first_period_start <= p.period_start
    group by p.period
),

actual as (
    select period, count(*) as row_count, count(distinct party_id) as party_count
    from {{ ref('mart_vip_tier') }}
    where period_start >= {{ month_window_start() }}
    group by period
)

select e.period, e.party_count as expected_parties, a.row_count, a.party_count
from expected as e
full outer join actual as a on a.period = e.period
where a.period is null
    or e.period is null
    or a.row_count <> e.party_count
    or a.party_count <> e.party_count
