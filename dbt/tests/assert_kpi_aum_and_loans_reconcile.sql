-- At the mart: per month, Σ over managers of credited AUM ADB (and loan ADB) in
-- mart_manager_kpi plus the organisation pool equals Σ ADB of all is_aum (is_loan)
-- accounts (what no manager holds stays with the organisation).
-- Every side is an exact decimal sum of ADBs divided row by row (money_divide); their 积数
-- add up exactly per account (assert_credited_balances_add_up), so the sides differ by
-- the rows' rounding only: one unit of the 10th decimal per row (rounding_tolerance), a
-- bound that grows with the rows, not a fixed amount on a bank-sized sum.
-- Checks the months of the run's window on every side (a full build checks every month).
with managers as (
    select
        period,
        sum(case when indicator = 'aum_adb' then actual else 0 end) as aum_adb,
        sum(case when indicator = 'loan_adb' then actual else 0 end) as loan_adb
    from {{ ref('mart_manager_kpi') }}
    where period_start >= {{ month_window_start() }}
    group by period
),

credited as (
    select
        c.period,
        sum(case when c.manager_id is null and a.is_aum then c.credited_adb_cny else 0 end) as pool_aum_adb,
        sum(case when c.manager_id is null and a.is_loan then c.credited_adb_cny else 0 end) as pool_loan_adb,
        count(*) as rounded_rows
    from {{ ref('int_credited_balances_monthly') }} as c
    inner join {{ ref('dim_account') }} as a on a.account_key = c.account_key
    where c.period_start >= {{ month_window_start() }}
    group by c.period
),

accounts as (
    select
        m.period,
        sum(case when a.is_aum then m.adb_cny else 0 end) as aum_adb,
        sum(case when a.is_loan then m.adb_cny else 0 end) as loan_adb,
        count(*) as rounded_rows
    from {{ ref('int_account_months') }} as m
    inner join {{ ref('dim_account') }} as a on a.account_key = m.account_key
    where m.period_start >= {{ month_window_start() }}
    group by m.period
),

compared as (
    select
        t.period,
        t.aum_adb,
        coalesce(m.aum_adb, 0) + coalesce(p.pool_aum_adb, 0) as credited_aum_adb,
        t.loan_adb,
        coalesce(m.loan_adb, 0) + coalesce(p.pool_loan_adb, 0) as credited_loan_adb,
        {{ rounding_tolerance('t.rounded_rows + coalesce(p.rounded_rows, 0)') }} as tolerance
    from accounts as t
    left join managers as m on m.period = t.period
    left join credited as p on p.period = t.period
)

select period, aum_adb, credited_aum_adb, loan_adb, credited_loan_adb, tolerance
from compared
where abs(aum_adb - credited_aum_adb) > tolerance
    or abs(loan_adb - credited_loan_adb) > tolerance
