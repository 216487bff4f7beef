-- The scorecard's weights add up to 1 (seed kpi_indicators), so a total
-- score of 100 means every target exactly met.
select sum(weight) as total_weight
from {{ ref('kpi_indicators') }}
having abs(sum(weight) - 1) > 0.000001
