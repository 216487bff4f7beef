-- Balance bands (seed balance_bands) are ordered, contiguous and non-overlapping: by
-- band_order the lower bounds rise, each band ends where the next begins, only the first
-- has no lower bound and only the last no upper bound. Fails with each band that breaks it.
with ordered as (
    select
        band_id,
        band_order,
        lower_cny,
        upper_cny,
        lead(lower_cny) over (order by band_order) as next_lower_cny,
        row_number() over (order by band_order) as position,
        count(*) over () as bands
    from {{ ref('balance_bands') }}
)

select *
from ordered
where (position = 1) <> (lower_cny is null)
    or (position = bands) <> (upper_cny is null)
    or (position < bands and (next_lower_cny is null or upper_cny <> next_lower_cny))
    or (lower_cny is not null and upper_cny is not null and upper_cny <= lower_cny)
