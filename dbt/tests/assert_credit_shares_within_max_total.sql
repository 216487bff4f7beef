-- On every day an account's scaled shares add up to at most max_total_share_pct
-- (rounding of the scaled shares allowed), and to the raw total where that is within it.
with totals as (
    select
        account_key,
        valid_from,
        sum(share_pct) as total_share_pct,
        max(total_share_pct_raw) as total_share_pct_raw
    from {{ ref('fct_credit_share') }}
    group by account_key, valid_from
),

params as (
    select cast(value as {{ dbt.type_numeric() }}) as max_total_share_pct
    from {{ ref('credit_parameters') }}
    where parameter = 'max_total_share_pct'
)

select totals.*
from totals
cross join params
where totals.total_share_pct > params.max_total_share_pct + 0.0001
    or (totals.total_share_pct_raw <= params.max_total_share_pct
        and totals.total_share_pct <> totals.total_share_pct_raw)
