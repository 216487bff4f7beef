{#
  The `assess` assignments (the only ones that earn credit) of the latest CRM_ASSIGN
  snapshot — a full snapshot: the latest delivery is the current truth, even where an
  assignment changed or disappeared since an earlier one.

  valid_to is EXCLUSIVE (half-open [valid_from, valid_to), like every window here): the
  generator's book is active while from_day <= day < to_day, a manager's leaving ends
  one row on the very day the colleague's row starts, and a raised share starts the day
  the lower one ends — read inclusively those days would count twice. Empty = open
  (open_end()). Rows with valid_to <= valid_from cover no day and are left out.
#}

with snapshot as (
    select max(biz_date) as biz_date
    from {{ ref('stg_crm__assigns') }}
),

assigns as (
    select
        a.assign_id,
        {{ dbt.concat(["a.sys", "':'", "a.acct_no"]) }} as account_key,
        a.sys,
        a.acct_no,
        a.manager_id,
        a.share_pct as share_pct_raw,
        a.valid_from,
        coalesce(a.valid_to, {{ open_end() }}) as valid_to,
        a.biz_date as snapshot_date
    from {{ ref('stg_crm__assigns') }} as a
    inner join snapshot
        on a.biz_date = snapshot.biz_date
    where a.purpose = 'assess'
)

select * from assigns
where valid_from < valid_to
