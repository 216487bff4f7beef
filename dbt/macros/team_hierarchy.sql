{#
  The team tree 客户部门 flattened with self-joins (portable: no recursive CTE), up to
  team_tree_max_depth() levels: t0 = the team, t1 its parent, ... Shared by dim_team
  (today's tree) and int_kpi_team_months (the tree as of each month's as_of_date).

  flatten_team_tree(teams, partition_by=[], carry=[])
    teams         relation or CTE: team_id, team_name, parent_team_id, org_id (+ partition_by,
                  carry); one row per team (per partition)
    partition_by  columns of one tree each (e.g. ['period']): a parent is looked up in the
                  same partition only
    carry         more columns of the team's own row to pass through
  gives partition_by, team_id, team_name, parent_team_id, org_id, team_level (root = 1;
  null when the chain does not reach a root within the depth: too deep, a cycle, a missing
  parent), team_path ('TM000/TM003/TM005'), level_1_team_id ... level_N_team_id, carry.
#}
{% macro flatten_team_tree(teams, partition_by=[], carry=[]) -%}
    {%- set n = team_tree_max_depth() -%}
with chain as (
    select
        {%- for column in partition_by %}
        t0.{{ column }},
        {%- endfor %}
        t0.team_id,
        t0.team_name,
        t0.parent_team_id,
        t0.org_id,
        {%- for column in carry %}
        t0.{{ column }},
        {%- endfor %}
        {%- for i in range(1, n) %}
        t{{ i }}.team_id as t{{ i }}_team_id,
        {%- endfor %}
        case
            {%- for i in range(n) %}
            when t{{ i }}.team_id is not null and t{{ i }}.parent_team_id is null then {{ i + 1 }}
            {%- endfor %}
        end as team_level
    from {{ teams }} as t0
    {%- for i in range(1, n) %}
    left join {{ teams }} as t{{ i }}
        on t{{ i }}.team_id = t{{ i - 1 }}.parent_team_id
        {%- for column in partition_by %}
        and t{{ i }}.{{ column }} = t0.{{ column }}
        {%- endfor %}
    {%- endfor %}
)

select
    {%- for column in partition_by %}
    {{ column }},
    {%- endfor %}
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
    end as level_{{ level }}_team_id{{ ',' if carry or not loop.last }}
    {%- endfor %}
    {%- for column in carry %}
    {{ column }}{{ ',' if not loop.last }}
    {%- endfor %}
from chain
{%- endmacro %}

{#
  Each team → each of its ancestors and itself (depth 0), unpivoted from a flattened tree's
  level columns (union all: portable). For roll-ups: join a team-level fact on team_id and
  group by ancestor_team_id. Shared by bridge_team_ancestors (today) and
  int_kpi_team_ancestor_months (per month).
#}
{% macro unpivot_team_ancestors(tree, partition_by=[]) -%}
    {%- set n = team_tree_max_depth() -%}
{% for level in range(1, n + 1) %}
select
    {%- for column in partition_by %}
    {{ column }},
    {%- endfor %}
    team_id,
    level_{{ level }}_team_id as ancestor_team_id,
    team_level - {{ level }} as depth,
    {{ level }} as ancestor_level
from {{ tree }}
where level_{{ level }}_team_id is not null
{% if not loop.last %}union all{% endif %}
{%- endfor %}
{%- endmacro %}
