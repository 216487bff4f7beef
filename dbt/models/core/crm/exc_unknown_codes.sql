{#
  Quality report: codes of CRM data that the warehouse does not know (the extract contract:
  CRM teams add codes without notice). The rows are kept: a contact with an unknown outcome
  counts as not a contact (the marts join vip_contact_outcomes), an unknown method changes
  nothing. One row per entity, column and code, with its rows and first and last business
  date; a code appears here until it is added to its seed (vip_contact_outcomes,
  crm_contact_methods).
#}

with contacts as (
    select biz_date, method, outcome
    from {{ ref('stg_crm__contacts') }}
),

unknown as (
    select 'CRM_CONTACT' as entity, 'outcome' as column_name, c.outcome as code, c.biz_date
    from contacts as c
    left join {{ ref('vip_contact_outcomes') }} as o on o.outcome = c.outcome
    where o.outcome is null

    union all

    select 'CRM_CONTACT' as entity, 'method' as column_name, c.method as code, c.biz_date
    from contacts as c
    left join {{ ref('crm_contact_methods') }} as m on m.method = c.method
    where m.method is null
)

select
    entity,
    column_name,
    code,
    count(*) as row_count,
    min(biz_date) as first_date,
    max(biz_date) as last_date
from unknown
group by entity, column_name, code
