{# The number type of money in the marts (CNY) and of their ratios and ranks: exact
   decimals, so sums do not depend on row order (sums of doubles differ in the last digit
   between a split run and one run); 10 decimals, far below the presentation's 2. #}
{% macro money_type() -%}
    decimal(38, 10)
{%- endmacro %}
