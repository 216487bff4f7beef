with source as (
    {{ current_batches('sav_txn', 'SAV') }}
),

renamed as (
    select
        'SAV' as sys,
        batch_date as biz_date,
        batch_version as source_version,
        _line as source_line,
        txn_id,
        txn_date,
        txn_time,
        acct_no,
        dr_cr,
        amount,
        currency,
        channel,
        txn_code,
        cp_acct_no,
        cp_name,
        cp_bank_code,
        reversal_of,
        org_code,
        balance_after,
        remark
    from source
)

select * from renamed
