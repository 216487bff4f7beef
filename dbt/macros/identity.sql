{#
  Identity rules of the customer layer (ECIF matching: docs/customers.md), as portable SQL.
  Only functions DuckDB and Spark share (substring, upper, translate, `%`) and dbt's
  cross-database macros; what differs goes through adapter.dispatch(..., 'crmwh').
  contract/idcodes.py is the reference implementation; tests/test_ecif.py checks that both agree.
#}

{# ---- text helpers ------------------------------------------------------------------ #}

{# A SQL string literal of a Jinja string, escaped the way the engine reads literals. #}
{% macro sql_string_literal(text) -%}
    {{ return(adapter.dispatch('sql_string_literal', 'crmwh')(text)) }}
{%- endmacro %}

{% macro default__sql_string_literal(text) -%}
    '{{ text | replace("'", "''") }}'
{%- endmacro %}

{% macro spark__sql_string_literal(text) -%}
    '{{ text | replace("\\", "\\\\") | replace("'", "\\'") }}'
{%- endmacro %}

{# NFKC for what Chinese core systems write (SQL has no NFKC): full-width ASCII
   U+FF01-U+FF5E to half-width, ideographic space U+3000 to a space, and every bracket
   style (（）【】〔〕[] and full-width ［］) to ( ). One translate: one pass over the text. #}
{% macro _width_from() %}{{ return("！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　【〔[】〕]") }}{% endmacro %}
{% macro _width_to() %}{{ return("!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ(\\)^_`abcdefghijklmnopqrstuvwxyz{|}~ ((()))") }}{% endmacro %}

{% macro half_width(expr) -%}
    case
        when {{ crmwh.has_width_chars(expr) }}
        then translate({{ expr }}, {{ crmwh.sql_string_literal(crmwh._width_from()) }}, {{ crmwh.sql_string_literal(crmwh._width_to()) }})
        else {{ expr }}
    end
{%- endmacro %}

{# Whether expr holds a character half_width maps. Only a fast path: translate with a long
   mapping costs DuckDB about 30x a regular-expression test (7 s against 0.2 s on 2M names),
   and few names need it. The character class reads the same in RE2 and Java. #}
{% macro has_width_chars(expr) -%}
    {{ return(adapter.dispatch('has_width_chars', 'crmwh')(expr)) }}
{%- endmacro %}

{% macro _width_class() %}{{ return("[！-～　【】〔〕\\[\\]]") }}{% endmacro %}

{% macro default__has_width_chars(expr) -%}
    ({{ expr }} is not null)
{%- endmacro %}

{% macro duckdb__has_width_chars(expr) -%}
    regexp_matches({{ expr }}, {{ crmwh.sql_string_literal(crmwh._width_class()) }})
{%- endmacro %}

{% macro spark__has_width_chars(expr) -%}
    ({{ expr }} rlike {{ crmwh.sql_string_literal(crmwh._width_class()) }})
{%- endmacro %}

{# Spec rule 1: half-width, no spaces (U+0020, U+3000), one bracket style. Empty -> null. #}
{% macro normalise_name(expr) -%}
    nullif({{ dbt.replace(crmwh.half_width(expr), "' '", "''") }}, '')
{%- endmacro %}

{# An identity number as text to compare: half-width, upper case, no spaces. Empty -> null. #}
{% macro normalise_id_text(expr) -%}
    nullif(upper({{ dbt.replace(crmwh.half_width(expr), "' '", "''") }}), '')
{%- endmacro %}

{# The i-th character (1-based) of expr. #}
{% macro char_at(expr, i) -%}
    substring({{ expr }}, {{ i }}, 1)
{%- endmacro %}

{# True when characters 1..n of expr all belong to alphabet. Pair it with a length check:
   a missing character is the empty string, which every engine finds at position 1. #}
{% macro chars_in(expr, alphabet, n) -%}
    ({% for i in range(1, n + 1) %}{{ dbt.position(crmwh.char_at(expr, i), "'" ~ alphabet ~ "'") }} > 0{% if not loop.last %} and {% endif %}{% endfor %})
{%- endmacro %}

{# Σ value(character i) × weight_i, value = position in alphabet - 1. #}
{% macro weighted_sum(expr, alphabet, weights) -%}
    ({% for w in weights %}({{ dbt.position(crmwh.char_at(expr, loop.index), "'" ~ alphabet ~ "'") }} - 1) * {{ w }}{% if not loop.last %} + {% endif %}{% endfor %})
{%- endmacro %}

{% macro _digits() %}{{ return("0123456789") }}{% endmacro %}
{% macro _alnum() %}{{ return("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") }}{% endmacro %}
{% macro _uscc_alphabet() %}{{ return("0123456789ABCDEFGHJKLMNPQRTUWXY") }}{% endmacro %}

{# ---- GB 11643: 18-digit resident identity number --------------------------------------- #}

{# Check character of 17 digits: weights 2^(17-i) mod 11, check "10X98765432". #}
{% macro gb11643_check_char(first17) -%}
    substring('10X98765432', {{ crmwh.weighted_sum(first17, crmwh._digits(), [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]) }} % 11 + 1, 1)
{%- endmacro %}

{# An 18-character number whose first 17 are digits and whose check character fits (expr upper-cased). #}
{% macro is_valid_gb11643(expr) -%}
    ({{ dbt.length(expr) }} = 18
     and {{ crmwh.chars_in(expr, crmwh._digits(), 17) }}
     and {{ crmwh.char_at(expr, 18) }} = {{ crmwh.gb11643_check_char(expr) }})
{%- endmacro %}

{# Old 15-digit number -> 18 digits: '19' before the 2-digit year, check digit recomputed.
   Any other text passes unchanged. #}
{% macro id15_to_id18(expr) -%}
    case
        when {{ dbt.length(expr) }} = 15 and {{ crmwh.chars_in(expr, crmwh._digits(), 15) }}
        then {{ dbt.concat([
            "substring(" ~ expr ~ ", 1, 6)", "'19'", "substring(" ~ expr ~ ", 7, 9)",
            crmwh.gb11643_check_char(dbt.concat(["substring(" ~ expr ~ ", 1, 6)", "'19'", "substring(" ~ expr ~ ", 7, 9)"]))
        ]) }}
        else {{ expr }}
    end
{%- endmacro %}

{# ---- GB 11714: organisation code (8 characters + check) --------------------------------- #}

{# Check character of 8 characters 0-9A-Z: 11 - Σ v×w mod 11, 10 -> 'X', 11 -> '0'. #}
{% macro gb11714_check_char(first8) -%}
    substring('0123456789X0', 11 - {{ crmwh.weighted_sum(first8, crmwh._alnum(), [3, 7, 9, 10, 5, 8, 4, 2]) }} % 11 + 1, 1)
{%- endmacro %}

{# The code without '-' (expr upper-cased): 9 characters, the first 8 in 0-9A-Z, check fits. #}
{% macro is_valid_gb11714(expr) -%}
    ({{ dbt.length(expr) }} = 9
     and {{ crmwh.chars_in(expr, crmwh._alnum(), 8) }}
     and {{ crmwh.char_at(expr, 9) }} = {{ crmwh.gb11714_check_char(expr) }})
{%- endmacro %}

{# Organisation code as written ('12345678-9' or '123456789') to its 9-character form. #}
{% macro org_code_plain(expr) -%}
    {{ dbt.replace(expr, "'-'", "''") }}
{%- endmacro %}

{# ---- GB 32100: unified social credit code (18 characters) ------------------------------- #}

{% macro gb32100_check_char(first17) -%}
    substring('{{ crmwh._uscc_alphabet() }}', (31 - {{ crmwh.weighted_sum(first17, crmwh._uscc_alphabet(), [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]) }} % 31) % 31 + 1, 1)
{%- endmacro %}

{# 18 characters of the code's alphabet, check character fits, and characters 9-17 are a
   valid organisation code (as ingest/idcodes.is_valid_uscc). expr upper-cased. #}
{% macro is_valid_gb32100(expr) -%}
    ({{ dbt.length(expr) }} = 18
     and {{ crmwh.chars_in(expr, crmwh._uscc_alphabet(), 18) }}
     and {{ crmwh.char_at(expr, 18) }} = {{ crmwh.gb32100_check_char(expr) }}
     and {{ crmwh.is_valid_gb11714(crmwh.uscc_org_code(expr)) }})
{%- endmacro %}

{# Characters 9-17 of a unified social credit code: the organisation code inside it. #}
{% macro uscc_org_code(expr) -%}
    substring({{ expr }}, 9, 9)
{%- endmacro %}

{# ---- party id ---------------------------------------------------------------------------- #}

{# Spec rule 7: party_id depends on the match key alone: 'PT' + the first 20 hex digits
   (80 bits) of HMAC-SHA256(identity key, match key). Keyed: ID numbers are guessable (area,
   birth date, sequence, check digit), so an unkeyed hash beside the published masked number
   gives the number back by enumeration. The same key gives the same ids on every run,
   rebuild and engine; 80 bits keep collisions out of reach (about 1e-12 at 1M parties). #}
{% macro party_id(match_key) -%}
    {{ dbt.concat(["'PT'", "substring(" ~ crmwh.keyed_hash(match_key) ~ ", 1, 20)"]) }}
{%- endmacro %}

{# HMAC-SHA256 of a text's UTF-8 bytes under the identity key, as 64 lowercase hex digits
   (= Python's hmac.new(key, text.encode(), 'sha256').hexdigest()). The key is in no SQL
   text: its RFC 2104 padded forms are session variables crmwh_ipad and crmwh_opad (BLOBs),
   set on every connection and cursor by the dbt-duckdb plugin crmwh.dbt_identity
   (dbt/profiles.yml). Without them the query fails instead of hashing with an empty key. #}
{% macro keyed_hash(expr) -%}
    {{ return(adapter.dispatch('keyed_hash', 'crmwh')(expr)) }}
{%- endmacro %}

{# The cast keeps the error: a NULL-typed operand would fold the whole hash to NULL. #}
{% macro _key_pad(name) -%}
    cast(coalesce(getvariable('crmwh_{{ name }}'), error('crmwh_{{ name }} is not set (plugin crmwh.dbt_identity)')) as blob)
{%- endmacro %}

{% macro default__keyed_hash(expr) -%}
    sha256({{ crmwh._key_pad('opad') }} || from_hex(sha256({{ crmwh._key_pad('ipad') }} || encode({{ expr }}))))
{%- endmacro %}

{# Spark 4 session variables of the same names (DECLARE VARIABLE crmwh_ipad BINARY ...);
   setting them on the Spark session is not wired yet (issue 21). #}
{% macro spark__keyed_hash(expr) -%}
    sha2(concat(crmwh_opad, unhex(sha2(concat(crmwh_ipad, encode({{ expr }}, 'UTF-8')), 256))), 256)
{%- endmacro %}

{# ---- aggregation ------------------------------------------------------------------------- #}

{# Distinct values of a text column in one sorted, delimited text (dbt.listagg ignores the
   order on Spark). Feed it distinct values. #}
{% macro sorted_listagg(measure, delimiter_text="','") -%}
    {{ return(adapter.dispatch('sorted_listagg', 'crmwh')(measure, delimiter_text)) }}
{%- endmacro %}

{% macro default__sorted_listagg(measure, delimiter_text) -%}
    {{ dbt.listagg(measure, delimiter_text, "order by " ~ measure) }}
{%- endmacro %}

{% macro spark__sorted_listagg(measure, delimiter_text) -%}
    array_join(array_sort(collect_set({{ measure }})), {{ delimiter_text }})
{%- endmacro %}

{# A hash of several columns, null-safe, to compare a row with the one before it. Unkeyed:
   change detection inside a model, never an output column, never published. #}
{% macro row_fingerprint(columns) -%}
    {%- set parts = [] -%}
    {%- for c in columns -%}
        {%- do parts.append("coalesce(cast(" ~ c ~ " as " ~ dbt.type_string() ~ "), '<null>')") -%}
        {%- if not loop.last %}{% do parts.append("'|'") %}{% endif -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}
