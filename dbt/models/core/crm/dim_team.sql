{#
  The customer-manager department tree (客户部门) as it is today: the current versions of
  dim_team_history (those of the latest CRM_TEAM snapshot), flattened: t0 = the team, t1 its
  parent, … up to team_tree_max_depth() levels (macros/team_hierarchy.sql). A team whose
  chain does not reach a root within that depth (too deep, a cycle, or a missing parent)
  gets no team_level and fails the tests. Monthly marts unroll the tree as of each month
  instead (int_kpi_team_months).
#}

with latest as (
    select max(biz_date) as snapshot_date
    from {{ ref('stg_crm__teams') }}
),

teams as (
    select
        h.team_id,
        h.team_name,
        h.parent_team_id,
        h.org_id,
        latest.snapshot_date
    from {{ ref('dim_team_history') }} as h
    cross join latest
    where h.valid_to = {{ open_end() }}
),

tree as (
    {{ flatten_team_tree('teams', carry=['snapshot_date']) }}
)

select * from tree
