{{ config(tags=["cross_group"], meta={"dagster": {"ref": {"name": "account_unit_costs"}}}) }}
-- Every product has an account unit cost (seed account_unit_costs): an account of a product
-- without one would bear no account cost silently.
select p.product_code
from {{ ref('products') }} as p
left join {{ ref('account_unit_costs') }} as u on u.product_code = p.product_code
where u.product_code is null
