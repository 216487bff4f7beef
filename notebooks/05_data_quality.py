# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Data quality: what came in, what was held back, and what was published
#
# Did every system's daily delivery arrive whole and load, and where were rows quarantined,
# customer records sent to manual review, or account balances left unexplained by their transactions?
# Does every delivered row add up to a loaded or quarantined row, and which run and code version
# produced the marts readers see?
#
# Data: schema `quality` (ingest audit, quarantine, duplicates, review queue, reconciliation breaks) and
# schema `meta` of the published warehouse; the Parquet exports for the final check.

# %%
import matplotlib.pyplot as plt
import numpy as np
import polars as pl
from IPython.display import display

from marts import analyst

MILLION = 1e6
REASON_WIDTH = 70  # characters of a rejection reason shown in tables

con = analyst.published()

# %% [markdown]
# ## 1. What was published
#
# `meta.published` names the run that built the file readers open, the code version it ran and the
# business dates the marts cover; `meta.published_batches` lists the batch version of every system and
# date behind them. The Parquet exports BI tools read must hold exactly the published rows.

# %%
published = analyst.query(con, "select * from meta.published")
run = published.row(0, named=True)
print(f"run {run['run_id']} published at {run['published_at']} UTC, code version {run['code_version']}")
print(
    f"business dates {run['min_date']} .. {run['max_date']}: {run['tables']} marts, {run['rows']:,} rows"
)
display(
    analyst.query(
        con,
        """
    select sys, count(*) as batches, min(biz_date) as first_date, max(biz_date) as last_date,
           max(version) as highest_version
    from meta.published_batches group by sys order by sys""",
    )
)

# What readers download: every published mart's rows are all in its Parquet export.
marts = analyst.query(
    con,
    """
    select table_name as mart from duckdb_tables()
    where schema_name = 'marts' order by table_name""",
)["mart"].to_list()
exported = []
for mart in marts:
    rows = analyst.query(con, f"select count(*) as n from marts.{mart}")["n"][0]
    try:
        parquet_rows = analyst.export(mart).height
    except FileNotFoundError:
        parquet_rows = None  # a mart without an export is reported, not hidden
    exported.append({"mart": mart, "published_rows": rows, "exported_rows": parquet_rows})
exported = pl.DataFrame(exported).with_columns(
    (pl.col("published_rows") == pl.col("exported_rows")).fill_null(False).alias("match")
)
print(
    f"{exported['match'].sum()} of {exported.height} marts have exactly their published rows "
    "in the exports."
)
display(exported)

# %% [markdown]
# ## 2. Batches per status and system
#
# Every delivery (one system, one business date, one version) is a batch. A batch is `loaded`, or
# `rejected` whole (e.g. a file's MD5 differs from its `.OK` control file), or `waiting` for its `.OK`.
# A rejected or waiting date of a system is missing from the marts until a good version arrives.

# %%
# One state per system and business date: loaded (first version), loaded after a restatement, or the
# status of its latest delivery when no version loaded.
days = analyst.query(
    con,
    """
    select sys, biz_date,
           case when max(case when is_current and status = 'loaded' then version end) = 1 then 'loaded'
                when max(case when is_current and status = 'loaded' then version end) > 1
                    then 'loaded after restatement'
                else arg_max(status, first_seen_at) end as state
    from quality.audit_batch group by sys, biz_date""",
)
systems = days["sys"].unique().sort().to_list()
dates = days["biz_date"].unique().sort().to_list()
palette = {
    "loaded": "#b7dfb0",
    "loaded after restatement": "tab:blue",
    "rejected": "tab:red",
    "waiting": "tab:orange",
}
states = days["state"].unique().sort().to_list()
colour_of = {s: palette.get(s, plt.colormaps["tab10"](7 + i % 3)) for i, s in enumerate(states)}

fig, ax = plt.subplots(figsize=(12, 0.35 * len(systems) + 2))
for state in states:
    part = days.filter(pl.col("state") == state)
    ax.scatter(
        part["biz_date"].to_list(),
        [systems.index(s) for s in part["sys"]],
        marker="s",
        s=14 if state == "loaded" else 40,
        color=colour_of[state],
        label=state,
    )
ax.set_yticks(range(len(systems)), systems)
ax.invert_yaxis()
ax.set_xlabel("business date")
ax.set_title("Ingest state of every system and business date")
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncols=len(states), frameon=False)
fig.tight_layout()
plt.close(fig)
analyst.drawn(fig)

