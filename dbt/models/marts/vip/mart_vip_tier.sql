{#
  VIP tier of each personal party per finished month (贵宾客户分层, docs/vip.md).
  raw_tier: the highest tier (seed vip_tiers) whose threshold is at most the month's average
  daily AUM. Quick up, slow down (快升缓降), month by month from the party's first month:
    no tier yet            → new:   the raw tier
    raw above the tier     → up:    the raw tier, at once (also during a watch)
    raw equal to the tier  → same:  the watch counter resets
    raw below the tier     → watch: the tier is kept, watch_months + 1, until the raw tier
                             has been lower for the tier's watch_months (seed, N)
                             consecutive months: then down, to the highest raw tier of
                             those N months (watch_highest_raw_rank carries it), so an AUM
                             hovering between two lower tiers goes down one step at a
                             time, not to whichever tier the last month happened to hit.
  The population: a personal party enters in its first month with AUM (adb_aum > 0) and
  stays in every later finished month; a month without any account row counts as AUM 0.

  The tier is state carried from month to month. Without recursive CTEs (not portable)
  the months are chained by a Jinja loop: one CTE per finished month of the window, each
  reading the state (tier, watch counter, VIP start) the CTE before left. Incremental with
  an open end: a run replaces the months its window touches and every later one, starting
  from the state stored for the month before the window.

  Contacts: the last contact (an outcome the seed vip_contact_outcomes counts) of any
  record of the party on or before the month's as_of_date; next_contact_due = that date +
  the tier's contact_every_days, or, never contacted, the first day of the party's current
  run of VIP months + contact_every_days. mass has no contact plan.
#}
{{ config(
    materialized='incremental',
    incremental_strategy='replace_window',
    window_column='period_start',
    window_grain='month',
    window_open_end=true,
    on_schema_change='fail',
    tags=['monthly'],
) }}

{%- set step_count = vip_month_steps() %}

with periods as (
    -- every finished month from the window's first month on (open end), numbered
    select
        period,
        period_start,
        as_of_date,
        row_number() over (order by period_start) as step
    from {{ ref('int_periods') }}
    where is_finished and period_start >= {{ month_window_start() }}
),

tiers as (
    select
        tier,
        tier_rank,
        min_aum_cny,
        lead(min_aum_cny) over (order by tier_rank) as next_min_aum_cny,
        watch_months as down_after_months,
        contact_every_days
    from {{ ref('vip_tiers') }}
),

party_months as (
    select
        m.party_id,
        p.step,
        m.adb_aum,
        t.tier_rank as raw_rank,
        m.home_org_id,
        m.main_manager_id
    from {{ ref('int_party_months') }} as m
    inner join periods as p on p.period = m.period
    -- the lowest tier takes everything below the next threshold
    inner join tiers as t
        on (t.tier_rank = 0 or m.adb_aum >= t.min_aum_cny)
        and (t.next_min_aum_cny is null or m.adb_aum < t.next_min_aum_cny)
    where m.party_kind = 'personal'
),

-- the state the month before the window left (empty on a full build)
step_0 as (
    {%- if is_incremental() %}
    select party_id, tier_rank, watch_months, watch_highest_raw_rank, vip_since
    from {{ this }}
    where period_start = cast({{ dbt.dateadd('month', -1, month_window_start()) }} as date)
    {%- else %}
    select
        cast(null as {{ dbt.type_string() }}) as party_id,
        cast(null as integer) as tier_rank,
        cast(null as integer) as watch_months,
        cast(null as integer) as watch_highest_raw_rank,
        cast(null as date) as vip_since
    from periods
    where 1 = 0
    {%- endif %}
),

{#- the highest raw tier of the current run of lower months, this one included #}
{%- set watch_highest -%}
    greatest(raw_rank, coalesce(previous_watch_highest, raw_rank))
{%- endset %}

{#- the tier the month's status gives (same and watch keep the tier held; down goes to the
    highest raw tier of the N lower months) #}
{%- set new_rank -%}
    case
        when tier_status in ('same', 'watch') then previous_rank
        when tier_status = 'down' then {{ watch_highest }}
        else raw_rank
    end
{%- endset %}

{%- for k in range(1, step_count + 1) %}

step_{{ k }} as (
    select
        party_id,
        step,
        adb_aum,
        raw_rank,
        home_org_id,
        main_manager_id,
        previous_rank,
        tier_status,
        {{ new_rank }} as tier_rank,
        case when tier_status = 'watch' then previous_watch_months + 1 else 0 end as watch_months,
        case when tier_status = 'watch' then {{ watch_highest }} end as watch_highest_raw_rank,
        case
            when {{ new_rank }} = 0 then null
            else coalesce(previous_vip_since, period_start)
        end as vip_since
    from (
        select
            coalesce(s.party_id, m.party_id) as party_id,
            p.step,
            p.period_start,
            coalesce(m.adb_aum, 0) as adb_aum,
            coalesce(m.raw_rank, 0) as raw_rank,
            m.home_org_id,
            m.main_manager_id,
            s.tier_rank as previous_rank,
            s.watch_months as previous_watch_months,
            s.watch_highest_raw_rank as previous_watch_highest,
            s.vip_since as previous_vip_since,
            case
                when s.party_id is null then 'new'
                when coalesce(m.raw_rank, 0) > s.tier_rank then 'up'
                when coalesce(m.raw_rank, 0) = s.tier_rank then 'same'
                when s.watch_months + 1 >= held.down_after_months then 'down'
                else 'watch'
            end as tier_status
        from step_{{ k - 1 }} as s
        full outer join (select * from party_months where step = {{ k }}) as m
            on m.party_id = s.party_id
        cross join (select step, period_start from periods where step = {{ k }}) as p
        left join tiers as held on held.tier_rank = s.tier_rank
        -- parties with AUM history go on; others enter with their first AUM
        where s.party_id is not null or m.adb_aum > 0
    ) as decided
),
{%- endfor %}

tiered as (
    {%- for k in range(1, step_count + 1) %}
    select * from step_{{ k }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

contacts as (
    select
        x.party_id,
        cast(c.contact_ts as date) as contact_date
    from {{ ref('stg_crm__contacts') }} as c
    inner join {{ ref('vip_contact_outcomes') }} as o on o.outcome = c.outcome
    inner join {{ ref('bridge_customer_xref') }} as x on x.sys = c.sys and x.cust_no = c.cust_no
    where o.is_contact
),

last_contacts as (
    select
        c.party_id,
        p.step,
        max(c.contact_date) as last_contact_date
    from contacts as c
    inner join periods as p on c.contact_date <= p.as_of_date
    group by c.party_id, p.step
)

select
    t.party_id,
    p.period,
    p.period_start,
    p.as_of_date,
    t.adb_aum,
    raw.tier as raw_tier,
    held.tier as tier,
    t.tier_rank,
    t.tier_status,
    previous.tier as previous_tier,
    t.watch_months,
    t.watch_highest_raw_rank,
    t.home_org_id,
    t.main_manager_id as manager_id,
    t.vip_since,
    c.last_contact_date,
    held.contact_every_days,
    case
        when held.contact_every_days is not null
            then cast({{ dbt.dateadd(
                'day', 'held.contact_every_days', 'coalesce(c.last_contact_date, t.vip_since)'
            ) }} as date)
    end as next_contact_due
from tiered as t
inner join periods as p on p.step = t.step
inner join tiers as raw on raw.tier_rank = t.raw_rank
inner join tiers as held on held.tier_rank = t.tier_rank
left join tiers as previous on previous.tier_rank = t.previous_rank
left join last_contacts as c on c.party_id = t.party_id and c.step = t.step
