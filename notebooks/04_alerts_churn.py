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
# # Alerts and churn warnings: who is leaving, and who has gone quiet
#
# Which warning rules fire, week by week, and which customers are moving money to other banks or
# letting their AUM fall, with how much AUM at stake in each VIP tier?
# Which valuable customers hold accounts that have gone dormant?
#
# Data: `marts.mart_alerts` (read from the Parquet exports, as a BI tool would),
# `marts.mart_customer_360` and `marts.mart_vip_tier` of the published warehouse.
#
# Since issue 18 a state rule (dormant, overdue, churn warnings) records the state it finds on the
# first date it is evaluated as the **opening state** (`is_baseline = true`): the accounts already
# dormant when the warehouse starts are not alerts of that day. The charts of firings leave those
# rows out; the dormant-account section keeps them (they are dormant accounts all the same).

# %%
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import polars as pl
from IPython.display import display

from marts import analyst

CHURN_RULES = ["AUM_DROP", "OUTFLOW_OTHER_BANK"]  # the two churn warnings of the alert seed
TOP_DORMANT = 15  # customers listed in the dormant-account chart
PANELS_PER_ROW = 3
MILLION, THOUSAND = 1e6, 1e3

con = analyst.published()
try:
    alerts = analyst.export("mart_alerts")
except FileNotFoundError:  # no alert has fired: an empty mart exports no file
    alerts = analyst.query(con, "select * from marts.mart_alerts")  # its columns, no row
alerts = alerts.with_columns(pl.col("as_of_date").dt.truncate("1w").alias("week"))  # from Mondays
opening = alerts.filter(pl.col("is_baseline"))  # the state found when a rule first looked
alerts = alerts.filter(~pl.col("is_baseline"))  # firings: something new happened that day
NO_ALERTS = "No alert has fired in the published window: nothing to show."
window = analyst.query(con, "select min_date, max_date from meta.published").row(0, named=True)
print(
    f"{alerts.height:,} alert firings from {alerts['as_of_date'].min()} "
    f"to {alerts['as_of_date'].max()} "
    f"(published window {window['min_date']} .. {window['max_date']}); "
    f"{opening.height:,} rows of opening state, not counted as firings."
)

# %% [markdown]
# ## 1. Alerts per rule over time
#
# Weekly firings of each rule, one panel per rule with its own scale (rules differ by orders of
# magnitude). State rules that look back over a window (e.g. `AUM_DROP`: the last 30 days against the
# 90 days before) can only fire once the warehouse holds that much history. The opening state is not
# in these panels (before issue 18 the first day showed every account already dormant as a firing).
# The rules added by issue 18: `FIVE_CLASS_DOWN` and `LOAN_OVERDUE` (credit risk, on loans) and
# `KPI_DROP` (a manager's total score dropped, or fee income behind time progress after the 20th).

