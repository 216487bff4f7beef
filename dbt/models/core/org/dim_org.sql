{#
  The organisation tree of the latest PUB_ORG snapshot, flattened.
  Levels are fixed (1 head office … 5 outlet), so the ancestors come from four
  self-joins instead of a recursive CTE (which Spark lacks).
#}
{%- set max_level = 5 -%}

with snapshot as (
    select max(biz_date) as biz_date
    from {{ ref('stg_pub__orgs') }}
),

orgs as (
    select
        o.org_id,
        o.org_name,
        o.parent_org_id,
        cast(o.org_level as integer) as org_level,
        o.biz_date as snapshot_date
    from {{ ref('stg_pub__orgs') }} as o
    inner join snapshot
        on o.biz_date = snapshot.biz_date
),

parents as (
    select distinct parent_org_id
    from orgs
    where parent_org_id is not null
),

chain as (
    -- a0 = the organisation itself, a1 its parent, … a4 the head office of an outlet
    select
        a0.*,
        {%- for i in range(1, max_level) %}
        a{{ i }}.org_id as a{{ i }}_org_id,
        a{{ i }}.org_level as a{{ i }}_org_level,
        {%- endfor %}
        parents.parent_org_id is null as is_leaf
    from orgs as a0
    {%- for i in range(1, max_level) %}
    left join orgs as a{{ i }}
        on a{{ i }}.org_id = a{{ i - 1 }}.parent_org_id
    {%- endfor %}
    left join parents
        on parents.parent_org_id = a0.org_id
)

select
    org_id,
    org_name,
    parent_org_id,
    org_level,
    -- root first: '10000/20001/30002/40005/50001'
    {{ dbt.concat([
        "coalesce(" ~ dbt.concat(["a4_org_id", "'/'"]) ~ ", '')",
        "coalesce(" ~ dbt.concat(["a3_org_id", "'/'"]) ~ ", '')",
        "coalesce(" ~ dbt.concat(["a2_org_id", "'/'"]) ~ ", '')",
        "coalesce(" ~ dbt.concat(["a1_org_id", "'/'"]) ~ ", '')",
        "org_id",
    ]) }} as org_path,
    {%- for level in range(1, max_level + 1) %}
    case
        when org_level = {{ level }} then org_id
        {%- for i in range(1, max_level) %}
        when a{{ i }}_org_level = {{ level }} then a{{ i }}_org_id
        {%- endfor %}
    end as level_{{ level }}_org_id,
    {%- endfor %}
    is_leaf,
    snapshot_date
from chain
