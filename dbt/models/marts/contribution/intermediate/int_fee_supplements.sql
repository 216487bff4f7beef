{#
  CRM fee supplements 贡献度数据补充 (CRM_FEE: docs/extracts.md; docs/contribution.md): intermediary and
  off-balance-sheet income no core system records, entered by managers. A later row with
  the same entry_id corrects an earlier one: the latest counts (by biz_date, then
  entered_ts, then source_line). Attributed to its `period` and to the party of its source
  customer (bridge_customer_xref: sys, cust_no).

  Every entry stays here, attributed or not: attribution_status says why one cannot reach
  the mart (no_party: the customer is unknown to ECIF; period_not_loaded: its period is
  not a loaded month), and a warning test lists them.
#}

with entries as (
    select
        f.*,
        row_number() over (
            partition by f.entry_id
            order by f.biz_date desc, f.entered_ts desc, f.source_line desc
        ) as recency,
        count(*) over (partition by f.entry_id) as row_count,
        min(f.biz_date) over (partition by f.entry_id) as first_biz_date
    from {{ ref('stg_crm__fees') }} as f
)

select
    e.entry_id,
    e.period,
    p.period_start,
    e.sys,
    e.cust_no,
    x.party_id,
    e.fee_type,
    cast(e.amount as {{ contribution_number_type() }}) as amount_cny,
    e.entered_by,
    e.entered_ts,
    e.biz_date,
    e.first_biz_date,
    e.source_version,
    e.source_line,
    e.row_count - 1 as corrections,
    case
        when x.party_id is null then 'no_party'
        when p.period is null then 'period_not_loaded'
        else 'matched'
    end as attribution_status
from entries as e
left join {{ ref('bridge_customer_xref') }} as x on x.sys = e.sys and x.cust_no = e.cust_no
left join {{ ref('int_periods') }} as p on p.period = e.period
where e.recency = 1
