{#
  The customer-manager department tree (客户部门) of the latest CRM_TEAM snapshot,
  flattened: t0 = the team, t1 its parent, … up to team_tree_max_depth() levels.
  A team whose chain does not reach a root within that depth (too deep, a cycle, or a
  missing parent) gets no team_level and fails the tests.
#}
{%- set n = team_tree_max_depth() -%}

with snapshot as (
    select max(biz_date) as biz_date
    from {{ ref('stg_crm__teams') }}
),

teams as (
    select
        t.team_id,
        t.team_name,
        t.parent_team_id,
        t.org_id,
        t.biz_date as snapshot_date
    from {{ ref('stg_crm__teams') }} as t
    inner join snapshot
        on t.biz_date = snapshot.biz_date
),

chain as (
    select
        t0.*,
        {%- for i in range(1, n) %}
        t{{ i }}.team_id as t{{ i }}_team_id,
        {%- endfor %}
        case
            {%- for i in range(n) %}
            when t{{ i }}.team_id is not null and t{{ i }}.parent_team_id is null then {{ i + 1 }}
            {%- endfor %}
        end as team_level
    from teams as t0
    {%- for i in range(1, n) %}
    left join teams as t{{ i }}
        on t{{ i }}.team_id = t{{ i - 1 }}.parent_team_id
    {%- endfor %}
)

select
    team_id,
    team_name,
    parent_team_id,
    org_id,
    team_level,
    -- root first: 'TM000/TM003/TM005'
    {% set parts = [] -%}
    {%- for i in range(n - 1, 0, -1) -%}
        {%- do parts.append("coalesce(" ~ dbt.concat(["t" ~ i ~ "_team_id", "'/'"]) ~ ", '')") -%}
    {%- endfor -%}
    {%- do parts.append("team_id") -%}
    case when team_level is not null then {{ dbt.concat(parts) }} end as team_path,
    {%- for level in range(1, n + 1) %}
    -- the ancestor at level {{ level }} sits (team_level - {{ level }}) steps up
    case team_level - {{ level }}
        when 0 then team_id
        {%- for i in range(1, n) %}
        when {{ i }} then t{{ i }}_team_id
        {%- endfor %}
    end as level_{{ level }}_team_id,
    {%- endfor %}
    snapshot_date
from chain