# %%
# Batches per system and status (a restated date has several batches: the superseded and the current).
display(
    analyst.query(
        con,
        """
    select sys, status, count(*) as batches from quality.audit_batch group by sys, status""",
    )
    .pivot(on="status", index="sys", values="batches")
    .fill_null(0)
    .sort("sys")
)
# The batches that did not load, and the system-dates with no loaded version at all.
not_loaded = analyst.query(
    con,
    f"""
    select sys, biz_date, version, status, left(reason, {REASON_WIDTH}) as reason
    from quality.audit_batch where status <> 'loaded' order by biz_date, sys""",
)
missing = analyst.query(
    con,
    """
    select sys, biz_date from quality.audit_batch group by sys, biz_date
    having count(case when status = 'loaded' and is_current then 1 end) = 0
    order by biz_date, sys""",
)
restated = analyst.query(
    con,
    """
    select count(*) as n from quality.audit_batch where status = 'loaded' and version > 1""",
)["n"][0]
print(
    f"{not_loaded.height} batches not loaded; {missing.height} system-dates without any "
    f"loaded version; {restated} restated batches (version > 1) loaded."
)
for sys, day in missing.iter_rows():
    print(f"  missing from the marts: {sys} {day}")
display(not_loaded)

# %% [markdown]
# ## 3. Quarantined rows by reason and system
#
# A row that cannot be parsed (wrong number of fields, bytes that are not valid GB18030, a line
# broken in two) is set aside with its reason, and the rest of its file loads. Duplicate transaction
# keys are kept in the raw zone and dropped once in the warehouse.

# %%
quarantine = analyst.query(
    con,
    """
    select sys, reason, sum(rows)::bigint as rows
    from quality.quarantine_summary group by sys, reason""",
)
volume = analyst.query(
    con,
    """
    select sys, sum(rows_in)::bigint as rows_in, sum(rows_quarantined)::bigint as rows_quarantined,
           sum(duplicate_keys)::bigint as repeated_in_file
    from quality.audit_file group by sys""",
)
# every system, those without a quarantined row included (a zero is a finding too)
q_systems = volume.sort(["rows_quarantined", "sys"], descending=[True, False])
reasons = (
    quarantine.group_by("reason")
    .agg(pl.col("rows").sum())
    .sort("rows", descending=True)["reason"]
    .to_list()
)

fig, (ax, share_ax) = plt.subplots(1, 2, figsize=(13, 0.45 * max(q_systems.height, 3) + 2))
left = np.zeros(q_systems.height)
for i, reason in enumerate(reasons or ["nothing quarantined"]):
    counts = (
        q_systems.select("sys")
        .join(quarantine.filter(pl.col("reason") == reason), on="sys", how="left")
        .fill_null(0)["rows"]
        .to_numpy()
    )
    ax.barh(q_systems["sys"], counts, left=left, color=plt.colormaps["tab10"](i % 10), label=reason)
    left += counts
for y, total in enumerate(left):
    ax.text(total, y, f" {int(total)}", va="center", fontsize=8)
ax.invert_yaxis()
ax.margins(x=0.1)
ax.set_xlabel("quarantined rows")
ax.set_title("Quarantined rows per system, by reason")
ax.legend(loc="lower right")
share_ax.barh(
    q_systems["sys"], q_systems["rows_quarantined"] / q_systems["rows_in"] * 100, color="tab:grey"
)
share_ax.invert_yaxis()
share_ax.set_xlabel("quarantined rows, % of rows delivered")
share_ax.set_title("Quarantine rate per system")
fig.tight_layout()
plt.close(fig)
analyst.drawn(fig)

# %%
# Two counts of repeated transaction keys: within one file (audit_file), and also counting rows that
# repeat a key of the previous business date's file (quality.duplicate_keys).
duplicates = (
    analyst.query(
        con,
        """
    select sys, sum(duplicate_keys)::bigint as repeated_keys_incl_previous_day,
           count(*) as dates_with_repeats
    from quality.duplicate_keys group by sys""",
    )
    .join(
        volume.select("sys", "repeated_in_file"),
        on="sys",
        how="full",
        coalesce=True,
    )
    .fill_null(0)
    .sort("sys")
)
total_q = volume["rows_quarantined"].sum()
print(
    f"{total_q:,} of {volume['rows_in'].sum():,} delivered rows quarantined "
    f"({total_q / volume['rows_in'].sum():.3%}); "
    f"most common reason: {reasons[0] if reasons else 'none'}."
)
display(duplicates)

