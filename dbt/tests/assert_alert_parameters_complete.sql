-- Every alert rule has exactly the parameters its model reads (seed alert_parameters):
-- fails with each one missing a row of segment `all` (the default every segment falls back
-- to), or present for a rule that does not read it.
with expected as (
    select 'LARGE_DEBIT' as rule_id, 'min_share_of_prior_balance' as parameter
    union all select 'LARGE_DEBIT', 'min_amount_cny'
    union all select 'DORMANT', 'inactive_days'
    union all select 'AUM_DROP', 'recent_days'
    union all select 'AUM_DROP', 'base_days'
    union all select 'AUM_DROP', 'min_drop_share'
    union all select 'AUM_DROP', 'min_drop_cny'
    union all select 'OUTFLOW_OTHER_BANK', 'outflow_days'
    union all select 'OUTFLOW_OTHER_BANK', 'base_days'
    union all select 'OUTFLOW_OTHER_BANK', 'min_share_of_aum'
    union all select 'OUTFLOW_OTHER_BANK', 'min_outflow_cny'
    union all select 'KPI_DROP', 'min_score_drop'
    union all select 'KPI_DROP', 'completion_floor'
    union all select 'KPI_DROP', 'after_day'
),

present as (
    select rule_id, parameter, segment from {{ ref('alert_parameters') }}
)

select e.rule_id, e.parameter, 'missing' as problem
from expected as e
left join present as p
    on p.rule_id = e.rule_id and p.parameter = e.parameter and p.segment = 'all'
where p.rule_id is null
union all
select p.rule_id, p.parameter, 'not read by the rule' as problem
from present as p
left join expected as e on e.rule_id = p.rule_id and e.parameter = p.parameter
where e.rule_id is null
