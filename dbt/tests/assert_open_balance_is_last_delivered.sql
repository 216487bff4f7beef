{{ config(meta={"dagster": {"ref": {"name": "fct_balance"}}}) }}
{#
  Identity: each account's open-ended balance interval holds the end-of-day balance of the
  account's last delivered snapshot (nothing after the last delivery changes a balance).
  Checks the accounts the run's window touches (a full build checks every account).
#}
with delivered as (
    select account_key, biz_date, eod_balance
    from {{ ref('int_account_snapshots') }}
    where biz_date >= {{ window_start() }}
),

-- open intervals from the window's start on of accounts not delivered since (a foreign
-- currency's stretch cut by a new rate): their last delivery is an older one
undelivered as (
    select account_key
    from {{ ref('fct_balance') }}
    where valid_to = {{ open_end() }}
        and valid_from >= {{ window_start() }}
        and account_key not in (select account_key from delivered)
),

snapshots as (
    select account_key, biz_date, eod_balance from delivered
    union all
    select s.account_key, s.biz_date, s.eod_balance
    from {{ ref('int_account_snapshots') }} as s
    inner join undelivered as u on u.account_key = s.account_key
),

last_delivery as (
    select account_key, eod_balance
    from (
        select
            account_key,
            eod_balance,
            row_number() over (partition by account_key order by biz_date desc) as from_last
        from snapshots
    ) as ranked
    where from_last = 1
),

open_intervals as (
    select account_key, balance, valid_from from {{ ref('fct_balance') }}
    where valid_to = {{ open_end() }}
)

select last_delivery.account_key, last_delivery.eod_balance, open_intervals.balance
from last_delivery
full outer join open_intervals on open_intervals.account_key = last_delivery.account_key
where (last_delivery.account_key is not null or open_intervals.valid_from >= {{ window_start() }})
    and (open_intervals.balance is null
        or last_delivery.eod_balance is null
        or open_intervals.balance <> last_delivery.eod_balance)
