{#
  The months the warehouse holds (monthly marts are keyed by `period`, 'YYYYMM'): every month with a loaded business date (the bank delivers every calendar
  day). A month is covered from its first day, or the first loaded date, up to its last
  day, or the latest loaded date (month to date): the days its averages and counts use.
  Half-open like every window: [covered_from, covered_to).
#}

with loaded as (
    select biz_date
    from {{ source('audit', 'audit_batch') }}
    where status = 'loaded' and is_current
),

bounds as (
    select
        min(biz_date) as first_date,
        cast({{ dbt.dateadd('day', 1, 'max(biz_date)') }} as date) as end_date
    from loaded
),

months as (
    select distinct cast({{ dbt.date_trunc('month', 'biz_date') }} as date) as period_start
    from loaded
),

periods as (
    select
        months.period_start,
        cast({{ dbt.dateadd('month', 1, 'months.period_start') }} as date) as next_period_start,
        greatest(months.period_start, bounds.first_date) as covered_from,
        bounds.end_date
    from months
    cross join bounds
)

select
    {{ period_of('period_start') }} as period,
    period_start,
    next_period_start,
    covered_from,
    least(next_period_start, end_date) as covered_to,
    cast({{ dbt.dateadd('day', -1, 'least(next_period_start, end_date)') }} as date) as as_of_date,
    {{ dbt.datediff('covered_from', 'least(next_period_start, end_date)', 'day') }} as days,
    {{ dbt.datediff('period_start', 'next_period_start', 'day') }} as days_in_month,
    end_date >= next_period_start as is_finished
from periods
