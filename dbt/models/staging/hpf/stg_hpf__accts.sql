with source as (
    {{ current_batches('hpf_acct', 'HPF') }}
),

renamed as (
    select
        'HPF' as sys,
        batch_date as biz_date,
        batch_version as source_version,
        _line as source_line,
        {{ staging_columns('hpf_acct') }}
    from source
)

select * from renamed
