{{ config(severity='warn', meta={"dagster": {"ref": {"name": "int_account_contributions_monthly"}}}) }}
-- depends_on: {{ ref('int_account_contributions_monthly') }}
-- (runs with the monthly group, after the models it reads: a test whose parents sit in two
-- Dagster groups and none in a later one would be selected by no dbt call)
-- Every channel of the loaded months' transactions has a unit cost (seed txn_unit_costs):
-- a posting through an unknown or empty channel costs nothing in the contribution mart.
-- Checks the transactions of the run's window (a full build checks every date).
select t.channel, count(*) as postings
from {{ ref('fct_transaction') }} as t
inner join {{ ref('int_periods') }} as p
    on t.biz_date >= p.covered_from and t.biz_date < p.covered_to
left join {{ ref('txn_unit_costs') }} as c on c.channel = t.channel
where {{ in_window('t.biz_date') }}
    and c.channel is null
group by t.channel
