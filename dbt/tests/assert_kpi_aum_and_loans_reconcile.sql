-- At the mart: per month, Σ over managers of credited AUM ADB (and loan ADB) in
-- mart_manager_kpi plus the organisation pool equals Σ ADB of all is_aum (is_loan)
-- accounts (what no manager holds stays with the organisation).
-- Tolerance 1e-4 CNY (sums of up to millions of rows).
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

pool as (
    select
        c.period,
        sum(case when a.is_aum then c.credited_adb_cny else 0 end) as aum_adb,
        sum(case when a.is_loan then c.credited_adb_cny else 0 end) as loan_adb
    from {{ ref('int_credited_balances_monthly') }} as c
    inner join {{ ref('dim_account') }} as a on a.account_key = c.account_key
    where c.manager_id is null and c.period_start >= {{ month_window_start() }}
    group by c.period
),

accounts as (
    select
        m.period,
        sum(case when a.is_aum then m.adb_cny else 0 end) as aum_adb,
        sum(case when a.is_loan then m.adb_cny else 0 end) as loan_adb
    from {{ ref('int_account_months') }} as m
    inner join {{ ref('dim_account') }} as a on a.account_key = m.account_key
    where m.period_start >= {{ month_window_start() }}
    group by m.period
)

select
    t.period,
    t.aum_adb,
    coalesce(m.aum_adb, 0) + coalesce(p.aum_adb, 0) as credited_aum_adb,
    t.loan_adb,
    coalesce(m.loan_adb, 0) + coalesce(p.loan_adb, 0) as credited_loan_adb
from accounts as t
left join managers as m on m.period = t.period
left join pool as p on p.period = t.period
where abs(t.aum_adb - coalesce(m.aum_adb, 0) - coalesce(p.aum_adb, 0)) > 0.0001
    or abs(t.loan_adb - coalesce(m.loan_adb, 0) - coalesce(p.loan_adb, 0)) > 0.0001
