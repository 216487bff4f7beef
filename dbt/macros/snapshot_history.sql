{#
  Zipper tables (SCD2) from daily FULL snapshots, as delivered: CRM_MANAGER, CRM_TEAM and
  CRM_ASSIGN (dim_manager_history, dim_team_history, int_assignment_history).

  snapshot_history(relation, key_columns, attribute_columns, from_column, to_column)
    relation           a relation or CTE holding one row per key per delivered snapshot,
                       with `biz_date` (the snapshot's business date)
    key_columns        the key of a row within a snapshot (the raw suite rejects a
                       snapshot with a key twice)
    attribute_columns  a change in any of them starts a new version
    from_column, to_column  names of the version's half-open interval [from, to)
  gives one row per version: the key, the attributes, [from, to) and
  `first_delivered_date`, the snapshot that first delivered the version.

  Rules:
  - Versions run over the list of delivered snapshot dates: a key present with the same
    attributes on consecutive delivered dates stays in one version; a day without a
    delivery (a rejected or late batch) ends nothing. A version ends (to = that date) on
    the first delivered date on which its key is absent or its attributes differ; the
    current version is open (open_end()).
  - The first delivered snapshot describes the past too: its versions start at
    history_start() (1900-01-01), not on its date. The warehouse knows nothing older, and a
    month or an assignment that starts before the first loaded date (an account opened last
    year, assigned since) must find the manager, team and assignment it had then, not
    nothing. first_delivered_date keeps the real date.
  - Incremental (replace_window on to_column with an open end: every stored version with
    to >= window_start() is deleted): the model re-emits exactly those. It restarts from
    the versions stored as alive on the day before the window (delivered before it, to >=
    window_start()): their key, attributes and start stand for the last snapshot before
    the window; then it reads every snapshot from window_start() on, also those after
    window_end() (a restated past date is re-run from that date to the latest one), and
    recomputes the versions from there. So the cost follows the window's snapshots and the
    current versions, not the number of days loaded. Stored versions first delivered in
    the window (or later) are never a starting point: a late first snapshot, older than
    every stored one, rebuilds them all.
#}
{% macro snapshot_history(relation, key_columns, attribute_columns, from_column='valid_from', to_column='valid_to') -%}
    {%- set keys = key_columns | join(', ') -%}
    {%- set attributes = attribute_columns | join(', ') -%}
    {%- set columns = key_columns + attribute_columns -%}
with delivered as (
    select biz_date, {{ keys }}, {{ attributes }}
    from {{ relation }}
    {%- if is_incremental() %}
    where biz_date >= {{ window_start() }}
    {%- endif %}
),

-- the delivered snapshot dates (of the window) in order: 1, 2, ...
dates as (
    select biz_date, row_number() over (order by biz_date) as seq
    from (select distinct biz_date from delivered) as distinct_dates
),

{%- if is_incremental() %}

-- the versions alive on the day before the window: they stand for the last snapshot
-- before it (seq 0), with the start they already have
restart as (
    select {{ keys }}, {{ attributes }}, {{ from_column }} as version_from, first_delivered_date
    from {{ this }}
    where first_delivered_date < {{ window_start() }} and {{ to_column }} >= {{ window_start() }}
),

-- the first delivered snapshot is in the window when nothing was delivered before it
first_date as (
    select min(biz_date) as biz_date
    from dates
    where not exists (
        select 1 from {{ this }} where first_delivered_date < {{ window_start() }}
    )
),
{%- else %}

first_date as (
    select min(biz_date) as biz_date from dates
),
{%- endif %}

events as (
    select
        {%- for column in columns %}
        delivered.{{ column }},
        {%- endfor %}
        dates.seq,
        delivered.biz_date,
        cast(null as date) as version_from
    from delivered
    inner join dates on dates.biz_date = delivered.biz_date
    {%- if is_incremental() %}
    union all
    select
        {%- for column in columns %}
        {{ column }},
        {%- endfor %}
        0 as seq,
        first_delivered_date as biz_date,
        version_from
    from restart
    {%- endif %}
),

neighbours as (
    select
        events.*,
        lag(seq) over (partition by {{ keys }} order by seq) as previous_seq,
        lead(seq) over (partition by {{ keys }} order by seq) as next_seq,
        lag(fingerprint) over (partition by {{ keys }} order by seq) as previous_fingerprint,
        lead(fingerprint) over (partition by {{ keys }} order by seq) as next_fingerprint
    from (
        select *, {{ row_fingerprint(attribute_columns) }} as fingerprint
        from events
    ) as events
),

-- a version starts where the key was absent from the snapshot before, or different in
-- it; it ends where the key is absent from the next one, or different in it
edges as (
    select
        *,
        coalesce(previous_seq <> seq - 1 or previous_fingerprint <> fingerprint, true) as is_start,
        coalesce(next_seq <> seq + 1 or next_fingerprint <> fingerprint, true) as is_end
    from neighbours
),

-- only starts and ends remain: a start that is not also an end is followed by its end
versions as (
    select
        *,
        case
            when is_end then seq
            else lead(seq) over (partition by {{ keys }} order by seq)
        end as last_seq
    from edges
    where is_start or is_end
)

select
    {%- for column in columns %}
    versions.{{ column }},
    {%- endfor %}
    case
        when versions.version_from is not null then versions.version_from
        when versions.biz_date = first_date.biz_date then {{ history_start() }}
        else versions.biz_date
    end as {{ from_column }},
    coalesce(next_date.biz_date, {{ open_end() }}) as {{ to_column }},
    versions.biz_date as first_delivered_date
from versions
cross join first_date
left join dates as next_date
    on next_date.seq = versions.last_seq + 1
where versions.is_start
{%- endmacro %}

{# Where the first delivered snapshot's versions start: it describes the past too. #}
{% macro history_start() -%}
    cast('1900-01-01' as date)
{%- endmacro %}

{#
  The versions of a zipper table in force for each month (periods: int_periods rows with
  period, period_start, covered_from, as_of_date): per period and key, the version valid on
  the month's as_of_date; for a key no longer delivered that day (absent from the
  snapshot), its last version that covered a day of the month, so that what it earned in
  the month still has a team and an organisation. Keys with no version overlapping the
  month's covered days have no row. Columns: period, period_start, as_of_date, the
  history's columns.
#}
{% macro versions_as_of(history, key_columns, periods, from_column='valid_from', to_column='valid_to') -%}
select *
from (
    select
        periods.period,
        periods.period_start,
        periods.as_of_date,
        history.*,
        row_number() over (
            partition by periods.period, {% for k in key_columns %}history.{{ k }}{{ ', ' if not loop.last }}{% endfor %}
            order by history.{{ from_column }} desc
        ) as version_rank
    from {{ periods }} as periods
    inner join {{ history }} as history
        on history.{{ from_column }} <= periods.as_of_date
        and history.{{ to_column }} > periods.covered_from
) as ranked
where version_rank = 1
{%- endmacro %}
