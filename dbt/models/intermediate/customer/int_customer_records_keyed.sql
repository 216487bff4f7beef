{#
  Each source customer's latest record with its match key (docs/customers.md):
  normalised name, normalised number, whether the number is valid, the rule that made
  the key, and the party_id derived from the key alone.
  A number that fails its check character (or has the wrong length or characters) gets
  a key of its own record ('X:{sys}:{cust_no}'): it is never merged.
#}
with latest as (
    select * from {{ ref('int_customer_records_latest') }}
),

cleaned as (
    select
        *,
        {{ normalise_name('cust_name') }} as name_normalised,
        {{ normalise_id_text('id_no') }} as id_text
    from latest
),

normalised as (
    -- the form a number is compared in: 18 digits for resident IDs, codes without '-'
    select
        *,
        case
            when party_kind = 'personal' and id_type = '01' then {{ id15_to_id18('id_text') }}
            when party_kind = 'corporate' and id_type = '22' then {{ org_code_plain('id_text') }}
            else id_text
        end as id_no_normalised
    from cleaned
),

checked as (
    select
        *,
        case
            when id_text is null or id_type is null then false
            when party_kind = 'personal' and id_type = '01' then {{ is_valid_gb11643('id_no_normalised') }}
            when party_kind = 'corporate' and id_type = '21' then {{ is_valid_gb32100('id_no_normalised') }}
            when party_kind = 'corporate' and id_type = '22' then {{ is_valid_gb11714('id_no_normalised') }}
            else true  -- other documents carry no check character
        end as is_valid
    from normalised
),

keyed as (
    select
        *,
        case
            when not is_valid then 'invalid'
            when party_kind = 'personal' and id_type = '01' and {{ dbt.length('id_text') }} = 15 then 'P01_from15'
            when party_kind = 'personal' then {{ dbt.concat(["'P'", "id_type"]) }}
            when id_type = '21' then 'C_uscc'
            when id_type = '22' then 'C_orgcode'
            else {{ dbt.concat(["'C'", "id_type"]) }}
        end as match_rule,
        case
            when not is_valid then {{ dbt.concat(["'X:'", "sys", "':'", "cust_no"]) }}
            when party_kind = 'personal' then {{ dbt.concat(["'P'", "id_type", "':'", "id_no_normalised"]) }}
            -- a USCC and the organisation code inside it meet on one key
            when id_type = '21' then {{ dbt.concat(["'C:'", uscc_org_code('id_no_normalised')]) }}
            when id_type = '22' then {{ dbt.concat(["'C:'", "id_no_normalised"]) }}
            else {{ dbt.concat(["'C'", "id_type", "':'", "id_no_normalised"]) }}
        end as match_key,
        -- why a number is invalid, for the review queue
        case
            when is_valid then null
            when id_type is null then 'no id_type'
            when id_text is null then 'no identity number'
            when id_type = '01' and {{ dbt.length('id_no_normalised') }} <> 18
                then {{ dbt.concat(["'resident ID of '", dbt.safe_cast(dbt.length('id_text'), dbt.type_string()), "' characters (15 or 18 expected)'"]) }}
            when id_type = '01' and not {{ chars_in('id_no_normalised', '0123456789', 17) }}
                then 'resident ID with characters other than digits'
            when id_type = '01'
                then {{ dbt.concat(["'GB 11643 check digit is '", char_at('id_no_normalised', 18), "', expected '", gb11643_check_char('id_no_normalised')]) }}
            when id_type = '21' and {{ dbt.length('id_no_normalised') }} <> 18
                then {{ dbt.concat(["'unified social credit code of '", dbt.safe_cast(dbt.length('id_text'), dbt.type_string()), "' characters (18 expected)'"]) }}
            when id_type = '21' and not {{ chars_in('id_no_normalised', '0123456789ABCDEFGHJKLMNPQRTUWXY', 18) }}
                then 'unified social credit code with characters outside the GB 32100 alphabet'
            when id_type = '21' and {{ char_at('id_no_normalised', 18) }} <> {{ gb32100_check_char('id_no_normalised') }}
                then {{ dbt.concat(["'GB 32100 check character is '", char_at('id_no_normalised', 18), "', expected '", gb32100_check_char('id_no_normalised')]) }}
            when id_type = '21'
                then 'organisation code inside the unified social credit code fails its GB 11714 check'
            when id_type = '22' and {{ dbt.length('id_no_normalised') }} <> 9
                then {{ dbt.concat(["'organisation code of '", dbt.safe_cast(dbt.length('id_no_normalised'), dbt.type_string()), "' characters without dashes (9 expected)'"]) }}
            when id_type = '22' and not {{ chars_in('id_no_normalised', '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ', 8) }}
                then 'organisation code with characters other than 0-9 A-Z'
            when id_type = '22'
                then {{ dbt.concat(["'GB 11714 check character is '", char_at('id_no_normalised', 9), "', expected '", gb11714_check_char('id_no_normalised')]) }}
        end as id_problem
    from checked
)

select
    record_key,
    sys,
    cust_no,
    party_kind,
    {{ party_id('match_key') }} as party_id,
    match_key,
    match_rule,
    case when is_valid then 'valid' else 'invalid' end as id_quality,
    id_problem,
    cust_name,
    name_normalised,
    id_type,
    id_no,
    coalesce(id_no_normalised, id_text) as id_no_normalised,
    gender,
    birth_date,
    mobile,
    address,
    industry_code,
    scale,
    reg_capital,
    org_code,
    cust_status,
    update_ts,
    last_delivered_date,
    first_seen_date,
    versions_delivered
from keyed
