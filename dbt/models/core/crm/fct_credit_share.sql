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
    select * from {{ ref('int_assignment_shares') }}
),

params as (
    select cast(value as {{ dbt.type_numeric() }}) as max_total_share_pct
    from {{ ref('credit_parameters') }}
    where parameter = 'max_total_share_pct'
),

boundaries as (
    select account_key, valid_from as boundary from assigns
    union
    select account_key, valid_to as boundary from assigns
),

elementary as (
    select
        account_key,
        boundary as valid_from,
        lead(boundary) over (partition by account_key order by boundary) as valid_to
    from boundaries
),

shares as (
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
    inner join assigns as a
        on a.account_key = e.account_key
        and a.valid_from <= e.valid_from
        and e.valid_from < a.valid_to
    where e.valid_to is not null
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
    shares.total_share_pct_raw,
    shares.total_share_pct_raw > params.max_total_share_pct as is_scaled
from shares
cross join params
