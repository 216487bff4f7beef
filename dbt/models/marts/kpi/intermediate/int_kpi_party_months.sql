{#
  What each party brings to its main manager's KPIs in a month (docs/kpi.md). A
  party counts for one manager only: its main manager, the one credited with the
  largest share of its AUM in the month (int_party_months.main_manager_id, empty when
  no assess assignment covers its AUM: it stays with the organisation).
  - tier in force: mart_vip_tier's tier of the month; the current month has none yet
    (tiers are set on finished months), so the previous month's tier holds until it
    closes. A VIP is a tier above the lowest of vip_tiers (gold and above).
  - new customer: the party's first banking account (earliest open_date of its accounts
    in dim_account, closed ones included, leaving out the product categories of seed
    kpi_new_customer_exclusions: provident fund 公积金, which an employer opens for the
    employee) opened in the month. A party with only a provident-fund account is never a
    new customer; one who later opens a savings account is new in that month.
  - the CRM fee supplements and the party's total contribution (mart_customer_contribution).
#}
{{ config(
    materialized='incremental',
    incremental_strategy='replace_window',
    window_column='period_start',
    window_grain='month',
    window_open_end=true,
    unique_key='period_start',
    on_schema_change='fail',
    tags=['monthly'],
) }}

with periods as (
    select
        *,
        case
            when is_finished then period
            else {{ period_of(dbt.dateadd('month', -1, 'period_start')) }}
        end as tier_period
    -- open end: a restated month re-chains every later month's tier (mart_vip_tier)
    from ({{ kpi_periods(open_end=true) }}) as touched
),

first_accounts as (
    select a.party_id, min(a.open_date) as first_open_date
    from {{ ref('dim_account') }} as a
    left join {{ ref('kpi_new_customer_exclusions') }} as x on x.category = a.category
    where a.party_id is not null and x.category is null
    group by a.party_id
),

lowest_tier as (
    select min(tier_rank) as tier_rank
    from {{ ref('vip_tiers') }}
)

select
    m.party_id,
    m.party_kind,
    m.period,
    m.period_start,
    m.main_manager_id,
    m.home_org_id,
    m.adb_aum,
    p.tier_period,
    v.tier,
    v.tier_rank,
    coalesce(v.tier_rank > l.tier_rank, false) as is_vip,
    v.contact_every_days,
    f.first_open_date,
    coalesce(f.first_open_date >= p.period_start and f.first_open_date < p.next_period_start, false)
        as is_new_customer,
    m.category_count,
    cast(coalesce(c.fee_income_supplement, 0) as {{ kpi_number_type() }}) as fee_income_supplement,
    cast(coalesce(c.contribution, 0) as {{ kpi_number_type() }}) as customer_contribution
from {{ ref('int_party_months') }} as m
inner join periods as p on p.period = m.period
cross join lowest_tier as l
left join first_accounts as f on f.party_id = m.party_id
left join {{ ref('mart_vip_tier') }} as v
    on v.party_id = m.party_id and v.period = p.tier_period
left join {{ ref('mart_customer_contribution') }} as c
    on c.party_id = m.party_id and c.period = m.period
