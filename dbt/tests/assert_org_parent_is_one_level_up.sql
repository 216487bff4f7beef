-- Every organisation below the head office hangs directly under the level above its own
-- (dim_org's ancestor columns and the self-joins rely on the fixed levels 1–5).
select
    child.org_id,
    child.org_level,
    child.parent_org_id,
    parent.org_level as parent_org_level
from {{ ref('dim_org') }} as child
left join {{ ref('dim_org') }} as parent
    on parent.org_id = child.parent_org_id
where (child.org_level = 1 and child.parent_org_id is not null)
    or (child.org_level > 1 and (parent.org_level is null or parent.org_level <> child.org_level - 1))
