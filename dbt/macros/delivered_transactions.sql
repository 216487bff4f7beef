{#
  Every transaction row the seven legacy systems delivered (in the run's window when the
  calling model runs incrementally), copies included, numbered by `copy_no`: a transaction
  sent twice (in one file, or again in a later day's file) counts once, from its first
  delivery (earliest business date, then file line).
#}
{% macro delivered_transactions() -%}
    with delivered as (
        {%- for sys in ['sav', 'acc', 'crd', 'pln', 'ccs', 'wms', 'hpf'] %}
        select * from {{ ref('stg_' ~ sys ~ '__txns') }}
        {%- if is_incremental() %}
        where {{ in_window('biz_date') }}
        {%- endif %}
        {{ 'union all' if not loop.last }}
        {%- endfor %}
    )

    select
        delivered.*,
        row_number() over (partition by txn_id order by biz_date, source_line) as copy_no
    from delivered
{%- endmacro %}
