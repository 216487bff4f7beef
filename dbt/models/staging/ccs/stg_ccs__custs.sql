with source as (
    {{ current_batches('ccs_cust', 'CCS') }}
),

renamed as (
    select
        'CCS' as sys,
        batch_date as biz_date,
        batch_version as source_version,
        _line as source_line,
        {{ staging_columns('ccs_cust') }}
    from source
)

select * from renamed
