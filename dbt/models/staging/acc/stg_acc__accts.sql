with source as (
    {{ current_batches('acc_acct', 'ACC') }}
),

renamed as (
    select
        'ACC' as sys,
        batch_date as biz_date,
        batch_version as source_version,
        _line as source_line,
        {{ acct_common_columns() }},
        acct_kind
    from source
)

select * from renamed
