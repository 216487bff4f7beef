-- Every segment (personal, corporate) has at least one active contribution score model:
-- mart_contribution_score would otherwise score none of its parties.
select segments.segment
from (
    select 'personal' as segment
    union all
    select 'corporate' as segment
) as segments
left join {{ ref('contribution_models') }} as models
    on models.segment = segments.segment and models.is_active
group by segments.segment
having count(models.model_id) = 0
