-- Contribution score models (seed contribution_models): a model's weights
-- sum to 1, and all its rows carry one segment and one is_active value.
select
    model_id,
    sum(weight) as weight_total,
    count(distinct segment) as segments,
    count(distinct is_active) as activity_values
from {{ ref('contribution_models') }}
group by model_id
having abs(sum(weight) - 1) > 0.000001
    or count(distinct segment) <> 1
    or count(distinct is_active) <> 1
