{#
  The customer 360 view (docs/customer_360.md). Rebuilt whole each run: it describes the
  present (history lives in the monthly marts). Tag rules and their parameters are data
  (seed customer_tag_rules; age bands in age_bands), so the bank changes them without SQL.
#}

with today as (
    select max(as_of_date) as as_of_date, max(period) as period
    from {{ ref('int_periods') }}
),

tag_rules as (
    select * from {{ ref('customer_tag_rules') }}
),

latest_month as (
    select m.*
    from {{ ref('int_party_months') }} as m
    inner join today on today.period = m.period
),

latest_tier as (
    select t.party_id, t.tier, t.tier_status, t.period as tier_period, t.next_contact_due
    from {{ ref('mart_vip_tier') }} as t
    inner join (select max(period) as period from {{ ref('mart_vip_tier') }}) as last
        on last.period = t.period
),

contribution as (
    select
        party_id,
        sum(case when is_finished then 0 else contribution end) as contribution_mtd,
        max(case when is_finished then period end) as last_finished_period
    from {{ ref('mart_customer_contribution') }}
    group by party_id
),

last_finished_contribution as (
    select c.party_id, c.contribution
    from {{ ref('mart_customer_contribution') }} as c
    inner join contribution as l
        on l.party_id = c.party_id and l.last_finished_period = c.period
),

open_accounts as (
    select a.*
    from {{ ref('dim_account') }} as a
    cross join today
    where a.party_id is not null
        and (a.close_date is null or a.close_date > today.as_of_date)
),

products as (
    select
        party_id,
        count(*) as open_account_count,
        count(distinct product_code) as product_count
    from open_accounts
    group by party_id
),

categories as (
    select party_id, {{ dbt.listagg('category', "','", 'order by category') }} as categories
    from (select distinct party_id, category from open_accounts) as held
    group by party_id
),

contacts as (
    select x.party_id, max(c.contact_ts) as last_contact_ts
    from {{ ref('stg_crm__contacts') }} as c
    inner join {{ ref('bridge_customer_xref') }} as x on x.sys = c.sys and x.cust_no = c.cust_no
    group by x.party_id
),

-- tags: one row per party and tag that applies
payroll as (
    select distinct a.party_id, 'payroll' as tag
    from {{ ref('fct_transaction') }} as t
    inner join {{ ref('dim_account') }} as a on a.account_key = t.account_key
    cross join today
    inner join tag_rules as r on r.tag = 'payroll'
    where t.is_salary and not t.is_reversed and a.party_id is not null
        and t.biz_date > {{ dbt.dateadd('day', '-r.lookback_days', 'today.as_of_date') }}
        and t.biz_date <= today.as_of_date
),

mortgage as (
    select distinct o.party_id, 'mortgage_holder' as tag
    from open_accounts as o
    inner join tag_rules as r on r.tag = 'mortgage_holder' and r.product_code = o.product_code
    where o.balance_cny > r.min_amount_cny
),

-- a card revolving 循环信用 on the latest date or on any of the lookback_days days before it:
-- a statement not paid in full by its due date (int_card_statements, docs/contribution.md)
-- of more than min_amount_cny
card_revolver as (
    select distinct a.party_id, 'card_revolver' as tag
    from {{ ref('int_card_statements') }} as s
    cross join today
    inner join tag_rules as r on r.tag = 'card_revolver'
    inner join {{ ref('dim_account') }} as a on a.account_key = s.account_key
    where a.party_id is not null
        and s.statement_balance_cny > r.min_amount_cny
        and s.revolving_from <= today.as_of_date
        and s.revolving_to > {{ dbt.dateadd('day', '-r.lookback_days', 'today.as_of_date') }}
),

dormant_high_value as (
    select distinct o.party_id, 'dormant_high_value' as tag
    from {{ ref('mart_alerts') }} as alerts
    inner join open_accounts as o on o.account_key = alerts.entity_id
    inner join latest_month as m on m.party_id = o.party_id
    inner join tag_rules as r on r.tag = 'dormant_high_value'
    where alerts.rule_id = 'DORMANT' and o.balance_cny > 0 and m.eom_aum >= r.min_amount_cny
),

churn_risk as (
    select distinct alerts.entity_id as party_id, 'churn_risk' as tag
    from {{ ref('mart_alerts') }} as alerts
    cross join today
    inner join tag_rules as r on r.tag = 'churn_risk'
    where alerts.rule_id in ('AUM_DROP', 'OUTFLOW_OTHER_BANK')
        and alerts.entity_type = 'customer'
        and alerts.as_of_date > {{ dbt.dateadd('day', '-r.lookback_days', 'today.as_of_date') }}
),

tags as (
    select * from payroll
    union all select * from mortgage
    union all select * from card_revolver
    union all select * from dormant_high_value
    union all select * from churn_risk
),

party_tags as (
    select party_id, {{ dbt.listagg('tag', "','", 'order by tag') }} as tags
    from tags
    group by party_id
)

select
    c.party_id,
    c.party_kind,
    case when c.party_kind = 'personal' then {{ mask_person_name('c.cust_name') }}
        else c.cust_name end as cust_name_masked,
    c.id_type,
    {{ mask_id_no('c.id_no') }} as id_no_masked,
    {{ mask_mobile('c.mobile') }} as mobile_masked,
    {{ mask_address('c.address') }} as address_masked,
    c.gender,
    age.age_band,
    c.industry_code,
    c.scale,
    today.as_of_date,
    t.tier,
    t.tier_status,
    t.tier_period,
    cast(coalesce(m.adb_aum, 0) as {{ money_type() }}) as aum_adb_mtd,
    cast(coalesce(m.eom_aum, 0) as {{ money_type() }}) as aum_balance,
    cast(coalesce(m.eom_loan, 0) as {{ money_type() }}) as loan_balance,
    coalesce(p.open_account_count, 0) as open_account_count,
    coalesce(p.product_count, 0) as product_count,
    cat.categories as product_categories,
    cast(lfc.contribution as {{ money_type() }}) as contribution_last_month,
    ctb.last_finished_period as contribution_period,
    cast(ctb.contribution_mtd as {{ money_type() }}) as contribution_mtd,
    m.main_manager_id as manager_id,
    mgr.manager_name,
    m.home_org_id,
    ct.last_contact_ts,
    t.next_contact_due,
    coalesce(pt.tags, '') as tags,
    coalesce(pt.tags like '%payroll%', false) as is_payroll,
    coalesce(pt.tags like '%mortgage_holder%', false) as is_mortgage_holder,
    coalesce(pt.tags like '%card_revolver%', false) as is_card_revolver,
    coalesce(pt.tags like '%dormant_high_value%', false) as is_dormant_high_value,
    coalesce(pt.tags like '%churn_risk%', false) as is_churn_risk
from {{ ref('dim_customer') }} as c
cross join today
left join {{ ref('age_bands') }} as age
    on c.birth_date is not null
    and {{ age_in_years('c.birth_date', 'today.as_of_date') }} >= age.min_age
    and {{ age_in_years('c.birth_date', 'today.as_of_date') }} < age.max_age
left join latest_month as m on m.party_id = c.party_id
left join latest_tier as t on t.party_id = c.party_id
left join contribution as ctb on ctb.party_id = c.party_id
left join last_finished_contribution as lfc on lfc.party_id = c.party_id
left join products as p on p.party_id = c.party_id
left join categories as cat on cat.party_id = c.party_id
left join contacts as ct on ct.party_id = c.party_id
left join {{ ref('dim_manager') }} as mgr on mgr.manager_id = m.main_manager_id
left join party_tags as pt on pt.party_id = c.party_id
