{#
  Each currency's rate to CNY as intervals of unchanged rate [valid_from, valid_to), from
  the daily PUB_FXRATE snapshots. A date without a PUB batch keeps the last rate; the first
  known rate also stands for the dates before it (so no balance is ever left without a
  rate), and the last one is open-ended.
#}
with rates as (
    select
        currency,
        biz_date,
        rate_to_cny,
        lag(rate_to_cny) over (partition by currency order by biz_date) as previous_rate
    from {{ ref('stg_pub__fxrates') }}
),

changes as (
    select
        currency,
        biz_date,
        rate_to_cny,
        row_number() over (partition by currency order by biz_date) as change_no,
        lead(biz_date) over (partition by currency order by biz_date) as next_change
    from rates
    where previous_rate is null or previous_rate <> rate_to_cny
)

select
    currency,
    case when change_no = 1 then cast('1900-01-01' as date) else biz_date end as valid_from,
    coalesce(next_change, {{ open_end() }}) as valid_to,
    rate_to_cny,
    biz_date as first_published
from changes
