{#
  Bridge team → each of its ancestors, itself included (depth 0), for rolling team
  KPIs up the tree: join facts on team_id = bridge_team_ancestors.team_id and group by
  ancestor_team_id. Unpivoted from dim_team's level columns (union all: portable).
#}
{%- set n = team_tree_max_depth() -%}

{% for level in range(1, n + 1) %}
select
    team_id,
    level_{{ level }}_team_id as ancestor_team_id,
    team_level - {{ level }} as depth,
    {{ level }} as ancestor_level
from {{ ref('dim_team') }}
where level_{{ level }}_team_id is not null
{% if not loop.last %}union all{% endif %}
{%- endfor %}
