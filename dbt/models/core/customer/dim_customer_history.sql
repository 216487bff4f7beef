{#
  Zipper table of each party's golden attributes (docs/customers.md): one row per
  stretch of business dates with the same golden attributes, [valid_from, valid_to),
  the current row open to 9999-12-31.
  Replayed from the delivered CUST rows: on every date a record of the party was
  delivered, each record's latest version as of that date competes under the same rule
  as dim_customer (source priority, then update_ts). Party membership is today's
  (bridge_customer_xref), so a rebuild gives the same rows.
#}
{%- set attributes = [
    'cust_name', 'gender', 'birth_date', 'mobile', 'address', 'industry_code', 'scale',
    'reg_capital', 'cust_status', 'org_code', 'golden_sys'] -%}

with delivered as (
    select
        xref.party_id,
        coalesce(priority.priority, 0) as source_priority,
        delivered.*
    from {{ ref('int_customer_records_unioned') }} as delivered
    inner join {{ ref('bridge_customer_xref') }} as xref
        on xref.sys = delivered.sys
        and xref.cust_no = delivered.cust_no
    left join {{ ref('customer_source_priority') }} as priority
        on priority.sys = delivered.sys
),

-- the dates on which something of the party was delivered
party_dates as (
    select distinct party_id, biz_date as as_of_date
    from delivered
),

-- each record's latest version as of each of those dates
versions_as_of as (
    select
        party_dates.as_of_date,
        delivered.*,
        row_number() over (
            partition by party_dates.party_id, party_dates.as_of_date, delivered.sys, delivered.cust_no
            order by delivered.biz_date desc, delivered.source_line desc
        ) as version_rank
    from party_dates
    inner join delivered
        on delivered.party_id = party_dates.party_id
        and delivered.biz_date <= party_dates.as_of_date
),

golden_ranked as (
    select
        *,
        sys as golden_sys,
        row_number() over (
            partition by party_id, as_of_date
            order by source_priority desc, update_ts desc nulls last, sys, cust_no
        ) as golden_rank
    from versions_as_of
    where version_rank = 1
),

states as (
    select
        party_id,
        as_of_date,
        {{ attributes | join(',\n        ') }},
        cust_no as golden_cust_no,
        {{ row_fingerprint(attributes) }} as fingerprint
    from golden_ranked
    where golden_rank = 1
),

-- keep a date only when a golden attribute changed
changes as (
    select
        *,
        lag(fingerprint) over (partition by party_id order by as_of_date) as previous_fingerprint
    from states
),

kept as (
    select *
    from changes
    where previous_fingerprint is null or previous_fingerprint <> fingerprint
)

select
    {{ dbt.concat(["party_id", "':'", dbt.safe_cast("as_of_date", dbt.type_string())]) }} as history_id,
    party_id,
    as_of_date as valid_from,
    coalesce(
        lead(as_of_date) over (partition by party_id order by as_of_date),
        {{ open_end() }}
    ) as valid_to,
    {{ attributes | join(',\n    ') }},
    golden_cust_no
from kept
