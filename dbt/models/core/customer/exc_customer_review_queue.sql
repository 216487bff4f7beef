{#
  Source customer records a person must look at (docs/customers.md):
  - invalid_id: the number fails its check character or has the wrong length; the
    record is a party of its own and is never merged automatically;
  - name_conflict: the record shares its key with records whose normalised names differ;
    the party stays merged, every record of it is listed with its name.
#}
with xref as (
    select * from {{ ref('bridge_customer_xref') }}
),

dim as (
    select * from {{ ref('dim_customer') }}
),

invalid_id as (
    select
        party_id,
        sys,
        cust_no,
        'invalid_id' as reason,
        {{ dbt.concat([
            "'id_type '", "coalesce(id_type, '?')", "' number '", "coalesce(id_no, '(none)')",
            "': '", "id_problem"]) }} as detail
    from xref
    where id_quality = 'invalid'
),

name_conflict as (
    select
        xref.party_id,
        xref.sys,
        xref.cust_no,
        'name_conflict' as reason,
        {{ dbt.concat([
            "'name '", "coalesce(xref.name_normalised, '(none)')",
            "' differs from other records of key '", "xref.match_key",
            "'; golden name '", "coalesce(dim.name_normalised, '(none)')",
            "' from '", "dim.golden_sys", "' '", "dim.golden_cust_no"]) }} as detail
    from xref
    inner join dim
        on dim.party_id = xref.party_id
    where dim.has_name_conflict
),

queue as (
    select * from invalid_id
    union all
    select * from name_conflict
)

select
    {{ dbt.concat(["reason", "':'", "sys", "':'", "cust_no"]) }} as review_id,
    party_id,
    sys,
    cust_no,
    reason,
    detail
from queue
