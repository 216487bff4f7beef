{#
  Every organisation with each of its ancestors and itself (dim_org level_1..5_org_id):
  org_id, ancestor_org_id. Joined on org_id, a row of an organisation counts toward its
  whole chain up to the head office (an organisation's figures cover its subtree).
  A select, for a CTE.
#}
{% macro org_ancestors() -%}
    {%- for level in range(1, 6) %}
    select org_id, level_{{ level }}_org_id as ancestor_org_id
    from {{ ref('dim_org') }}
    where level_{{ level }}_org_id is not null
    {{ 'union all' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
