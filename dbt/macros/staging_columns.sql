{# Column lists the legacy systems share (extract contract), for their staging models. #}

{% macro txn_columns() -%}
    txn_id,
    txn_date,
    txn_time,
    acct_no,
    dr_cr,
    amount,
    currency,
    channel,
    txn_code,
    cp_acct_no,
    cp_name,
    cp_bank_code,
    reversal_of,
    org_code,
    balance_after,
    remark
{%- endmacro %}

{% macro acct_common_columns() -%}
    acct_no,
    cust_no,
    product_code,
    currency,
    org_code,
    open_date,
    close_date,
    acct_status,
    balance,
    rate
{%- endmacro %}

{% macro personal_cust_columns() -%}
    cust_no,
    cust_name,
    id_type,
    id_no,
    gender,
    birth_date,
    mobile,
    address,
    org_code,
    cust_status,
    update_ts
{%- endmacro %}

{% macro corporate_cust_columns() -%}
    cust_no,
    cust_name,
    id_type,
    id_no,
    industry_code,
    scale,
    reg_capital,
    org_code,
    cust_status,
    update_ts
{%- endmacro %}
