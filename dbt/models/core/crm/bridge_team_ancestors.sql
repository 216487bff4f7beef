{#
  Bridge team → each of its ancestors, itself included (depth 0), in today's tree: join
  facts on team_id = bridge_team_ancestors.team_id and group by ancestor_team_id.
  Unpivoted from dim_team's level columns (macros/team_hierarchy.sql). The monthly KPI
  marts roll up over the tree of each month instead (int_kpi_team_ancestor_months).
#}

{{ unpivot_team_ancestors(ref('dim_team')) }}
