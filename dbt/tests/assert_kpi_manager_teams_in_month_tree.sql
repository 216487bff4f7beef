-- Every manager's team of a month (int_kpi_manager_months, as of the month's as_of_date)
-- is in that month's team tree (int_kpi_team_months) with a level: else the manager's
-- figures would reach no team of mart_team_kpi that month. Fails with the manager, month
-- and team.
select m.manager_id, m.period, m.team_id
from {{ ref('int_kpi_manager_months') }} as m
left join {{ ref('int_kpi_team_months') }} as t
    on t.team_id = m.team_id and t.period = m.period
where m.team_id is not null
    and t.team_level is null
