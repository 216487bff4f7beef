{#
  The golden attributes are those of the record bridge_customer_xref ranks first (the
  ranking lives there, once, and dim_customer_history replays the same rule).
#}
with xref as (
    select * from {{ ref('bridge_customer_xref') }}
),

keyed as (
    select * from {{ ref('int_customer_records_keyed') }}
),

golden as (
    select keyed.*
    from xref
    inner join keyed
        on keyed.sys = xref.sys
        and keyed.cust_no = xref.cust_no
    where xref.is_golden
),

-- the identifier shown: a company's unified social credit code when any record has it
-- (it also carries the organisation code), else the golden record's number
identifier_ranked as (
    select
        party_id,
        id_type,
        id_no_normalised,
        row_number() over (
            partition by party_id
            order by case when id_type = '21' and id_quality = 'valid' then 0 else 1 end, golden_rank
        ) as identifier_rank
    from xref
),

identifier as (
    select * from identifier_ranked where identifier_rank = 1
),

stats as (
    select
        party_id,
        count(*) as source_records,
        -- min <> max: more than one normalised name, without a costly count(distinct)
        min(name_normalised) <> max(name_normalised) as has_name_conflict,
        min(first_seen_date) as first_seen_date,
        max(update_ts) as last_update_ts,
        max(last_delivered_date) as last_delivered_date
    from xref
    group by party_id
),

party_systems as (
    select party_id, count(*) as source_systems, {{ sorted_listagg('sys') }} as systems
    from (select distinct party_id, sys from xref) as distinct_systems
    group by party_id
)

select
    golden.party_id,
    golden.party_kind,
    golden.match_key,
    identifier.id_type,
    identifier.id_no_normalised as id_no,
    golden.id_quality,
    golden.cust_name,
    golden.name_normalised,
    golden.gender,
    golden.birth_date,
    golden.mobile,
    golden.address,
    golden.industry_code,
    golden.scale,
    golden.reg_capital,
    golden.cust_status,
    golden.org_code,
    golden.sys as golden_sys,
    golden.cust_no as golden_cust_no,
    golden.update_ts as golden_update_ts,
    stats.source_records,
    party_systems.source_systems,
    party_systems.systems,
    coalesce(stats.has_name_conflict, false) as has_name_conflict,
    stats.first_seen_date,
    stats.last_update_ts,
    stats.last_delivered_date
from golden
inner join identifier
    on identifier.party_id = golden.party_id
inner join stats
    on stats.party_id = golden.party_id
inner join party_systems
    on party_systems.party_id = golden.party_id
