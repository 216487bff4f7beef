{#
  Mapping a system's local org code to the unified org_id (int_org_mappings), with the
  mapping valid on the day: an account of a merged outlet moves to its new organisation
  from the merge date (validity is half-open [valid_from, valid_to)).

  On one date — a left join; the mapped id is `{alias}.org_id` (null: code unmapped then):

      select t.*, org_map.org_id
      from {{ ref('stg_sav__accts') }} as t
      {{ map_org('t.sys', 't.org_code', 't.biz_date') }}

  Over an interval (zipper rows) — the row is split at the mapping's boundaries; each
  part keeps `greatest(t.valid_from, org_map.valid_from)` to
  `least(t.valid_to, org_map.valid_to)`:

      select t.account_key, org_map.org_id,
          greatest(t.valid_from, org_map.valid_from) as valid_from,
          least(t.valid_to, org_map.valid_to) as valid_to
      from accounts as t
      {{ map_org_during('t.sys', 't.org_code', 't.valid_from', 't.valid_to') }}

  Both are plain equi-joins plus range conditions (portable, hash-joinable on
  sys and org_code). Pass `join_type='inner'` to drop unmapped rows.
#}

{% macro map_org(sys_col, org_code_col, date_col, alias='org_map', join_type='left') -%}
    {{ join_type }} join {{ ref('int_org_mappings') }} as {{ alias }}
        on {{ alias }}.sys = {{ sys_col }}
        and {{ alias }}.org_code = {{ org_code_col }}
        and {{ alias }}.valid_from <= {{ date_col }}
        and {{ date_col }} < {{ alias }}.valid_to
{%- endmacro %}

{% macro map_org_during(sys_col, org_code_col, from_col, to_col, alias='org_map', join_type='left') -%}
    {{ join_type }} join {{ ref('int_org_mappings') }} as {{ alias }}
        on {{ alias }}.sys = {{ sys_col }}
        and {{ alias }}.org_code = {{ org_code_col }}
        and {{ alias }}.valid_from < {{ to_col }}
        and {{ from_col }} < {{ alias }}.valid_to
{%- endmacro %}
