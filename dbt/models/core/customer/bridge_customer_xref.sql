{#
  One row per source customer record (sys, cust_no) -> party_id, with the rule that
  matched it and its rank as the party's golden record (docs/customers.md: the
  highest source priority of the seed first, then the most recent update_ts).
#}
with keyed as (
    select * from {{ ref('int_customer_records_keyed') }}
),

priority as (
    select * from {{ ref('customer_source_priority') }}
),

ranked as (
    select
        keyed.*,
        coalesce(priority.priority, 0) as source_priority,
        row_number() over (
            partition by keyed.party_id
            order by
                coalesce(priority.priority, 0) desc,
                keyed.update_ts desc nulls last,
                keyed.sys,
                keyed.cust_no
        ) as golden_rank
    from keyed
    left join priority
        on priority.sys = keyed.sys
)

select
    record_key,
    sys,
    cust_no,
    party_id,
    party_kind,
    match_key,
    match_rule,
    id_quality,
    id_problem,
    id_type,
    id_no,
    id_no_normalised,
    cust_name,
    name_normalised,
    source_priority,
    golden_rank,
    golden_rank = 1 as is_golden,
    update_ts,
    first_seen_date,
    last_delivered_date
from ranked
