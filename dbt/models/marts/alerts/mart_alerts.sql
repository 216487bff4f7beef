{#
  Alerts 预警 (docs/alerts.md): every rule of the seed alert_rules evaluated on every
  business date as it is processed; one row per firing, kept as alert history (a run
  replaces its window's dates only). Each rule is its own model (int_alerts_*), with the
  numbers that made it fire; this mart puts them together with the rule's severity (or
  the threshold's, where a rule sets one: LOAN_OVERDUE). is_baseline marks the opening
  state a state rule records on the first date it is evaluated: those rows are not
  firings (docs/alerts.md). Built in the monthly call after mart_manager_kpi (KPI_DROP
  reads it; nothing the KPI marts read reads the alerts).
#}
{{ config(
    materialized='incremental',
    incremental_strategy='replace_window',
    window_column='as_of_date',
    on_schema_change='fail',
    tags=['monthly'],
) }}

{%- set rule_models = [
    'int_alerts_large_debit',
    'int_alerts_dormant',
    'int_alerts_aum_drop',
    'int_alerts_outflow_other_bank',
    'int_alerts_vip_watch',
    'int_alerts_contact_overdue',
    'int_alerts_five_class_down',
    'int_alerts_loan_overdue',
    'int_alerts_kpi_drop',
] %}

with firings as (
    {%- for model in rule_models %}
    select {{ alert_columns() | join(', ') }}
    from {{ ref(model) }}
    where {{ in_window('as_of_date') }}
    {{ 'union all' if not loop.last }}
    {%- endfor %}
)

select
    f.as_of_date,
    f.rule_id,
    f.entity_type,
    f.entity_id,
    cast(coalesce(f.severity, r.severity) as {{ dbt.type_string() }}) as severity,
    f.detail,
    f.party_id,
    f.org_id,
    f.account_key,
    f.manager_id,
    f.txn_id,
    f.metric_amount_cny,
    f.base_amount_cny,
    f.metric_ratio,
    f.metric_days,
    f.threshold_ratio,
    f.threshold_amount_cny,
    f.threshold_days,
    cast(coalesce(f.is_baseline, false) as boolean) as is_baseline
from firings as f
inner join {{ ref('alert_rules') }} as r on r.rule_id = f.rule_id
