{#
  Every account row the seven legacy systems delivered, one per account and business date:
  FULL on a system's first date, then DELTA (only accounts that changed). An account absent
  on a date is unchanged. Replaces the run's window of business dates.
#}
{{ config(
    materialized='incremental',
    tags=['daily'],
    incremental_strategy='replace_window',
    window_column='biz_date',
    on_schema_change='fail',
) }}

{%- set extras = {
    'sav': ['term_months', 'maturity_date'],
    'acc': ['acct_kind'],
    'crd': ['contract_no', 'loan_amount', 'maturity_date', 'five_class', 'overdue_days'],
    'pln': ['loan_amount', 'maturity_date', 'five_class', 'overdue_days', 'collateral_type'],
    'ccs': ['credit_limit', 'bill_day'],
    'wms': ['shares', 'nav'],
    'hpf': ['monthly_contribution'],
} %}

with delivered as (
    {%- for sys, columns in extras.items() %}
    {{ account_snapshot_select(sys, columns) }}
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),

-- a file should hold an account once; if it does not, its last row counts
numbered as (
    select
        delivered.*,
        row_number() over (
            partition by sys, acct_no, biz_date order by source_line desc
        ) as row_in_file
    from delivered
)

select
    {{ dbt.concat(['sys', "':'", 'acct_no']) }} as account_key,
    sys,
    acct_no,
    biz_date,
    source_version,
    source_line,
    cust_no,
    product_code,
    currency,
    org_code,
    open_date,
    close_date,
    acct_status,
    balance,
    -- end-of-day balance as the warehouse counts it: 0 from the closing date on
    case when close_date <= biz_date then 0 else balance end as eod_balance,
    rate,
    {{ acct_extra_columns().keys() | join(',\n    ') }}
from numbered
where row_in_file = 1
