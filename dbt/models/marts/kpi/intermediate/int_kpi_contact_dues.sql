{#
  VIP contacts that fell due, and whether they were made on time (KPI contact
  compliance: docs/kpi.md, contact plans: docs/vip.md). A VIP party is due a contact contact_every_days (vip_tiers, by
  the tier in force) after its last contact. Every anchor gives one due date:
  - each contact day of the party (a CRM contact whose outcome counts,
    vip_contact_outcomes) while it is a VIP: due = contact day + the days of its tier
    in force that month;
  - becoming a VIP (its first month with a VIP tier in the warehouse): it counts as
    contacted the day before that month, so due = that day + the days of the tier.
  The due is met on time when the party's next contact (by any manager) comes after the
  anchor and on or before the due date. A due belongs to the month of its due date, once
  that date has passed or is today (the month's as_of_date), and counts for the party's
  main manager of that month, only while the party is still a VIP then. The current
  month uses the previous month's tier (int_kpi_party_months).
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

-- open end: a contact falls due up to months later
with periods as (
    {{ kpi_periods(open_end=true) }}
),

all_periods as (
    select * from {{ ref('int_periods') }}
),

party_months as (
    select party_id, period, period_start, tier, is_vip, contact_every_days, main_manager_id
    from {{ ref('int_kpi_party_months') }}
),

contacts as (
    select distinct
        x.party_id,
        cast(c.contact_ts as date) as contact_date
    from {{ ref('stg_crm__contacts') }} as c
    inner join {{ ref('bridge_customer_xref') }} as x
        on x.sys = c.sys and x.cust_no = c.cust_no
    inner join {{ ref('vip_contact_outcomes') }} as o
        on o.outcome = c.outcome and o.is_contact
),

contact_anchors as (
    select
        c.party_id,
        'contact' as anchor_kind,
        c.contact_date as anchor_date,
        m.tier as anchor_tier,
        m.contact_every_days
    from contacts as c
    inner join all_periods as p
        on c.contact_date >= p.covered_from and c.contact_date < p.covered_to
    inner join party_months as m
        on m.party_id = c.party_id and m.period = p.period
    where m.is_vip
),

first_vip_months as (
    select party_id, min(period_start) as period_start
    from party_months
    where is_vip
    group by party_id
),

vip_anchors as (
    select
        m.party_id,
        'became_vip' as anchor_kind,
        cast({{ dbt.dateadd('day', -1, 'm.period_start') }} as date) as anchor_date,
        m.tier as anchor_tier,
        m.contact_every_days
    from party_months as m
    inner join first_vip_months as f
        on f.party_id = m.party_id and f.period_start = m.period_start
),

anchors as (
    select
        party_id, anchor_kind, anchor_date, anchor_tier, contact_every_days,
        cast({{ dbt.dateadd('day', 'contact_every_days', 'anchor_date') }} as date) as due_date
    from (
        select * from contact_anchors
        union all
        select * from vip_anchors
    ) as unioned
    where contact_every_days is not null
),

dues as (
    select
        a.party_id,
        p.period,
        p.period_start,
        a.anchor_kind,
        a.anchor_date,
        a.anchor_tier,
        a.contact_every_days,
        a.due_date,
        min(c.contact_date) as next_contact_date
    from anchors as a
    inner join periods as p
        on a.due_date >= p.covered_from and a.due_date < p.covered_to
    left join contacts as c
        on c.party_id = a.party_id and c.contact_date > a.anchor_date
    group by
        a.party_id, p.period, p.period_start, a.anchor_kind, a.anchor_date, a.anchor_tier,
        a.contact_every_days, a.due_date
)

select
    d.party_id,
    d.period,
    d.period_start,
    d.anchor_kind,
    d.anchor_date,
    d.anchor_tier,
    d.contact_every_days,
    d.due_date,
    d.next_contact_date,
    coalesce(d.next_contact_date <= d.due_date, false) as is_on_time,
    m.main_manager_id as manager_id
from dues as d
inner join party_months as m
    on m.party_id = d.party_id and m.period = d.period
where m.is_vip