# %% [markdown]
# ## 4. The identity review queue
#
# Customer records the matching could not settle alone: an identity number failing its check digit
# (`invalid_id`, kept as a party of its own) or records merged on one number under different names
# (`name_conflict`). Identity numbers in `detail` are masked. The document type is read from `detail`.

# %%
queue = analyst.query(
    con,
    """
    select sys, reason, coalesce(regexp_extract(detail, 'id_type (\\w+)', 1), '') as id_type
    from quality.customer_review_queue""",
).with_columns(
    pl.when(pl.col("id_type") == "")
    .then(pl.lit("other"))
    .otherwise("id_type " + pl.col("id_type"))
    .alias("document")
)
records = analyst.query(
    con,
    """
    select sys, sum(rows_loaded)::bigint as customer_rows from quality.audit_file
    where entity = 'CUST' group by sys""",
)
per_sys = (
    records.join(queue.group_by("sys").len("to_review"), on="sys", how="left")
    .fill_null(0)
    .with_columns((pl.col("to_review") / pl.col("customer_rows") * 1000).alias("per_1000_records"))
    .sort("sys")
)
print(f"{queue.height} customer records waiting for review.")
display(queue.group_by("reason", "document").len("records").sort("records", descending=True))

# Per system, stacked by reason: how many records to review per 1,000 customer rows delivered
# (a system with no bar sent nothing to review).
fig, ax = plt.subplots(figsize=(9, 0.4 * per_sys.height + 2))
left = np.zeros(per_sys.height)
# an empty queue still draws its (zero) bars, under a label that says so
for i, reason in enumerate(queue["reason"].unique().sort().to_list() or ["queue empty"]):
    n = (
        per_sys.select("sys", "customer_rows")
        .join(queue.filter(pl.col("reason") == reason).group_by("sys").len("n"), on="sys", how="left")
        .fill_null(0)
    )
    rate = (n["n"] / n["customer_rows"] * 1000).fill_nan(0).to_numpy()
    ax.barh(per_sys["sys"], rate, left=left, color=plt.colormaps["tab10"](i % 10), label=reason)
    left += rate
for y, (count, rate) in enumerate(per_sys.select("to_review", "per_1000_records").iter_rows()):
    ax.text(rate, y, f" {count}", va="center", fontsize=8)
ax.invert_yaxis()
ax.set_xlabel("records to review per 1,000 customer rows loaded (label: records)")
ax.set_title("Identity review queue per source system")
ax.legend(loc="lower right")
fig.tight_layout()
plt.close(fig)
analyst.drawn(fig)

# %% [markdown]
# ## 5. Reconciliation breaks
#
# An account-day breaks when the day's transactions do not explain the change of its end-of-day balance
# (movement gap), or when the last transaction's `balance_after` differs from that balance. A quarantined
# transaction row leaves exactly such a gap, so breaks are compared with quarantine below.

# %%
breaks = analyst.query(
    con,
    """
    select split_part(account_key, ':', 1) as sys, biz_date, movement_gap,
           is_movement_break, is_balance_after_break
    from quality.reconciliation_breaks""",
).with_columns(pl.col("biz_date").dt.truncate("1w").alias("week"))
weekly = breaks.group_by("week", "sys").agg(pl.len().alias("breaks")).sort("week")
b_systems = breaks.group_by("sys").len().sort("len", descending=True)["sys"].to_list()
weeks = weekly["week"].unique().sort()

if breaks.height == 0:
    print("No reconciliation break: every account-day's transactions explain its balance.")
else:
    fig, (ax, amount_ax) = plt.subplots(1, 2, figsize=(13, 4.5), width_ratios=[2, 1])
    bottom = np.zeros(len(weeks))
    for i, sys in enumerate(b_systems):
        counts = (
            pl.DataFrame({"week": weeks})
            .join(weekly.filter(pl.col("sys") == sys), on="week", how="left")
            .fill_null(0)["breaks"]
            .to_numpy()
        )
        ax.bar(
            weeks.to_list(),
            counts,
            width=5,
            bottom=bottom,
            color=plt.colormaps["tab10"](i % 10),
            label=sys,
        )
        bottom += counts
    ax.set_ylabel("account-days with a break")
    ax.set_title("Reconciliation breaks per week (week starting Monday), by system")
    ax.tick_params(axis="x", labelrotation=45)
    ax.set_ylim(0, bottom.max() * 1.1)  # zero-height segments would pin the top otherwise
    ax.legend(fontsize=8)
    gaps = breaks.group_by("sys").agg((pl.col("movement_gap").abs().sum() / MILLION).alias("gap_m"))
    gaps = pl.DataFrame({"sys": b_systems}).join(gaps, on="sys", how="left")
    amount_ax.barh(gaps["sys"], gaps["gap_m"].fill_null(0), color="tab:grey")
    amount_ax.invert_yaxis()
    amount_ax.set_xlabel("unexplained movement, sum of |gap| (CNY millions)")
    amount_ax.set_title("Amount not explained, by system")
    fig.tight_layout()
    plt.close(fig)
    display(analyst.drawn(fig))

