-- The total row of each manager and month carries Σ scores ÷ Σ weights of the indicators
-- scored (its weight is that Σ weights, so score × weight = Σ scores), and no score
-- exceeds weight × 100 × cap.
-- Scores are ratios (0..100 × cap) rounded at the 10th decimal, not sums of money: 1e-6
-- is far above their rounding and far below a wrong score.
-- Checks the months of the run's window (a full build checks every month).
with kpi as (
    select manager_id, period, indicator, score, weight, cap
    from {{ ref('mart_manager_kpi') }}
    where period_start >= {{ month_window_start() }}
),

indicators as (
    select
        manager_id,
        period,
        sum(score) as score_sum,
        sum(case when score is not null then weight end) as weight_sum
    from kpi
    where indicator <> 'total'
    group by manager_id, period
)

select t.manager_id, t.period, t.score, i.score_sum, 'total' as problem
from kpi as t
inner join indicators as i on i.manager_id = t.manager_id and i.period = t.period
where t.indicator = 'total'
    and (abs(coalesce(t.score * t.weight, 0) - coalesce(i.score_sum, 0)) > 0.000001
        or abs(coalesce(t.weight, 0) - coalesce(i.weight_sum, 0)) > 0.000001
        or (t.score is null) <> (i.score_sum is null))
union all
select manager_id, period, score, null, 'over the cap' as problem
from kpi
where indicator <> 'total' and score > weight * 100 * cap + 0.000001
