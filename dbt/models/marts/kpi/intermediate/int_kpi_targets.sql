{#
  Each manager's target per month and indicator (CRM_TARGET, docs/kpi.md): the latest
  delivery wins. Targets arrive on the 1st of the month and may be re-delivered, as a
  new version of the same date (staging already keeps only a date's current version) or
  on a later date: per period, manager and indicator the row of the latest business date,
  then the latest version, then the last line, replaces every earlier one.
#}

with ranked as (
    select
        period,
        manager_id,
        indicator,
        target_value,
        biz_date,
        source_version,
        row_number() over (
            partition by period, manager_id, indicator
            order by biz_date desc, source_version desc, source_line desc
        ) as pick
    from {{ ref('stg_crm__targets') }}
)

select
    period,
    manager_id,
    indicator,
    target_value,
    biz_date as delivered_date,
    source_version
from ranked
where pick = 1
