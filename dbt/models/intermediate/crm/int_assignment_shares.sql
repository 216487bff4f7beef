{#
  The `assess` assignments (the only ones that earn credit) as delivered: one row per
  version of an assignment row (int_assignment_history), over the days on which that
  version was what CRM delivered and the assignment itself was valid, the intersection of
  [valid_from, valid_to) as delivered and [delivered_from, delivered_to). So the credit of
  day d follows the snapshot delivered for d: a snapshot of day 10 that ends A's row on
  day 5 and gives the account to B from day 5 leaves days 1–9 with A (they were delivered
  so) and credits B from day 10. Versions whose intersection is empty (a row closed
  before it was delivered so, a future row) are left out.

  valid_to is EXCLUSIVE (half-open [valid_from, valid_to), like every window here): the
  generator's book is active while from_day <= day < to_day, a manager's leaving ends
  one row on the very day the colleague's row starts, and a raised share starts the day
  the lower one ends — read inclusively those days would count twice. Empty = open
  (open_end()).
#}

with assess as (
    select
        assign_id,
        {{ dbt.concat(["sys", "':'", "acct_no"]) }} as account_key,
        sys,
        acct_no,
        manager_id,
        share_pct as share_pct_raw,
        valid_from as assign_valid_from,
        coalesce(valid_to, {{ open_end() }}) as assign_valid_to,
        delivered_from,
        delivered_to,
        first_delivered_date
    from {{ ref('int_assignment_history') }}
    where purpose = 'assess'
),

credited as (
    select
        *,
        greatest(assign_valid_from, delivered_from) as valid_from,
        least(assign_valid_to, delivered_to) as valid_to
    from assess
)

select
    assign_id,
    account_key,
    sys,
    acct_no,
    manager_id,
    share_pct_raw,
    valid_from,
    valid_to,
    assign_valid_from,
    assign_valid_to,
    delivered_from,
    delivered_to,
    first_delivered_date
from credited
where valid_from < valid_to
