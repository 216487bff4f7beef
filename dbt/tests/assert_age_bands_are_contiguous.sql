-- Age bands start at 0 and each starts where the previous one ends (no gap, no overlap).
with ordered as (
    select
        age_band, min_age,
        lag(max_age) over (order by min_age) as previous_max_age,
        row_number() over (order by min_age) as position
    from {{ ref('age_bands') }}
)
select * from ordered
where (position = 1 and min_age <> 0) or (position > 1 and min_age <> previous_max_age)
