{#
  Every delivered CUST row of every legacy system, personal and corporate in one shape.
  CUST files are FULL on a system's first date and DELTA after, so a source customer has
  one row per date it was created or changed; staging already serves only the current
  version of each batch (restatements replace).
#}
{%- set personal = ['sav', 'pln', 'ccs', 'wms', 'hpf'] -%}
{%- set corporate = ['acc', 'crd'] -%}

with
{% for sys in personal + corporate %}
{{ sys }} as (
    select
        sys,
        cust_no,
        '{{ "personal" if sys in personal else "corporate" }}' as party_kind,
        biz_date,
        source_version,
        source_line,
        cust_name,
        id_type,
        id_no,
    {%- if sys in personal %}
        gender,
        birth_date,
        mobile,
        address,
        cast(null as {{ dbt.type_string() }}) as industry_code,
        cast(null as {{ dbt.type_string() }}) as scale,
        cast(null as decimal(18, 2)) as reg_capital,
    {%- else %}
        cast(null as {{ dbt.type_string() }}) as gender,
        cast(null as date) as birth_date,
        cast(null as {{ dbt.type_string() }}) as mobile,
        cast(null as {{ dbt.type_string() }}) as address,
        industry_code,
        scale,
        reg_capital,
    {%- endif %}
        org_code,
        cust_status,
        update_ts
    from {{ ref('stg_' ~ sys ~ '__custs') }}
),
{% endfor %}

unioned as (
{%- for sys in personal + corporate %}
    select * from {{ sys }}
    {%- if not loop.last %}
    union all
    {%- endif %}
{%- endfor %}
)

select * from unioned
