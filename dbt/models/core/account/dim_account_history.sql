{#
  Account history as a zipper table: a new row when a descriptive attribute of the account
  changes (status, closing, organisation, rate, classification, terms; not the balance:
  that is fct_balance), and where the account's organisation code maps to another unified
  organisation (an outlet merged: the account moves on the merge date).
#}
{%- set attributes = [
    'cust_no', 'product_code', 'currency', 'org_code', 'open_date', 'close_date', 'acct_status',
    'rate', 'term_months', 'maturity_date', 'acct_kind', 'contract_no', 'loan_amount',
    'five_class', 'overdue_days', 'collateral_type', 'credit_limit', 'bill_day',
    'monthly_contribution',
] %}

with snapshots as (
    select
        account_key,
        sys,
        acct_no,
        biz_date,
        {{ attributes | join(',\n        ') }},
        {{ dbt.hash(attributes_text(attributes)) }} as attributes_hash
    from {{ ref('int_account_snapshots') }}
),

changes as (
    select
        snapshots.*,
        lag(attributes_hash) over (partition by account_key order by biz_date) as previous_hash
    from snapshots
),

versions as (
    select
        changes.*,
        biz_date as version_from,
        coalesce(
            lead(biz_date) over (partition by account_key order by biz_date), {{ open_end() }}
        ) as version_to
    from changes
    where previous_hash is null or previous_hash <> attributes_hash
)

select
    versions.account_key,
    versions.sys,
    versions.acct_no,
    greatest(versions.version_from, coalesce(org_map.valid_from, versions.version_from))
        as valid_from,
    least(versions.version_to, coalesce(org_map.valid_to, versions.version_to)) as valid_to,
    xref.party_id,
    org_map.org_id,
    {%- for column in attributes %}
    versions.{{ column }},
    {%- endfor %}
    products.category,
    products.is_aum,
    products.is_loan,
    products.ftp_key
from versions
{{ map_org_during('versions.sys', 'versions.org_code', 'versions.version_from', 'versions.version_to') }}
left join {{ ref('bridge_customer_xref') }} as xref
    on xref.sys = versions.sys and xref.cust_no = versions.cust_no
left join {{ ref('products') }} as products
    on products.product_code = versions.product_code
