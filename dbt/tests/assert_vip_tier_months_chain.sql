-- mart_vip_tier is one chain per party: after its first month, a row every month
-- (consecutive periods, no gap), previous_tier is the tier of the month before, and the
-- watch counter grows by one in a watch month. Fails with each row that breaks the chain.
-- Checks the months of the run's window (a full build checks every month).
with chained as (
    select
        party_id,
        period,
        period_start,
        tier_status,
        previous_tier,
        watch_months,
        lag(period_start) over (partition by party_id order by period_start) as prior_period_start,
        lag(tier) over (partition by party_id order by period_start) as prior_tier,
        lag(watch_months) over (partition by party_id order by period_start) as prior_watch_months
    from {{ ref('mart_vip_tier') }}
    -- from the month before the window: what the window's first month continues
    where period_start >= cast({{ dbt.dateadd('month', -1, month_window_start()) }} as date)
)

select *
from chained
where period_start >= {{ month_window_start() }}
    and ((prior_period_start is null and tier_status <> 'new')
        or (prior_period_start is not null and (
            prior_period_start <> cast({{ dbt.dateadd('month', -1, 'period_start') }} as date)
            or previous_tier <> prior_tier
            or (tier_status = 'watch' and watch_months <> prior_watch_months + 1)
        )))
