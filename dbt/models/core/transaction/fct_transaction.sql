{#
  One row per distinct txn_id, from its first delivery (later copies: exc_transaction_duplicates).
  Reversals 冲正 point to the transaction they cancel (reversal_of); that original carries
  reversed_by. Flags come from the txn_codes seed and the counterparty bank code.

  Incremental: the window's business dates are replaced; rows of earlier dates come back
  when the window's reversals mark (or stop marking) them, and a copy of a window
  transaction kept on a later date gives way to the window's first delivery.
#}
{{ config(
    materialized='incremental',
    tags=['daily'],
    incremental_strategy='replace_window',
    window_column='biz_date',
    unique_key='txn_id',
    on_schema_change='fail',
) }}

{%- set columns = [
    'txn_id', 'account_key', 'sys', 'acct_no', 'biz_date', 'txn_date', 'txn_time', 'dr_cr',
    'amount', 'currency', 'amount_cny', 'channel', 'txn_code', 'cp_acct_no', 'cp_name',
    'cp_bank_code', 'reversal_of', 'org_code', 'balance_after', 'remark',
    'is_customer_initiated', 'is_salary', 'is_fee', 'is_reversal', 'is_outflow_other_bank',
    'source_version', 'source_line',
] %}

with delivered as (
    {{ delivered_transactions() }}
),

window_rows as (
    select delivered.*
    from delivered
    {%- if is_incremental() %}
    -- a copy of a transaction already kept on an earlier date is not a new transaction
    left join {{ this }} as earlier
        on earlier.txn_id = delivered.txn_id and earlier.biz_date < {{ window_start() }}
    where delivered.copy_no = 1 and earlier.txn_id is null
    {%- else %}
    where delivered.copy_no = 1
    {%- endif %}
),

{% if is_incremental() -%}
-- reversals as they stand after this run: the window's, and those kept outside it
reversals as (
    select txn_id, reversal_of from window_rows where reversal_of is not null
    union all
    select txn_id, reversal_of from {{ this }}
    where reversal_of is not null and not {{ in_window('biz_date') }}
),

-- originals before the window that a reversal of the window marks, or used to mark
earlier_originals as (
    select kept.*
    from {{ this }} as kept
    where kept.biz_date < {{ window_start() }}
        and kept.txn_id in (
            select reversal_of from window_rows where reversal_of is not null
            union all
            select reversal_of from {{ this }}
            where reversal_of is not null and {{ in_window('biz_date') }}
        )
),
{%- else %}
reversals as (
    select txn_id, reversal_of from window_rows where reversal_of is not null
),
{%- endif %}

reversed as (
    select reversal_of as txn_id, min(txn_id) as reversed_by
    from reversals
    group by reversal_of
),

codes as (
    select * from {{ ref('txn_codes') }}
),

own_banks as (
    select bank_code from {{ ref('own_bank_codes') }}
),

rates as (
    select * from {{ ref('int_fx_rate_intervals') }}
),

transactions as (
    select
        window_rows.txn_id,
        {{ dbt.concat(['window_rows.sys', "':'", 'window_rows.acct_no']) }} as account_key,
        window_rows.sys,
        window_rows.acct_no,
        window_rows.biz_date,
        window_rows.txn_date,
        window_rows.txn_time,
        window_rows.dr_cr,
        window_rows.amount,
        window_rows.currency,
        window_rows.amount * case when window_rows.currency = 'CNY' then 1
            else rates.rate_to_cny end as amount_cny,
        window_rows.channel,
        window_rows.txn_code,
        window_rows.cp_acct_no,
        window_rows.cp_name,
        window_rows.cp_bank_code,
        window_rows.reversal_of,
        window_rows.org_code,
        window_rows.balance_after,
        window_rows.remark,
        coalesce(codes.is_customer_initiated, false) as is_customer_initiated,
        coalesce(codes.is_salary, false) as is_salary,
        coalesce(codes.is_fee, false) as is_fee,
        coalesce(codes.is_reversal, false) or window_rows.reversal_of is not null as is_reversal,
        coalesce(codes.is_interbank_transfer, false)
            and window_rows.dr_cr = 'D'
            and window_rows.cp_bank_code is not null
            and own_banks.bank_code is null as is_outflow_other_bank,
        window_rows.source_version,
        window_rows.source_line
    from window_rows
    left join codes on codes.txn_code = window_rows.txn_code
    left join own_banks on own_banks.bank_code = window_rows.cp_bank_code
    left join rates
        on rates.currency = window_rows.currency
        and rates.valid_from <= window_rows.txn_date
        and rates.valid_to > window_rows.txn_date
)

select
    {%- for column in columns %}
    transactions.{{ column }},
    {%- endfor %}
    reversed.reversed_by,
    reversed.reversed_by is not null as is_reversed
from transactions
left join reversed on reversed.txn_id = transactions.txn_id
{%- if is_incremental() %}

union all

select
    {%- for column in columns %}
    earlier_originals.{{ column }},
    {%- endfor %}
    reversed.reversed_by,
    reversed.reversed_by is not null as is_reversed
from earlier_originals
left join reversed on reversed.txn_id = earlier_originals.txn_id
{%- endif %}
