{#
  Only the breaks (docs/accounts.md; real extracts do contain broken balance_after chains,
  docs/extracts.md): account-days where the last balance_after of the day differs from the
  end-of-day balance, or opening balance + the day's movements differs from the closing
  balance.
  Market-valued products (wealth: shares × NAV) move without transactions, so only their
  balance_after is checked. Candidate days: any with a transaction or a balance change,
  after the system's first loaded date (no opening balance is known before it).
#}
{{ config(
    materialized='incremental',
    tags=['daily'],
    incremental_strategy='replace_window',
    window_column='biz_date',
    on_schema_change='fail',
) }}

with balances as (
    select * from {{ ref('fct_balance') }}
),

products as (
    select product_code, is_market_valued, debit_increases_balance from {{ ref('products') }}
),

transactions as (
    select
        account_key,
        biz_date,
        dr_cr,
        amount,
        balance_after,
        row_number() over (
            partition by account_key, biz_date order by txn_time desc, txn_id desc
        ) as from_last
    from {{ ref('fct_transaction') }}
    {%- if is_incremental() %}
    where {{ in_window('biz_date') }}
    {%- endif %}
),

first_dates as (
    select sys, min(biz_date) as first_date
    from {{ source('audit', 'audit_batch') }}
    where is_current and status = 'loaded'
    group by sys
),

account_days as (
    select account_key, biz_date from transactions
    union
    select account_key, valid_from as biz_date from balances
    {%- if is_incremental() %}
    where {{ in_window('valid_from') }}
    {%- endif %}
),

with_balances as (
    select
        account_days.account_key,
        account_days.biz_date,
        coalesce(opening.balance, 0) as opening_balance,
        coalesce(closing.balance, 0) as closing_balance,
        coalesce(opening.product_code, closing.product_code) as product_code,
        coalesce(products.is_market_valued, false) as is_market_valued,
        products.debit_increases_balance
    from account_days
    inner join first_dates
        on first_dates.sys = {{ dbt.split_part('account_days.account_key', "':'", 1) }}
        and account_days.biz_date > first_dates.first_date
    left join balances as closing
        on closing.account_key = account_days.account_key
        and closing.valid_from <= account_days.biz_date
        and closing.valid_to > account_days.biz_date
    left join balances as opening
        on opening.account_key = account_days.account_key
        and opening.valid_from <= {{ dbt.dateadd('day', -1, 'account_days.biz_date') }}
        and opening.valid_to > {{ dbt.dateadd('day', -1, 'account_days.biz_date') }}
    left join products
        on products.product_code = coalesce(opening.product_code, closing.product_code)
),

movements as (
    select
        transactions.account_key,
        transactions.biz_date,
        count(*) as txn_count,
        sum(
            case when (transactions.dr_cr = 'D') = with_balances.debit_increases_balance
                then transactions.amount else -transactions.amount end
        ) as net_movement,
        max(case when transactions.from_last = 1 then transactions.balance_after end)
            as last_balance_after
    from transactions
    inner join with_balances
        on with_balances.account_key = transactions.account_key
        and with_balances.biz_date = transactions.biz_date
    group by transactions.account_key, transactions.biz_date
),

checked as (
    select
        with_balances.account_key,
        with_balances.biz_date,
        with_balances.product_code,
        with_balances.opening_balance,
        coalesce(movements.net_movement, 0) as net_movement,
        with_balances.closing_balance,
        movements.last_balance_after,
        coalesce(movements.txn_count, 0) as txn_count,
        with_balances.closing_balance - with_balances.opening_balance
            - coalesce(movements.net_movement, 0) as movement_gap,
        not with_balances.is_market_valued
            and with_balances.closing_balance - with_balances.opening_balance
                <> coalesce(movements.net_movement, 0) as is_movement_break,
        coalesce(movements.last_balance_after <> with_balances.closing_balance, false)
            as is_balance_after_break
    from with_balances
    left join movements
        on movements.account_key = with_balances.account_key
        and movements.biz_date = with_balances.biz_date
)

select * from checked
where is_movement_break or is_balance_after_break
