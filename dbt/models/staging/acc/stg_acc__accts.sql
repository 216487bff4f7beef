with source as (
    {{ current_batches('acc_acct', 'ACC') }}
),

renamed as (
    select
        'ACC' as sys,
        batch_date as biz_date,
        batch_version as source_version,
        _line as source_line,
        {{ staging_columns('acc_acct') }}
    from source
)

select * from renamed
