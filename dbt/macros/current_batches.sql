{#
  The rows of a raw-zone table that belong to the current version of their batch.
  The raw zone keeps every delivered version (restatements sit beside the version they
  replace); `audit_batch.is_current` says which one counts for a system and date.
  Adds `batch_date` (date) and `batch_version`.
#}
{% macro current_batches(table, sys) -%}
    select
        src.*,
        batch.biz_date as batch_date,
        batch.version as batch_version
    from {{ source('raw', table) }} as src
    inner join {{ source('audit', 'audit_batch') }} as batch
        on batch.sys = '{{ sys }}'
        and batch.is_current
        and batch.biz_date = {{ yyyymmdd_to_date('src.biz_date') }}
        and batch.version = src.version
        and left(batch.ok_md5, 12) = src.ok
{%- endmacro %}
