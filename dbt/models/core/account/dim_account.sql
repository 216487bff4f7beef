{#
  One row per source account as it stands on the latest business date: the open-ended
  row of dim_account_history (party, unified organisation, product attributes).
#}
select
    history.*,
    balances.balance,
    balances.balance_cny
from {{ ref('dim_account_history') }} as history
left join {{ ref('fct_balance') }} as balances
    on balances.account_key = history.account_key
    and balances.valid_to = {{ open_end() }}
where history.valid_to = {{ open_end() }}
