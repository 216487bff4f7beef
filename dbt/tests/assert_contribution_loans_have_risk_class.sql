{{ config(severity='warn', meta={"dagster": {"ref": {"name": "risk_rates"}}}) }}
-- Every loan version of the loaded months carries a five-level class with a provision rate (seed
-- risk_rates): a loan without one holds no provision (no risk cost) and accrues interest.
-- Checks the months of the run's window (a full build checks every month).
with loaded as (
    select min(covered_from) as first_day, max(covered_to) as end_day
    from {{ ref('int_periods') }}
    where period_start >= {{ month_window_start() }}
)

select h.product_code, h.five_class, count(distinct h.account_key) as accounts
from {{ ref('dim_account_history') }} as h
cross join loaded
left join {{ ref('risk_rates') }} as k on k.five_class = h.five_class
where h.is_loan
    and h.valid_from < loaded.end_day and h.valid_to > loaded.first_day
    and k.five_class is null
group by h.product_code, h.five_class
