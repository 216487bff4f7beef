{#
  Quality report (CRM_ASSIGN may hold shares adding up to more than 100 on some days:
  docs/crm.md). One row per account and elementary
  interval on which its assess shares add up to more than max_total_share_pct; the
  credit of those days was scaled down in fct_credit_share.
#}

select
    account_key,
    valid_from,
    valid_to,
    max(total_share_pct_raw) as total_share_pct_raw,
    count(*) as assignment_count,
    -- 'M00003:60.00,M00004:50.00'
    {{ dbt.listagg(
        dbt.concat(["manager_id", "':'", "cast(cast(share_pct_raw as decimal(9, 2)) as " ~ dbt.type_string() ~ ")"]),
        "','",
        "order by manager_id, assign_id"
    ) }} as managers
from {{ ref('fct_credit_share') }}
where is_scaled
group by account_key, valid_from, valid_to
