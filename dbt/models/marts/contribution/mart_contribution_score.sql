{#
  Contribution scores 贡献度模型 (docs/contribution.md): every active model of seed
  contribution_models scores every party of its segment each month. Each factor (a
  measure of mart_customer_contribution) becomes a percentile rank 0–100 within the
  segment and period: percent_rank() × 100 = (rank − 1) / (parties − 1) × 100, ascending
  (the largest value ranks 100, the smallest 0; ties share the lower rank; a party alone
  in its segment ranks 0). score = Σ weight × rank over the model's factors. One row per
  party, period and model, with the rank of every known factor alongside (empty where the
  model does not use it).

  Incremental by month like mart_customer_contribution (the same months are recomputed):
  finished months keep the scores of the models and weights they were computed with.
#}
{{ config(
    materialized='incremental',
    incremental_strategy='replace_window',
    window_column='period_start',
    window_grain='month',
    unique_key='period_start',
    on_schema_change='fail',
    tags=['monthly'],
) }}

{%- set factors = contribution_score_factors() %}

with periods as (
    {{ contribution_periods(['fee_reversals', 'fee_supplements']) }}
),

parties as (
    select c.*
    from {{ ref('mart_customer_contribution') }} as c
    inner join periods as p on p.period = c.period
),

factor_values as (
    {%- for factor in factors %}
    select party_id, period, period_start, segment,
        '{{ factor }}' as factor, {{ factor }} as factor_value
    from parties
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

ranks as (
    select
        factor_values.*,
        -- to an exact decimal before weighting: the score's sum then does not depend on
        -- the order the factors are added in
        cast(100 * percent_rank() over (
            partition by segment, period, factor order by factor_value
        ) as {{ contribution_number_type() }}) as factor_rank
    from factor_values
),

models as (
    select model_id, segment, factor, weight
    from {{ ref('contribution_models') }}
    where is_active
),

scored as (
    select
        r.party_id,
        r.period,
        r.period_start,
        r.segment,
        m.model_id,
        sum(m.weight * r.factor_rank) as score,
        count(*) as factor_count
        {%- for factor in factors %},
        max(case when r.factor = '{{ factor }}' then r.factor_rank end) as {{ factor }}_rank
        {%- endfor %}
    from ranks as r
    inner join models as m on m.segment = r.segment and m.factor = r.factor
    group by r.party_id, r.period, r.period_start, r.segment, m.model_id
)

select
    cast(party_id as {{ dbt.type_string() }}) as party_id,
    cast(period as {{ dbt.type_string() }}) as period,
    cast(model_id as {{ dbt.type_string() }}) as model_id,
    cast(score as {{ contribution_number_type() }}) as score,
    cast(segment as {{ dbt.type_string() }}) as segment,
    period_start,
    cast(factor_count as integer) as factor_count
    {%- for factor in factors %},
    cast({{ factor }}_rank as {{ contribution_number_type() }}) as {{ factor }}_rank
    {%- endfor %}
from scored
