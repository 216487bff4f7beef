{# The number type of money in the marts (CNY) and of their ratios and ranks: exact
   decimals, so sums do not depend on row order (sums of doubles differ in the last digit
   between a split run and one run); 10 decimals, far below the presentation's 2. #}
{% macro money_type() -%}
    decimal(38, 10)
{%- endmacro %}

{#
  Money divided by a positive whole count (an ADB: 积数 ÷ days), as money_type(), rounded
  half away from zero at its 10th decimal, exactly. DuckDB divides decimals in double (a
  quotient is off by up to 2^-53 of its value: 1e-6 CNY at a bank's total), so its variant
  divides the scaled integer; Spark divides decimals in decimal. A sum of such quotients
  differs from the quotient of the sum by at most half a unit of the 10th decimal per row
  rounded: macro `rounding_tolerance`. Numerators up to 1e18 (a bank's 积数 is ~1e15).
#}
{% macro money_divide(numerator, denominator) -%}
    {{ return(adapter.dispatch('money_divide', 'crmwh')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__money_divide(numerator, denominator) -%}
    cast(cast({{ numerator }} as decimal(38, 16)) / {{ denominator }} as {{ money_type() }})
{%- endmacro %}

{% macro duckdb__money_divide(numerator, denominator) -%}
    cast(cast(
        (cast(cast({{ numerator }} as {{ money_type() }}) * 10000000000 as hugeint) * 2
            + sign({{ numerator }}) * ({{ denominator }}))
        // (2 * ({{ denominator }})) as decimal(38, 0)) * cast(0.0000000001 as decimal(11, 10))
    as {{ money_type() }})
{%- endmacro %}

{#
  |a − b| allowed when comparing sums of quotients rounded row by row (money_divide) with
  each other or with the quotient of their sum: one unit of the 10th decimal per rounded row
  (half a unit each, and the same again for Spark's second rounding). It grows with the
  number of rows, never a fixed amount on a bank-sized sum; exact sums (积数, amounts,
  remainders kept in a pool) are compared with `=`, without tolerance.
#}
{% macro rounding_tolerance(rounded_rows) -%}
    (cast({{ rounded_rows }} as {{ money_type() }}) * cast(0.0000000001 as decimal(11, 10)))
{%- endmacro %}
