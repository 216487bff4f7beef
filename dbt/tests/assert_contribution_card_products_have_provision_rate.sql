{{ config(tags=["cross_group"], meta={"dagster": {"ref": {"name": "card_provision_rates"}}}) }}
-- Every card product has a provision rate (seed card_provision_rates), and every rate is for
-- a card product of seed products: a card of a product without one would carry no provision,
-- and no risk cost, silently; a rate for another product would be ignored.
select p.product_code, 'card product without a provision rate' as problem
from {{ ref('products') }} as p
left join {{ ref('card_provision_rates') }} as r on r.product_code = p.product_code
where p.category = 'card' and r.product_code is null
union all
select r.product_code, 'provision rate for a product that is not a card' as problem
from {{ ref('card_provision_rates') }} as r
left join {{ ref('products') }} as p on p.product_code = r.product_code and p.category = 'card'
where p.product_code is null
