with source as (
    {{ current_batches('sav_acct', 'SAV') }}
),

renamed as (
    select
        'SAV' as sys,
        batch_date as biz_date,
        batch_version as source_version,
        _line as source_line,
        {{ staging_columns('sav_acct') }}
    from source
)

select * from renamed
