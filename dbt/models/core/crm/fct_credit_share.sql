{#
  The credit share of each manager on each account, as elementary intervals: each
  account's timeline is cut at every boundary of its assess assignments, so within one
  row the set of active assignments is constant. On a day whose raw total exceeds
  max_total_share_pct (seed credit_parameters) every share of the account is scaled down
  proportionally; the remainder up to 100 stays with the account's organisation.
  Credit on a day d = balance(d) × share_pct / 100 of the row with
  valid_from <= d < valid_to.
#}

with assigns as (
    select
        *,
        count(*) over (partition by account_key) as assignment_count
    from {{ ref('int_assignment_shares') }}
),

params as (
    select cast(value as {{ dbt.type_numeric() }}) as max_total_share_pct
    from {{ ref('credit_parameters') }}
    where parameter = 'max_total_share_pct'
),

-- most accounts have one assignment: its own interval is already elementary, so only
-- accounts with several go through the split (halves the cost at 2M accounts)
shared as (
    select * from assigns where assignment_count > 1
),

boundaries as (
    select account_key, valid_from as boundary from shared
    union
    select account_key, valid_to as boundary from shared
),

elementary as (
    select
        account_key,
        boundary as valid_from,
        lead(boundary) over (partition by account_key order by boundary) as valid_to
    from boundaries
),

split as (
    -- an assignment covers an elementary interval whole, or not at all
    select
        e.account_key,
        a.sys,
        a.acct_no,
        a.manager_id,
        a.assign_id,
        e.valid_from,
        e.valid_to,
        a.share_pct_raw,
        sum(a.share_pct_raw) over (
            partition by e.account_key, e.valid_from
        ) as total_share_pct_raw
    from elementary as e
    inner join shared as a
        on a.account_key = e.account_key
        and a.valid_from <= e.valid_from
        and e.valid_from < a.valid_to
    where e.valid_to is not null
),

shares as (
    select
        account_key,
        sys,
        acct_no,
        manager_id,
        assign_id,
        valid_from,
        valid_to,
        share_pct_raw,
        share_pct_raw as total_share_pct_raw
    from assigns
    where assignment_count = 1
    union all
    select * from split
)

select
    shares.account_key,
    shares.sys,
    shares.acct_no,
    shares.manager_id,
    shares.assign_id,
    shares.valid_from,
    shares.valid_to,
    shares.share_pct_raw,
    cast(
        case
            when shares.total_share_pct_raw > params.max_total_share_pct
                then shares.share_pct_raw * params.max_total_share_pct / shares.total_share_pct_raw
            else shares.share_pct_raw
        end as {{ dbt.type_numeric() }}
    ) as share_pct,
    cast(shares.total_share_pct_raw as {{ dbt.type_numeric() }}) as total_share_pct_raw,
    shares.total_share_pct_raw > params.max_total_share_pct as is_scaled
from shares
cross join params
