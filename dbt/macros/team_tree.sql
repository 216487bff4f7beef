{#
  The deepest team tree (CRM_TEAM, root = level 1) that dim_team and bridge_team_ancestors
  unroll with self-joins (portable: no recursive CTE). The bank's tree today is
  head office line → city branch department → sub-branch team (3 levels).
  A deeper tree fails the test assert_team_tree_within_max_depth: raise this then.
#}
{% macro team_tree_max_depth() -%}
    {{ return(8) }}
{%- endmacro %}