# %%
quarantined_days = analyst.query(
    con,
    """
    select distinct sys, biz_date from quality.quarantine_summary""",
).with_columns(pl.lit(True).alias("had_quarantine"))
linked = breaks.join(quarantined_days, on=["sys", "biz_date"], how="left").with_columns(
    pl.col("had_quarantine").fill_null(False)
)
share = linked["had_quarantine"].mean() if linked.height else 0.0
print(
    f"{breaks.height} account-days with a break over {breaks['biz_date'].n_unique()} business dates; "
    f"{share:.0%} of them fall on a system-date that also had quarantined rows."
)
(
    linked.group_by("sys")
    .agg(
        pl.len().alias("breaks"),
        pl.col("is_movement_break").sum().alias("movement_breaks"),
        pl.col("is_balance_after_break").sum().alias("balance_after_breaks"),
        pl.col("had_quarantine").mean().round(2).alias("share_on_quarantine_days"),
        (pl.col("movement_gap").abs().sum() / MILLION).round(3).alias("abs_gap_m"),
    )
    .sort("breaks", descending=True)
)

# %% [markdown]
# ## 6. Nothing lost: rows in = rows loaded + rows quarantined
#
# For every file of every batch, each delivered row is either loaded or quarantined; only a batch
# rejected whole (section 2) counts its rows as `rejected` instead. The quarantine detail must hold
# exactly the rows each file reports as quarantined, and each file's row count must match its control
# total.

# %%
files = analyst.query(
    con,
    """
    select f.sys, f.entity, f.file, f.biz_date, f.version, b.status, f.records_expected,
           f.rows_in, f.rows_loaded, f.rows_quarantined, f.rows_rejected,
           coalesce(q.rows, 0) as quarantine_detail_rows
    from quality.audit_file as f
    join quality.audit_batch as b using (sys, biz_date, version)
    left join (select sys, file, biz_date, version, sum(rows)::bigint as rows
               from quality.quarantine_summary group by sys, file, biz_date, version) as q
        using (sys, file, biz_date, version)""",
)
checks = files.with_columns(
    (
        pl.col("rows_in") == pl.col("rows_loaded") + pl.col("rows_quarantined") + pl.col("rows_rejected")
    ).alias("in_equals_out"),
    ((pl.col("status") == "rejected") | (pl.col("rows_rejected") == 0)).alias(
        "rejects_only_in_rejected_batches"
    ),
    (pl.col("quarantine_detail_rows") == pl.col("rows_quarantined")).alias("quarantine_detail_matches"),
    # a file short of its control total is the reason a batch gets rejected (checked apart below)
    (
        pl.col("records_expected").is_null()
        | (pl.col("records_expected") == pl.col("rows_in"))
        | (pl.col("status") == "rejected")
    ).alias("control_total_matches"),
)
rules = [
    "in_equals_out",
    "rejects_only_in_rejected_batches",
    "quarantine_detail_matches",
    "control_total_matches",
]
for rule in rules:
    print(f"{rule}: holds for {checks[rule].sum():,} of {checks.height:,} files")
short = checks.filter(
    (pl.col("status") == "rejected") & (pl.col("records_expected") != pl.col("rows_in"))
)
print(
    f"({short.height} files of rejected batches hold fewer or more rows than their control total: "
    f"{short['rows_in'].sum():,} rows found for {short['records_expected'].sum():,} announced.)"
)
loaded = checks.filter(pl.col("status") == "loaded")
print(
    f"Loaded batches: {loaded['rows_in'].sum():,} rows in = {loaded['rows_loaded'].sum():,} loaded "
    f"+ {loaded['rows_quarantined'].sum():,} quarantined."
)
failing = checks.filter(~pl.all_horizontal(rules))
if failing.height:  # any file breaking a rule is listed, not just counted
    display(failing)
checks.group_by("sys").agg(
    pl.len().alias("files"),
    pl.col("rows_in", "rows_loaded", "rows_quarantined", "rows_rejected").sum(),
    pl.all_horizontal(rules).all().alias("every_check_holds"),
).sort("sys")
