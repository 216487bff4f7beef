{{ config(severity="warn", meta={"dagster": {"ref": {"name": "vip_contact_outcomes"}}}) }}
-- Every outcome OCRM delivers is listed in the seed vip_contact_outcomes. CRM adds codes
-- without notice (the extract contract): an unknown one is kept, counts as not a contact
-- and is listed in core.exc_unknown_codes, so this warns, with each unknown outcome.
select c.outcome, count(*) as contact_count
from {{ ref('stg_crm__contacts') }} as c
left join {{ ref('vip_contact_outcomes') }} as o on o.outcome = c.outcome
where o.outcome is null
group by c.outcome
