{#
  Credit-card statements 账单 and the days each leaves the card revolving 循环信用
  (docs/contribution.md, "Cards"): one row per card and statement date.

  A statement is cut on the card's bill_day (dim_account_history, the version valid that
  day; the month's last day when bill_day is past it) on every loaded date while the card
  is open, with that day's end-of-day balance (fct_balance). It is due card_grace_days later
  (seed contribution_parameters, default 20), and paid in full when the credits to the
  card after the statement date up to and including the due date (reversals and reversed
  postings excluded) reach its balance. A statement decides the days after its due date
  up to and including the next statement's due date: revolving_from/revolving_to,
  half-open [due_date + 1, next due_date + 1), are set only for a statement not paid in
  full (the whole balance earns interest on those days). Before the first statement the
  card counts as paid in full. Everything is known on the day it decides: the payments up
  to the due date decide the days after it.

  Few rows per card (one a month), so the contribution mart and the 360 view work with
  intervals, never a row per card and day. Rebuilt each run from three months before the
  monthly window (a statement of up to two cycles earlier decides the window's first days;
  the third month serves the 360 view's look-back).
#}
{{ config(materialized='table', tags=['monthly']) }}

with parameters as (
    select cast(max(case when parameter = 'card_grace_days' then value end) as integer) as grace_days
    from {{ ref('contribution_parameters') }}
),

periods as (
    select period_start, next_period_start, days_in_month, covered_from, covered_to
    from {{ ref('int_periods') }}
    where period_start >= cast({{ dbt.dateadd('month', -3, month_window_start()) }} as date)
),

cards as (
    select
        h.account_key,
        h.bill_day,
        h.valid_from,
        h.valid_to,
        coalesce(a.open_date, cast('1900-01-01' as date)) as open_date,
        coalesce(a.close_date, {{ open_end() }}) as close_date
    from {{ ref('dim_account_history') }} as h
    inner join {{ ref('dim_account') }} as a on a.account_key = h.account_key
    where h.category = 'card' and h.bill_day is not null
),

candidates as (
    select
        c.account_key,
        c.valid_from,
        c.valid_to,
        c.open_date,
        c.close_date,
        p.covered_from,
        p.covered_to,
        cast({{ dbt.dateadd(
            'day',
            'least(greatest(c.bill_day, 1), p.days_in_month) - 1',
            'p.period_start') }} as date) as statement_date
    from cards as c
    inner join periods as p
        on c.valid_from < p.next_period_start and c.valid_to > p.period_start
),

statement_dates as (
    select
        c.account_key,
        c.statement_date,
        cast({{ dbt.dateadd('day', 'parameters.grace_days', 'c.statement_date') }} as date) as due_date
    from candidates as c
    cross join parameters
    where c.statement_date >= c.valid_from and c.statement_date < c.valid_to
        and c.statement_date >= c.covered_from and c.statement_date < c.covered_to
        and c.statement_date >= c.open_date and c.statement_date < c.close_date
),

statements as (
    select
        s.account_key,
        s.statement_date,
        s.due_date,
        cast(coalesce(b.balance_cny, 0) as {{ contribution_number_type() }}) as statement_balance_cny
    from statement_dates as s
    left join {{ ref('fct_balance') }} as b
        on b.account_key = s.account_key
        and b.valid_from <= s.statement_date and b.valid_to > s.statement_date
),

credits as (
    select
        s.account_key,
        s.statement_date,
        sum(t.amount_cny) as credits_cny
    from statements as s
    inner join {{ ref('fct_transaction') }} as t
        on t.account_key = s.account_key
        and t.biz_date > s.statement_date and t.biz_date <= s.due_date
    where t.dr_cr = 'C'
        and not coalesce(t.is_reversal, false)
        and not coalesce(t.is_reversed, false)
    group by s.account_key, s.statement_date
),

judged as (
    select
        s.account_key,
        s.statement_date,
        s.due_date,
        s.statement_balance_cny,
        cast(coalesce(c.credits_cny, 0) as {{ contribution_number_type() }}) as credits_cny,
        coalesce(c.credits_cny, 0) >= s.statement_balance_cny as is_paid_in_full,
        lead(s.due_date) over (partition by s.account_key order by s.statement_date) as next_due_date
    from statements as s
    left join credits as c
        on c.account_key = s.account_key and c.statement_date = s.statement_date
)

select
    account_key,
    statement_date,
    due_date,
    statement_balance_cny,
    credits_cny,
    is_paid_in_full,
    case when not is_paid_in_full
        then cast({{ dbt.dateadd('day', 1, 'due_date') }} as date) end as revolving_from,
    case when not is_paid_in_full
        then coalesce(cast({{ dbt.dateadd('day', 1, 'next_due_date') }} as date), {{ open_end() }})
        end as revolving_to
from judged
