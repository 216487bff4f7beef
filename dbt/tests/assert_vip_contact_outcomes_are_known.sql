{{ config(meta={"dagster": {"ref": {"name": "vip_contact_outcomes"}}}) }}
-- Every outcome OCRM delivers is listed in the seed vip_contact_outcomes (an unknown one
-- would silently not count as a contact). Fails with each unknown outcome.
select c.outcome, count(*) as contact_count
from {{ ref('stg_crm__contacts') }} as c
left join {{ ref('vip_contact_outcomes') }} as o on o.outcome = c.outcome
where o.outcome is null
group by c.outcome
