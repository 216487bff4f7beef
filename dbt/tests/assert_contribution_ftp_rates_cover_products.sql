{{ config(meta={"dagster": {"ref": {"name": "int_account_contributions_monthly"}}}) }}
-- depends_on: {{ ref('int_account_contributions_monthly') }}
-- (runs with the monthly group, after the models it reads: a test whose parents sit in two
-- Dagster groups and none in a later one would be selected by no dbt call)
-- Every FTP curve point a product uses (seed products.ftp_key) has an FTP rate on every
-- covered day of every loaded month (seed ftp_rates): a day without one would earn no
-- net interest income silently. Lists the curve points and months with days uncovered.
-- Checks the months of the run's window (a full build checks every month).
with curve_points as (
    select distinct ftp_key from {{ ref('products') }} where ftp_key is not null
),

periods as (
    select period, days, covered_from, covered_to
    from {{ ref('int_periods') }}
    where period_start >= {{ month_window_start() }}
),

covered as (
    select
        c.ftp_key,
        p.period,
        p.days,
        coalesce(sum(
            case when f.ftp_key is not null
                then {{ intersection_days(['f.valid_from', 'p.covered_from'], ['f.valid_to', 'p.covered_to']) }}
            end), 0) as days_with_rate
    from curve_points as c
    cross join periods as p
    left join {{ ref('ftp_rates') }} as f
        on f.ftp_key = c.ftp_key
        and f.valid_from < p.covered_to and f.valid_to > p.covered_from
    group by c.ftp_key, p.period, p.days
)

select * from covered where days_with_rate <> days
