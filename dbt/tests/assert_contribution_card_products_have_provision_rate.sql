{{ config(tags=["cross_group"], meta={"dagster": {"ref": {"name": "card_provision_rates"}}}) }}
-- Every card product has a provision rate (seed card_provision_rates): a card of a product
-- without one would carry no provision, and no risk cost, silently.
select p.product_code
from {{ ref('products') }} as p
left join {{ ref('card_provision_rates') }} as r on r.product_code = p.product_code
where p.category = 'card' and r.product_code is null
