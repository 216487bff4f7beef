{{ config(meta={"dagster": {"ref": {"name": "fct_balance"}}}) }}
{#
  Identity: each account's open-ended balance interval holds the end-of-day balance of the
  account's last delivered snapshot (nothing after the last delivery changes a balance).
#}
with last_delivery as (
    select account_key, eod_balance
    from (
        select
            account_key,
            eod_balance,
            row_number() over (partition by account_key order by biz_date desc) as from_last
        from {{ ref('int_account_snapshots') }}
    ) as ranked
    where from_last = 1
),

open_intervals as (
    select account_key, balance from {{ ref('fct_balance') }}
    where valid_to = {{ open_end() }}
)

select last_delivery.account_key, last_delivery.eod_balance, open_intervals.balance
from last_delivery
full outer join open_intervals on open_intervals.account_key = last_delivery.account_key
where open_intervals.balance is null
    or last_delivery.eod_balance is null
    or open_intervals.balance <> last_delivery.eod_balance
