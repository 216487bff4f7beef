{{ config(meta={"dagster": {"ref": {"name": "int_account_contributions_monthly"}}}) }}
-- depends_on: {{ ref('int_account_contributions_monthly') }}
-- (runs with the monthly group, after the models it reads: a test whose parents sit in two
-- Dagster groups and none in a later one would be selected by no dbt call)
-- Net interest and risk cost cut balance stretches by the account's history versions (rate,
-- class, curve point): every balance day of a loaded month must fall in a version, or its
-- interest would be lost silently. Lists balance stretches with days no version covers.
-- Checks the months of the run's window (a full build checks every month).
with loaded as (
    select min(covered_from) as first_day, max(covered_to) as end_day
    from {{ ref('int_periods') }}
    where period_start >= {{ month_window_start() }}
),

stretches as (
    select
        b.account_key,
        greatest(b.valid_from, loaded.first_day) as stretch_from,
        least(b.valid_to, loaded.end_day) as stretch_to
    from {{ ref('fct_balance') }} as b
    cross join loaded
    where b.valid_from < loaded.end_day and b.valid_to > loaded.first_day
),

covered as (
    select
        s.account_key,
        s.stretch_from,
        s.stretch_to,
        coalesce(sum(case when h.account_key is not null then
            {{ intersection_days(['s.stretch_from', 'h.valid_from'], ['s.stretch_to', 'h.valid_to']) }}
            end), 0) as covered_days
    from stretches as s
    left join {{ ref('dim_account_history') }} as h
        on h.account_key = s.account_key
        and h.valid_from < s.stretch_to and h.valid_to > s.stretch_from
    group by s.account_key, s.stretch_from, s.stretch_to
)

select *
from covered
where covered_days <> {{ dbt.datediff('stretch_from', 'stretch_to', 'day') }}
