-- One system's org code maps to one organisation per day: the dated rows of a
-- (sys, org_code) never overlap, and none is empty (half-open [valid_from, valid_to)).
select
    a.sys,
    a.org_code,
    a.org_id,
    a.valid_from,
    a.valid_to,
    b.org_id as overlapping_org_id,
    b.valid_from as overlapping_valid_from,
    b.valid_to as overlapping_valid_to
from {{ ref('int_org_mappings') }} as a
inner join {{ ref('int_org_mappings') }} as b
    on b.sys = a.sys
    and b.org_code = a.org_code
    and b.valid_from < a.valid_to
    and a.valid_from < b.valid_to
    -- another row: a later start, or the same start with another org or end
    and (b.valid_from > a.valid_from
        or (b.valid_from = a.valid_from and (b.org_id <> a.org_id or b.valid_to <> a.valid_to)))
union all
select sys, org_code, org_id, valid_from, valid_to, null, null, null
from {{ ref('int_org_mappings') }}
where not (valid_from < valid_to)