# %%
if alerts.height:
    weekly = alerts.group_by("rule_id", "week").len("firings").sort("rule_id", "week")
    rules = weekly["rule_id"].unique().sort().to_list()
    rows = -(-len(rules) // PANELS_PER_ROW)
    cols = min(len(rules), PANELS_PER_ROW)

    fig, axes = plt.subplots(rows, cols, figsize=(4.5 * cols, 3.2 * rows), squeeze=False, sharex=True)
    for ax, rule in zip(axes.flat, rules):
        part = weekly.filter(pl.col("rule_id") == rule)
        ax.bar(part["week"].to_list(), part["firings"].to_list(), width=5, color="tab:blue")
        ax.set_title(rule)
        ax.set_ylabel("firings per week")
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d"))
        ax.tick_params(axis="x", labelrotation=45)
    for ax in list(axes.flat)[len(rules) :]:
        ax.remove()
    fig.suptitle("Weekly alert firings per rule (week starting Monday)")
    fig.tight_layout()
    plt.close(fig)
    display(analyst.drawn(fig))
else:
    print(NO_ALERTS)

# %%
if alerts.height:
    per_rule = (
        alerts.group_by("rule_id", "severity", "entity_type")
        .agg(
            pl.len().alias("firings"),
            pl.col("entity_id").n_unique().alias("distinct_entities"),
            pl.col("as_of_date").min().alias("first_fired"),
            pl.col("as_of_date").max().alias("last_fired"),
            pl.col("week").n_unique().alias("weeks_with_firings"),
        )
        .sort("firings", descending=True)
    )
    busiest = per_rule.row(0, named=True)
    print(
        f"Most frequent rule: {busiest['rule_id']} ({busiest['firings']} firings on "
        f"{busiest['distinct_entities']} {busiest['entity_type']}s)."
    )
    for rule, n in opening.group_by("rule_id").len().sort("len", descending=True).iter_rows():
        print(f"  {rule}: {n} entities already in the state when the rule first looked (opening state).")
    late = per_rule.filter(pl.col("first_fired") > window["min_date"]).sort("first_fired")
    for rule, first in late.select("rule_id", "first_fired").iter_rows():
        print(
            f"  {rule} first fired on {first}, {(first - window['min_date']).days} days into the window."
        )
    display(per_rule)
else:
    print(NO_ALERTS)

# %% [markdown]
# ## 2. Customers moving money out
#
# A customer is flagged by `OUTFLOW_OTHER_BANK` (transfers to other banks over 30 days reach a large
# share of its 90-day AUM) or `AUM_DROP` (its 30-day AUM fell well below the 90 days before). For each
# flagged customer we take its latest firing of each rule: the AUM the rule compared with (a 90-day
# average daily AUM) and the AUM it still holds today (`mart_customer_360`), grouped by its VIP tier
# (corporate customers have no tier).

# %%
churn = (
    alerts.filter(pl.col("rule_id").is_in(CHURN_RULES) & (pl.col("entity_type") == "customer"))
    .sort("as_of_date")
    # a customer alert's party_id is its entity_id
    .group_by("party_id", "rule_id")
    .agg(pl.all().last())
)
customers = analyst.query(
    con,
    """
    select party_id, party_kind, tier, aum_balance, is_churn_risk, is_dormant_high_value
    from marts.mart_customer_360""",
)
# tiers in their ladder order (mass first), from the tier mart itself
tier_order = analyst.query(
    con,
    """
    select tier, min(tier_rank) as tier_rank from marts.mart_vip_tier group by tier order by 2""",
)
groups = [*tier_order["tier"].to_list(), "personal, no tier", "corporate"]


def tier_group(frame: pl.DataFrame) -> pl.DataFrame:
    """The customer's VIP tier; corporate customers and personal ones without a tier apart."""
    return frame.with_columns(
        pl.when(pl.col("party_kind") == "corporate")
        .then(pl.lit("corporate"))
        .otherwise(pl.col("tier").fill_null("personal, no tier"))
        .alias("group")
    )


churn = tier_group(churn.join(customers, on="party_id", how="left"))
# a customer flagged by both rules counts once for the AUM at stake
by_party = churn.group_by("party_id", "group").agg(
    pl.col("base_amount_cny").max().alias("aum_90d_avg"),
    pl.col("aum_balance").first().alias("aum_now"),
    pl.col("metric_amount_cny")
    .filter(pl.col("rule_id") == "OUTFLOW_OTHER_BANK")
    .max()
    .alias("outflow_30d"),
)
# every customer of the 360 view, so that each tier shows its whole AUM, flagged or not
exposure = (
    tier_group(customers)
    .join(by_party.select("party_id", pl.lit(True).alias("flagged")), on="party_id", how="left")
    .with_columns(pl.col("flagged").fill_null(False))
    .group_by("group")
    .agg(
        pl.len().alias("customers"),
        pl.col("flagged").sum().alias("flagged_customers"),
        (pl.col("aum_balance").sum() / MILLION).alias("aum_m"),
        (pl.col("aum_balance").filter(pl.col("flagged")).sum() / MILLION).alias("flagged_aum_m"),
    )
)
present = [g for g in groups if g in set(exposure["group"])]
exposure = pl.DataFrame({"group": present}).join(exposure, on="group", how="left")
print(
    f"{by_party.height} customers flagged; {by_party['aum_now'].sum() / MILLION:,.1f} M CNY "
    f"of AUM still held by them ({by_party['aum_now'].sum() / MILLION / exposure['aum_m'].sum():.1%} "
    f"of all AUM), against {by_party['aum_90d_avg'].sum() / MILLION:,.1f} M CNY "
    "of 90-day average at the alerts."
)

# %%
share = (exposure["flagged_aum_m"] / exposure["aum_m"] * 100).fill_nan(0).fill_null(0).to_numpy()
fig, ax = plt.subplots(figsize=(10, 0.5 * len(present) + 2))
ax.barh(present, share, color="tab:red", label="held by customers with a churn warning")
ax.barh(present, 100 - share, left=share, color="lightgrey", label="held by the other customers")
for y, (n, total, flagged_m, aum_m) in enumerate(
    exposure.select("flagged_customers", "customers", "flagged_aum_m", "aum_m").iter_rows()
):
    ax.text(
        101,
        y,
        f"{n} of {total:,} customers, {flagged_m:,.1f} of {aum_m:,.1f} M CNY",
        va="center",
        fontsize=8,
    )
ax.invert_yaxis()
ax.set_xlim(0, 160)
ax.set_xticks(range(0, 101, 20))
ax.set_xlabel("% of the tier's AUM balance today")
ax.set_title("AUM at stake: share of each tier's AUM held by customers with a churn warning")
ax.legend(loc="upper center", bbox_to_anchor=(0.3, -0.12), ncols=2, fontsize=8, frameon=False)
fig.tight_layout()
plt.close(fig)
analyst.drawn(fig)

# %% [markdown]
# For the flagged customers only, per tier: how many each rule caught, the 90-day average AUM the rule
# compared with, what they still hold today, and what left to other banks (latest 30-day sum of
# `OUTFLOW_OTHER_BANK`).

# %%
per_rule_counts = churn.group_by("group").agg(
    *[(pl.col("rule_id") == rule).sum().alias(f"flagged_{rule}") for rule in CHURN_RULES]
)
at_stake = (
    by_party.group_by("group")
    .agg(
        pl.len().alias("customers"),
        (pl.col("aum_90d_avg").sum() / MILLION).alias("aum_90d_avg_m"),
        (pl.col("aum_now").sum() / MILLION).alias("aum_now_m"),
        (pl.col("outflow_30d").sum() / MILLION).alias("outflow_to_other_banks_m"),
    )
    .join(per_rule_counts, on="group", how="left")
    .with_columns((1 - pl.col("aum_now_m") / pl.col("aum_90d_avg_m")).alias("share_of_aum_gone"))
    .sort(pl.col("group").replace_strict(groups, list(range(len(groups))), default=len(groups)))
)
if at_stake.height == 0:  # the rules compare 30 days with the 90 before: a short history fires none
    print(f"No churn warning fired between {window['min_date']} and {window['max_date']}.")
at_stake.with_columns(pl.selectors.float().round(2))

# %% [markdown]
# ## 3. Dormant accounts of valuable customers
#
# `DORMANT` fires on an account with money in it and no customer-initiated transaction for a long time
# (365 days by default). Such an account matters most when its holder is otherwise valuable: the 360
# view tags those holders `dormant_high_value`. Below, the holders of dormant accounts with the most AUM
# today: a call to them may revive the account or prevent a quiet exit. The accounts already dormant
# when the warehouse started (opening state) are dormant accounts too: they are counted here.

# %%
dormant_rows = pl.concat([alerts.drop("week"), opening.drop("week")], how="vertical_relaxed").filter(
    pl.col("rule_id") == "DORMANT"
)
dormant = dormant_rows.group_by("party_id").agg(
    pl.len().alias("dormant_accounts"), pl.col("metric_amount_cny").sum().alias("dormant_balance")
)
holders = (
    dormant.join(customers, on="party_id", how="left")
    .with_columns(
        pl.col("tier").fill_null(pl.col("party_kind")).fill_null("unknown"),
        pl.col("is_churn_risk", "is_dormant_high_value").fill_null(False),
    )
    .sort("aum_balance", descending=True, nulls_last=True)
)
tagged = analyst.query(
    con,
    """
    select count(*) as customers, coalesce(sum(aum_balance), 0) as aum
    from marts.mart_customer_360 where is_dormant_high_value""",
).row(0, named=True)
print(
    f"{dormant_rows.filter(~pl.col('is_baseline')).height} DORMANT firings and "
    f"{dormant_rows.filter(pl.col('is_baseline')).height} accounts dormant from the start, of "
    f"{holders.height} customers, {holders['dormant_balance'].sum() / THOUSAND:,.1f} thousand CNY "
    "in those accounts."
)
print(
    f"Tagged dormant_high_value in the 360 view: {tagged['customers']} customers holding "
    f"{tagged['aum'] / MILLION:,.2f} M CNY of AUM."
)

# %%
if holders.height:
    top = holders.head(TOP_DORMANT).with_columns(pl.col("aum_balance").fill_null(0))
    tiers_here = top["tier"].unique(maintain_order=True).to_list()
    colours = {t: plt.colormaps["tab10"](i % 10) for i, t in enumerate(tiers_here)}
    labels = [f"{p} ({t})" for p, t in top.select("party_id", "tier").iter_rows()]

    fig, ax = plt.subplots(figsize=(10, 0.4 * top.height + 2))
    ax.barh(labels, top["aum_balance"] / THOUSAND, color=[colours[t] for t in top["tier"]])
    flags = top.select("aum_balance", "dormant_balance", "is_dormant_high_value", "is_churn_risk")
    for y, (aum, dormant_balance, high_value, churn_flag) in enumerate(flags.iter_rows()):
        note = (
            f" dormant {dormant_balance / THOUSAND:,.1f}k"
            + (", tagged high-value" if high_value else "")
            + (", churn risk" if churn_flag else "")
        )
        ax.text(aum / THOUSAND, y, note, va="center", fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("AUM balance today (CNY thousands); label: balance left in the dormant account(s)")
    ax.set_title(f"Top {top.height} holders of dormant accounts by AUM today")
    ax.legend(
        handles=[plt.Rectangle((0, 0), 1, 1, color=c) for c in colours.values()],
        labels=list(colours),
        title="tier",
        loc="lower right",
    )
    ax.margins(x=0.2)
    fig.tight_layout()
    plt.close(fig)
    display(analyst.drawn(fig))
else:
    print("No account has gone dormant (no DORMANT alert): no holder to show.")

# %%
# Holders of dormant accounts per tier: how many, how much AUM they hold, how many the 360 view tags.
(
    holders.group_by("tier")
    .agg(
        pl.len().alias("customers"),
        pl.col("is_dormant_high_value").sum().alias("tagged_dormant_high_value"),
        (pl.col("dormant_balance").sum() / THOUSAND).round(1).alias("dormant_balance_k"),
        (pl.col("aum_balance").sum() / MILLION).round(2).alias("aum_m"),
    )
    .sort("aum_m", descending=True)
)
