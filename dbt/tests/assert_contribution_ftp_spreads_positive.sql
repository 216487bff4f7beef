{{ config(severity='warn', meta={"dagster": {"ref": {"name": "ftp_rates"}}}) }}
-- Plausibility of the FTP curve against the customer rates of the loaded months: a deposit
-- should pay its customer less than its FTP rate, a loan or card charge more. Lists the
-- products, curve points and rates (account versions valid in a loaded month) with a spread
-- of 0 or less, or without a rate: their net interest income is 0 or negative.
-- Checks the months of the run's window (a full build checks every month).
with loaded as (
    select min(covered_from) as first_day, max(covered_to) as end_day
    from {{ ref('int_periods') }}
    where period_start >= {{ month_window_start() }}
),

versions as (
    select h.product_code, h.category, h.ftp_key, h.rate, h.valid_from, h.valid_to
    from {{ ref('dim_account_history') }} as h
    cross join loaded
    where h.ftp_key is not null
        and h.valid_from < loaded.end_day and h.valid_to > loaded.first_day
)

select
    v.product_code,
    v.ftp_key,
    v.rate,
    f.ftp_rate_pct,
    f.valid_from as ftp_valid_from,
    count(*) as account_versions
from versions as v
left join {{ ref('ftp_rates') }} as f
    on f.ftp_key = v.ftp_key and f.valid_from < v.valid_to and f.valid_to > v.valid_from
where v.rate is null
    or f.ftp_rate_pct is null
    or (v.category = 'deposit' and f.ftp_rate_pct - v.rate <= 0)
    or (v.category <> 'deposit' and v.rate - f.ftp_rate_pct <= 0)
group by v.product_code, v.ftp_key, v.rate, f.ftp_rate_pct, f.valid_from
