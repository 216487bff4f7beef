{#
  Masked forms of personal data: what a BI reader may see (identity numbers, mobiles
  and addresses never reach BI in clear). The clear
  values never leave the core layer; exports may use keyed hashes instead.
    ID number   110105********002X   first 6 (region) and last 4 kept (15+ characters;
                                     shorter numbers keep 2 and 2)
    mobile      138****5678          first 3 and last 4 kept
    name        张**                  surname kept (personal parties only)
    address     北京市朝阳区****        first 6 characters kept
#}
{% macro mask_id_no(column) -%}
    case
        when {{ column }} is null then null
        when length({{ column }}) >= 15 then {{ dbt.concat([
            'substr(' ~ column ~ ', 1, 6)',
            "repeat('*', length(" ~ column ~ ") - 10)",
            'substr(' ~ column ~ ', length(' ~ column ~ ') - 3, 4)']) }}
        -- shorter numbers (passports, permits, organisation codes): first and last 2
        when length({{ column }}) >= 8 then {{ dbt.concat([
            'substr(' ~ column ~ ', 1, 2)',
            "repeat('*', length(" ~ column ~ ") - 4)",
            'substr(' ~ column ~ ', length(' ~ column ~ ') - 1, 2)']) }}
        else repeat('*', length({{ column }}))
    end
{%- endmacro %}

{% macro mask_mobile(column) -%}
    case
        when {{ column }} is null then null
        when length({{ column }}) >= 7 then {{ dbt.concat([
            'substr(' ~ column ~ ', 1, 3)', "'****'",
            'substr(' ~ column ~ ', length(' ~ column ~ ') - 3, 4)']) }}
        else repeat('*', length({{ column }}))
    end
{%- endmacro %}

{% macro mask_person_name(column) -%}
    case
        when {{ column }} is null then null
        else {{ dbt.concat(['substr(' ~ column ~ ', 1, 1)',
            "repeat('*', length(" ~ column ~ ") - 1)"]) }}
    end
{%- endmacro %}

{% macro mask_address(column) -%}
    case
        when {{ column }} is null then null
        else {{ dbt.concat(['substr(' ~ column ~ ', 1, 6)', "'****'"]) }}
    end
{%- endmacro %}
