-- Every team's chain of parents reaches a root within team_tree_max_depth() levels
-- (dim_team unrolls that many self-joins). Fails with teams deeper than that, in a
-- cycle, or under a missing parent.
select team_id, parent_team_id
from {{ ref('dim_team') }}
where team_level is null
