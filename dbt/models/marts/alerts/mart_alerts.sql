{#
  Alerts 预警 (docs/alerts.md): every rule of the seed alert_rules evaluated on every
  business date as it is processed; one row per firing, kept as alert history (a run
  replaces its window's dates only). Each rule is its own model (int_alerts_*), with the
  numbers that made it fire; this mart puts them together with the rule's severity.
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
    r.severity,
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
    f.threshold_days
from firings as f
inner join {{ ref('alert_rules') }} as r on r.rule_id = f.rule_id
