{#
  Alert CONTACT_OVERDUE (docs/alerts.md, docs/vip.md): a VIP party not contacted in time. On a date
  d the contact plan of the latest finished month up to d applies (mart_vip_tier: tier,
  contact_every_days, manager, next_contact_due as of that month end). A contact after
  that month end (stg_crm__contacts through bridge_customer_xref, outcomes counted by the seed
  vip_contact_outcomes, dated by contact_ts as mart_vip_tier dates them) moves the due
  date to that contact + contact_every_days. Overdue when d > the due date. A state rule:
  fires on entry, the first date overdue when it was not on the previous loaded date
  (normally the day after the due date; at a month end also when a new tier's shorter
  plan makes the party overdue at once). The first date with a plan (the first finished
  month's end) records the opening state: parties already overdue there are rows with
  is_baseline = true.

  Cost follows the window: the plans of the months applying to the window's dates and the
  contacts since them; one row per VIP party and date evaluated.
#}
{{ config(
    materialized='incremental',
    incremental_strategy='replace_window',
    window_column='as_of_date',
    on_schema_change='fail',
    tags=['monthly'],
) }}

-- the window's dates and the loaded date before each (the state an entry compares with)
with {{ alert_window_dates() }}

bounds as (
    select min(as_of_date) as eval_from, max(as_of_date) as eval_last from eval_dates
),

-- a finished month's plan applies from its month end until the next finished month's end
plan_periods as (
    select
        period,
        as_of_date as plan_from,
        coalesce(lead(as_of_date) over (order by period_start), {{ open_end() }}) as plan_to
    from {{ ref('int_periods') }}
    where is_finished
),

relevant_periods as (
    select p.*
    from plan_periods as p
    cross join bounds as b
    where p.plan_from <= b.eval_last and p.plan_to > b.eval_from
),

plans as (
    select
        v.party_id,
        v.tier,
        v.manager_id,
        v.home_org_id,
        v.contact_every_days,
        v.last_contact_date,
        v.vip_since,
        v.next_contact_due,
        r.plan_from,
        r.plan_to
    from {{ ref('mart_vip_tier') }} as v
    inner join relevant_periods as r on r.period = v.period
    where v.next_contact_due is not null
),

plan_days as (
    select p.*, e.as_of_date
    from plans as p
    inner join eval_dates as e on e.as_of_date >= p.plan_from and e.as_of_date < p.plan_to
),

contacts as (
    select
        x.party_id,
        cast(c.contact_ts as date) as contact_date
    from {{ ref('stg_crm__contacts') }} as c
    inner join {{ ref('vip_contact_outcomes') }} as o on o.outcome = c.outcome
    inner join {{ ref('bridge_customer_xref') }} as x on x.sys = c.sys and x.cust_no = c.cust_no
    cross join (select min(plan_from) as contacts_after from relevant_periods) as s
    cross join bounds as b
    where o.is_contact
        -- a contact is delivered on or after its day: the batch date bounds the scan
        and c.biz_date > s.contacts_after
        and cast(c.contact_ts as date) > s.contacts_after
        and cast(c.contact_ts as date) <= b.eval_last
),

-- the last contact after the plan's month end, up to the day
contacts_since as (
    select d.party_id, d.as_of_date, max(c.contact_date) as contact_since
    from plan_days as d
    inner join contacts as c
        on c.party_id = d.party_id
        and c.contact_date > d.plan_from and c.contact_date <= d.as_of_date
    group by d.party_id, d.as_of_date
),

due as (
    select
        d.*,
        coalesce(s.contact_since, d.last_contact_date) as last_contact,
        coalesce(
            {{ add_days('d.contact_every_days', 's.contact_since') }}, d.next_contact_due
        ) as due_date
    from plan_days as d
    left join contacts_since as s on s.party_id = d.party_id and s.as_of_date = d.as_of_date
),

states as (
    select * from due where as_of_date > due_date
),

entries as (
    select
        s.*,
        s.as_of_date = (select min(plan_from) from plan_periods) as is_baseline
    from states as s
    inner join window_dates as w on w.as_of_date = s.as_of_date
    left join states as before
        on before.party_id = s.party_id and before.as_of_date = w.previous_date
    where before.party_id is null
)

select
    as_of_date,
    cast('CONTACT_OVERDUE' as {{ dbt.type_string() }}) as rule_id,
    cast('customer' as {{ dbt.type_string() }}) as entity_type,
    party_id as entity_id,
    party_id,
    home_org_id as org_id,
    cast(null as {{ dbt.type_string() }}) as account_key,
    manager_id,
    cast(null as {{ dbt.type_string() }}) as txn_id,
    cast(null as {{ money_type() }}) as metric_amount_cny,
    cast(null as {{ money_type() }}) as base_amount_cny,
    cast(null as {{ money_type() }}) as metric_ratio,
    cast({{ dbt.datediff('due_date', 'as_of_date', 'day') }} as integer) as metric_days,
    cast(null as decimal(38, 6)) as threshold_ratio,
    cast(null as decimal(38, 6)) as threshold_amount_cny,
    cast(contact_every_days as integer) as threshold_days,
    {{ dbt.concat([
        "tier", "' customer, contact every '", as_text('contact_every_days'), "' days: '",
        "case when last_contact is not null then "
            ~ dbt.concat(["'last contact '", as_text('last_contact')])
            ~ " else " ~ dbt.concat(["'not contacted since VIP from '", as_text('vip_since')])
            ~ " end",
        "', due '", as_text('due_date'), "', overdue by '",
        as_text(dbt.datediff('due_date', 'as_of_date', 'day')), "' day(s)'",
        "case when manager_id is not null then "
            ~ dbt.concat(["' (manager '", "manager_id", "')'"]) ~ " else '' end",
        "case when is_baseline then ' (opening state on the first date evaluated)' else '' end",
    ]) }} as detail,
    cast(null as {{ dbt.type_string() }}) as severity,
    is_baseline
from entries
