{#
  Each system's local org code → unified org_id, dated, from the latest PUB_ORGMAP
  snapshot (a full snapshot: the latest delivery is the current truth, earlier
  deliveries are superseded even where a row changed or disappeared).
  Validity is half-open [valid_from, valid_to): on a merge date the old row ends and the
  new one starts, so the merge date itself belongs to the new organisation.
  Map a code on a date with the macros of macros/org_mapping.sql.
#}

with snapshot as (
    select max(biz_date) as biz_date
    from {{ ref('stg_pub__orgmaps') }}
),

mappings as (
    select
        m.sys,
        m.org_code,
        m.org_id,
        m.valid_from,
        coalesce(m.valid_to, {{ open_end() }}) as valid_to,
        m.biz_date as snapshot_date
    from {{ ref('stg_pub__orgmaps') }} as m
    inner join snapshot
        on m.biz_date = snapshot.biz_date
)

select * from mappings
