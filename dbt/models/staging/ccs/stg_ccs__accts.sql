with source as (
    {{ current_batches('ccs_acct', 'CCS') }}
),

renamed as (
    select
        'CCS' as sys,
        batch_date as biz_date,
        batch_version as source_version,
        _line as source_line,
        {{ staging_columns('ccs_acct') }}
    from source
)

select * from renamed
