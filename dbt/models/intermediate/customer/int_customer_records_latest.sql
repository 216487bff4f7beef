{#
  One row per source customer (sys, cust_no): its latest delivered row (latest business
  date, then the highest line of that file), with when it was first delivered.
#}
with ranked as (
    select
        *,
        row_number() over (
            partition by sys, cust_no
            order by biz_date desc, source_line desc
        ) as version_rank,
        min(biz_date) over (partition by sys, cust_no) as first_seen_date,
        count(*) over (partition by sys, cust_no) as versions_delivered
    from {{ ref('int_customer_records_unioned') }}
)

select
    {{ dbt.concat(["sys", "':'", "cust_no"]) }} as record_key,
    sys,
    cust_no,
    party_kind,
    cust_name,
    id_type,
    id_no,
    gender,
    birth_date,
    mobile,
    address,
    industry_code,
    scale,
    reg_capital,
    org_code,
    cust_status,
    update_ts,
    biz_date as last_delivered_date,
    source_version,
    source_line,
    first_seen_date,
    versions_delivered
from ranked
where version_rank = 1
