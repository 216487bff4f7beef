{#
  The open-ended row of dim_account_history: one source of truth for an account's
  attributes, so the current view and the history never disagree.
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
