-- VIP tiers (seed vip_tiers) form a ladder: ranks 0, 1, 2 … without gaps, the lowest
-- starting at 0 CNY, each threshold strictly above the one below. Fails with each tier
-- that breaks it.
with tiers as (
    select
        tier,
        tier_rank,
        min_aum_cny,
        lag(min_aum_cny) over (order by tier_rank) as lower_min_aum_cny,
        row_number() over (order by tier_rank) - 1 as expected_rank
    from {{ ref('vip_tiers') }}
)

select *
from tiers
where tier_rank <> expected_rank
    or (tier_rank = 0 and min_aum_cny <> 0)
    or min_aum_cny <= lower_min_aum_cny
