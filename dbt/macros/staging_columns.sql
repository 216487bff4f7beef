{# Generated from contract/ by `crmwh codegen` (make codegen): do not edit by hand. #}

{# Each raw table's columns in file order, with their SQL types: [[name, type], ...]. #}
{% macro contract_columns(table) -%}
    {{ return({
        'sav_cust': [['cust_no', 'varchar'], ['cust_name', 'varchar'], ['id_type', 'varchar'], ['id_no', 'varchar'], ['gender', 'varchar'], ['birth_date', 'date'], ['mobile', 'varchar'], ['address', 'varchar'], ['org_code', 'varchar'], ['cust_status', 'varchar'], ['update_ts', 'timestamp']],
        'sav_acct': [['acct_no', 'varchar'], ['cust_no', 'varchar'], ['product_code', 'varchar'], ['currency', 'varchar'], ['org_code', 'varchar'], ['open_date', 'date'], ['close_date', 'date'], ['acct_status', 'varchar'], ['balance', 'decimal(18, 2)'], ['rate', 'decimal(10, 4)'], ['term_months', 'bigint'], ['maturity_date', 'date']],
        'sav_txn': [['txn_id', 'varchar'], ['txn_date', 'date'], ['txn_time', 'time_ns'], ['acct_no', 'varchar'], ['dr_cr', 'varchar'], ['amount', 'decimal(18, 2)'], ['currency', 'varchar'], ['channel', 'varchar'], ['txn_code', 'varchar'], ['cp_acct_no', 'varchar'], ['cp_name', 'varchar'], ['cp_bank_code', 'varchar'], ['reversal_of', 'varchar'], ['org_code', 'varchar'], ['balance_after', 'decimal(18, 2)'], ['remark', 'varchar']],
        'acc_cust': [['cust_no', 'varchar'], ['cust_name', 'varchar'], ['id_type', 'varchar'], ['id_no', 'varchar'], ['industry_code', 'varchar'], ['scale', 'varchar'], ['reg_capital', 'decimal(18, 2)'], ['org_code', 'varchar'], ['cust_status', 'varchar'], ['update_ts', 'timestamp']],
        'acc_acct': [['acct_no', 'varchar'], ['cust_no', 'varchar'], ['product_code', 'varchar'], ['currency', 'varchar'], ['org_code', 'varchar'], ['open_date', 'date'], ['close_date', 'date'], ['acct_status', 'varchar'], ['balance', 'decimal(18, 2)'], ['rate', 'decimal(10, 4)'], ['acct_kind', 'varchar']],
        'acc_txn': [['txn_id', 'varchar'], ['txn_date', 'date'], ['txn_time', 'time_ns'], ['acct_no', 'varchar'], ['dr_cr', 'varchar'], ['amount', 'decimal(18, 2)'], ['currency', 'varchar'], ['channel', 'varchar'], ['txn_code', 'varchar'], ['cp_acct_no', 'varchar'], ['cp_name', 'varchar'], ['cp_bank_code', 'varchar'], ['reversal_of', 'varchar'], ['org_code', 'varchar'], ['balance_after', 'decimal(18, 2)'], ['remark', 'varchar']],
        'crd_cust': [['cust_no', 'varchar'], ['cust_name', 'varchar'], ['id_type', 'varchar'], ['id_no', 'varchar'], ['industry_code', 'varchar'], ['scale', 'varchar'], ['reg_capital', 'decimal(18, 2)'], ['org_code', 'varchar'], ['cust_status', 'varchar'], ['update_ts', 'timestamp']],
        'crd_acct': [['acct_no', 'varchar'], ['cust_no', 'varchar'], ['product_code', 'varchar'], ['currency', 'varchar'], ['org_code', 'varchar'], ['open_date', 'date'], ['close_date', 'date'], ['acct_status', 'varchar'], ['balance', 'decimal(18, 2)'], ['rate', 'decimal(10, 4)'], ['contract_no', 'varchar'], ['loan_amount', 'decimal(18, 2)'], ['maturity_date', 'date'], ['five_class', 'varchar'], ['overdue_days', 'bigint']],
        'crd_txn': [['txn_id', 'varchar'], ['txn_date', 'date'], ['txn_time', 'time_ns'], ['acct_no', 'varchar'], ['dr_cr', 'varchar'], ['amount', 'decimal(18, 2)'], ['currency', 'varchar'], ['channel', 'varchar'], ['txn_code', 'varchar'], ['cp_acct_no', 'varchar'], ['cp_name', 'varchar'], ['cp_bank_code', 'varchar'], ['reversal_of', 'varchar'], ['org_code', 'varchar'], ['balance_after', 'decimal(18, 2)'], ['remark', 'varchar']],
        'pln_cust': [['cust_no', 'varchar'], ['cust_name', 'varchar'], ['id_type', 'varchar'], ['id_no', 'varchar'], ['gender', 'varchar'], ['birth_date', 'date'], ['mobile', 'varchar'], ['address', 'varchar'], ['org_code', 'varchar'], ['cust_status', 'varchar'], ['update_ts', 'timestamp']],
        'pln_acct': [['acct_no', 'varchar'], ['cust_no', 'varchar'], ['product_code', 'varchar'], ['currency', 'varchar'], ['org_code', 'varchar'], ['open_date', 'date'], ['close_date', 'date'], ['acct_status', 'varchar'], ['balance', 'decimal(18, 2)'], ['rate', 'decimal(10, 4)'], ['loan_amount', 'decimal(18, 2)'], ['maturity_date', 'date'], ['five_class', 'varchar'], ['overdue_days', 'bigint'], ['collateral_type', 'varchar']],
        'pln_txn': [['txn_id', 'varchar'], ['txn_date', 'date'], ['txn_time', 'time_ns'], ['acct_no', 'varchar'], ['dr_cr', 'varchar'], ['amount', 'decimal(18, 2)'], ['currency', 'varchar'], ['channel', 'varchar'], ['txn_code', 'varchar'], ['cp_acct_no', 'varchar'], ['cp_name', 'varchar'], ['cp_bank_code', 'varchar'], ['reversal_of', 'varchar'], ['org_code', 'varchar'], ['balance_after', 'decimal(18, 2)'], ['remark', 'varchar']],
        'ccs_cust': [['cust_no', 'varchar'], ['cust_name', 'varchar'], ['id_type', 'varchar'], ['id_no', 'varchar'], ['gender', 'varchar'], ['birth_date', 'date'], ['mobile', 'varchar'], ['address', 'varchar'], ['org_code', 'varchar'], ['cust_status', 'varchar'], ['update_ts', 'timestamp']],
        'ccs_acct': [['acct_no', 'varchar'], ['cust_no', 'varchar'], ['product_code', 'varchar'], ['currency', 'varchar'], ['org_code', 'varchar'], ['open_date', 'date'], ['close_date', 'date'], ['acct_status', 'varchar'], ['balance', 'decimal(18, 2)'], ['rate', 'decimal(10, 4)'], ['credit_limit', 'decimal(18, 2)'], ['bill_day', 'bigint']],
        'ccs_txn': [['txn_id', 'varchar'], ['txn_date', 'date'], ['txn_time', 'time_ns'], ['acct_no', 'varchar'], ['dr_cr', 'varchar'], ['amount', 'decimal(18, 2)'], ['currency', 'varchar'], ['channel', 'varchar'], ['txn_code', 'varchar'], ['cp_acct_no', 'varchar'], ['cp_name', 'varchar'], ['cp_bank_code', 'varchar'], ['reversal_of', 'varchar'], ['org_code', 'varchar'], ['balance_after', 'decimal(18, 2)'], ['remark', 'varchar']],
        'wms_cust': [['cust_no', 'varchar'], ['cust_name', 'varchar'], ['id_type', 'varchar'], ['id_no', 'varchar'], ['gender', 'varchar'], ['birth_date', 'date'], ['mobile', 'varchar'], ['address', 'varchar'], ['org_code', 'varchar'], ['cust_status', 'varchar'], ['update_ts', 'timestamp']],
        'wms_acct': [['acct_no', 'varchar'], ['cust_no', 'varchar'], ['product_code', 'varchar'], ['currency', 'varchar'], ['org_code', 'varchar'], ['open_date', 'date'], ['close_date', 'date'], ['acct_status', 'varchar'], ['balance', 'decimal(18, 2)'], ['rate', 'decimal(10, 4)'], ['shares', 'decimal(18, 2)'], ['nav', 'decimal(10, 4)']],
        'wms_txn': [['txn_id', 'varchar'], ['txn_date', 'date'], ['txn_time', 'time_ns'], ['acct_no', 'varchar'], ['dr_cr', 'varchar'], ['amount', 'decimal(18, 2)'], ['currency', 'varchar'], ['channel', 'varchar'], ['txn_code', 'varchar'], ['cp_acct_no', 'varchar'], ['cp_name', 'varchar'], ['cp_bank_code', 'varchar'], ['reversal_of', 'varchar'], ['org_code', 'varchar'], ['balance_after', 'decimal(18, 2)'], ['remark', 'varchar']],
        'hpf_cust': [['cust_no', 'varchar'], ['cust_name', 'varchar'], ['id_type', 'varchar'], ['id_no', 'varchar'], ['gender', 'varchar'], ['birth_date', 'date'], ['mobile', 'varchar'], ['address', 'varchar'], ['org_code', 'varchar'], ['cust_status', 'varchar'], ['update_ts', 'timestamp']],
        'hpf_acct': [['acct_no', 'varchar'], ['cust_no', 'varchar'], ['product_code', 'varchar'], ['currency', 'varchar'], ['org_code', 'varchar'], ['open_date', 'date'], ['close_date', 'date'], ['acct_status', 'varchar'], ['balance', 'decimal(18, 2)'], ['rate', 'decimal(10, 4)'], ['monthly_contribution', 'decimal(18, 2)']],
        'hpf_txn': [['txn_id', 'varchar'], ['txn_date', 'date'], ['txn_time', 'time_ns'], ['acct_no', 'varchar'], ['dr_cr', 'varchar'], ['amount', 'decimal(18, 2)'], ['currency', 'varchar'], ['channel', 'varchar'], ['txn_code', 'varchar'], ['cp_acct_no', 'varchar'], ['cp_name', 'varchar'], ['cp_bank_code', 'varchar'], ['reversal_of', 'varchar'], ['org_code', 'varchar'], ['balance_after', 'decimal(18, 2)'], ['remark', 'varchar']],
        'crm_manager': [['manager_id', 'varchar'], ['manager_name', 'varchar'], ['org_id', 'varchar'], ['team_id', 'varchar'], ['grade', 'bigint'], ['hire_date', 'date'], ['status', 'varchar']],
        'crm_team': [['team_id', 'varchar'], ['team_name', 'varchar'], ['parent_team_id', 'varchar'], ['org_id', 'varchar']],
        'crm_assign': [['assign_id', 'varchar'], ['manager_id', 'varchar'], ['sys', 'varchar'], ['acct_no', 'varchar'], ['share_pct', 'decimal(18, 6)'], ['purpose', 'varchar'], ['valid_from', 'date'], ['valid_to', 'date']],
        'crm_contact': [['contact_id', 'varchar'], ['manager_id', 'varchar'], ['sys', 'varchar'], ['cust_no', 'varchar'], ['contact_ts', 'timestamp'], ['method', 'varchar'], ['outcome', 'varchar']],
        'crm_target': [['period', 'varchar'], ['manager_id', 'varchar'], ['indicator', 'varchar'], ['target_value', 'decimal(18, 6)']],
        'crm_fee': [['entry_id', 'varchar'], ['period', 'varchar'], ['sys', 'varchar'], ['cust_no', 'varchar'], ['fee_type', 'varchar'], ['amount', 'decimal(18, 2)'], ['entered_by', 'varchar'], ['entered_ts', 'timestamp']],
        'pub_fxrate': [['currency', 'varchar'], ['rate_to_cny', 'decimal(18, 6)']],
        'pub_org': [['org_id', 'varchar'], ['org_name', 'varchar'], ['parent_org_id', 'varchar'], ['org_level', 'bigint']],
        'pub_orgmap': [['sys', 'varchar'], ['org_code', 'varchar'], ['org_id', 'varchar'], ['valid_from', 'date'], ['valid_to', 'date']],
    }[table]) }}
{%- endmacro %}

{# A staging model's select list of a raw table's columns, each cast to its type. #}
{% macro staging_columns(table) -%}
    {%- for name, sql_type in contract_columns(table) -%}
        {{ ',\n        ' if not loop.first }}cast({{ name }} as {{ sql_type }}) as {{ name }}
    {%- endfor -%}
{%- endmacro %}

{# The account columns every legacy system delivers (names). #}
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

{# The account columns only some legacy systems deliver, with their SQL types. #}
{% macro acct_extra_columns() -%}
    {{ return({
        'term_months': 'bigint',
        'maturity_date': 'date',
        'acct_kind': 'varchar',
        'contract_no': 'varchar',
        'loan_amount': 'decimal(18, 2)',
        'five_class': 'varchar',
        'overdue_days': 'bigint',
        'collateral_type': 'varchar',
        'credit_limit': 'decimal(18, 2)',
        'bill_day': 'bigint',
        'shares': 'decimal(18, 2)',
        'nav': 'decimal(10, 4)',
        'monthly_contribution': 'decimal(18, 2)',
    }) }}
{%- endmacro %}
