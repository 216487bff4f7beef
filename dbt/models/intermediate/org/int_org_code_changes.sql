{#
  Where outlets merge and codes move (docs/accounts.md), dim_account's org history must
  change on the merge date, not on the next delivery: these are those dates. Both sides are resolved with map_org, on the day before and on the day itself.
#}

with boundaries as (
    select sys, org_code, valid_from as change_date
    from {{ ref('int_org_mappings') }}
    union
    select sys, org_code, valid_to as change_date
    from {{ ref('int_org_mappings') }}
    where valid_to < {{ open_end() }}
),

days as (
    select
        sys,
        org_code,
        change_date,
        cast({{ dbt.dateadd('day', -1, 'change_date') }} as date) as day_before
    from boundaries
),

mapped as (
    select
        days.sys,
        days.org_code,
        days.change_date,
        before_map.org_id as from_org_id,
        after_map.org_id as to_org_id
    from days
    {{ map_org('days.sys', 'days.org_code', 'days.day_before', alias='before_map') }}
    {{ map_org('days.sys', 'days.org_code', 'days.change_date', alias='after_map') }}
)

select
    sys,
    org_code,
    change_date,
    from_org_id,
    to_org_id,
    case when to_org_id is null then 'unmapped' else 'moved' end as change_kind
from mapped
-- a code's first appearance is no change
where from_org_id is not null
    and (to_org_id is null or to_org_id <> from_org_id)
