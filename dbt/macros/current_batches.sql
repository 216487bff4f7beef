{#
  The rows of a raw-zone table that belong to the current version of their batch.
  The raw zone keeps every delivered version (restatements sit beside the version they
  replace); `audit_batch.is_current` says which one counts for a system and date.
  Adds `batch_date` (date) and `batch_version`.
  An entity not delivered yet (CRM TARGET before the 1st of a month, a history that starts
  mid-month) has no file in the raw zone, and DuckDB's read_parquet fails on an empty glob:
  then the model reads zero rows of the same columns and types (`empty_current_batches`).
  Only when models are built (run, build): `dbt compile` (lineage, docs) keeps the full
  form, whatever has been delivered.
#}
{% macro current_batches(table, sys) -%}
    {%- if execute and flags.WHICH in ('run', 'build') and not raw_files_exist(table) -%}
    {{ empty_current_batches(table) }}
    {%- else -%}
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
    {%- endif %}
{%- endmacro %}

{# Whether the raw zone holds a Parquet file of `table` (asked at execution, over the glob
   of the source's external location). #}
{% macro raw_files_exist(table) -%}
    {%- set location = source('raw', table) | string -%}
    {%- set pattern = modules.re.search("read_parquet[(]'([^']+)'", location) -%}
    {%- if pattern is none -%}
        {{ exceptions.raise_compiler_error("raw source " ~ table ~ " is not a read_parquet glob: " ~ location) }}
    {%- endif -%}
    {%- set found = run_query("select count(*) from glob('" ~ pattern.group(1) ~ "')") -%}
    {{ return(found.columns[0].values()[0] > 0) }}
{%- endmacro %}

{# What `current_batches` gives, with no row: the contract's columns and types, the raw
   zone's line and partition columns, and the batch's date and version. The sources stay
   referenced, so lineage does not depend on what has been delivered. #}
{% macro empty_current_batches(table) -%}
    select
        {% for name, sql_type in contract_columns(table) -%}
        cast(null as {{ sql_type }}) as {{ name }},
        {% endfor -%}
        cast(null as bigint) as _line,
        cast(null as varchar) as biz_date,
        cast(null as varchar) as version,
        cast(null as varchar) as ok,
        cast(null as date) as batch_date,
        cast(null as integer) as batch_version
    from {{ source('audit', 'audit_batch') }}
    where false
{%- endmacro %}
