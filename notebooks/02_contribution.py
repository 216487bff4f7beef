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
# # Customer contribution: who brings the profit, and what it is made of
#
# How much of last month's customer contribution comes from the top 1%, 5% and 20% of customers,
# and how do interest income, fees, operating cost and risk cost add up to it for personal and
# corporate customers and for the holders of each product? Do the contribution scoring models
# rank customers the way their actual contribution does?
#
# Data: `marts.mart_customer_contribution` (read from its Parquet export, as a BI tool would),
# `marts.mart_contribution_score` and the products held in `marts.mart_customer_360`.

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import polars as pl

from marts import analyst

TOP_SHARES = [0.01, 0.05, 0.20]  # the top slices of customers marked on the Pareto curve
COMPONENTS = ["nii", "fee_income", "operating_cost", "risk_cost"]
COSTS = ["operating_cost", "risk_cost"]  # subtracted: contribution = nii + fee - costs
COMPONENT_LABELS = {
    "nii": "net interest income",
    "fee_income": "fee income",
    "operating_cost": "operating cost",
    "risk_cost": "risk cost",
}
COMPONENT_COLOURS = {
    "nii": "#2b7bba",
    "fee_income": "#2ca02c",
    "operating_cost": "#ff9f1c",
    "risk_cost": "#d62728",
}
SEGMENTS = ["personal", "corporate"]
MODEL_COLOURS = ["#2b7bba", "#d62728", "#2ca02c", "#6a3d9a", "#ff9f1c"]
SCATTER_LINEAR_CNY = 100  # the score scatter is linear within +-100 CNY, logarithmic beyond
THOUSAND, MILLION = 1e3, 1e6

pl.Config.set_tbl_hide_dataframe_shape(True)
pl.Config.set_tbl_width_chars(160)
con = analyst.published()


def cny_label(value: float) -> str:
    """Axis tick text for CNY amounts: 100, 1k, 10k, 1m, ..."""
    for scale, suffix in ((MILLION, "m"), (THOUSAND, "k")):
        if abs(value) >= scale:
            return f"{value / scale:,.0f}{suffix}"
    return f"{value:,.0f}"


def stack_components(ax, x, rows: pl.DataFrame, scale: float) -> None:
    """What adds to contribution stacked above zero (income; a negative risk cost, a release
    of provisions), what takes from it below (costs; negative income), one bar per row."""
    up, down = np.zeros(rows.height), np.zeros(rows.height)
    for component in COMPONENTS:
        signed = rows[component].to_numpy() / scale * (-1 if component in COSTS else 1)
        above, below = np.clip(signed, 0, None), np.clip(signed, None, 0)
        colour = COMPONENT_COLOURS[component]
        ax.bar(x, above, bottom=up, color=colour, label=COMPONENT_LABELS[component])
        ax.bar(x, below, bottom=down, color=colour)
        up += above
        down += below


# the latest finished month (the current month is month to date and not comparable)
latest = analyst.query(
    con,
    """
    select coalesce(max(period) filter (where is_finished), max(period)) as period
    from marts.mart_customer_contribution
""",
)["period"][0]
print(f"Latest finished month: {latest}")

# %% [markdown]
# ## 1. Concentration: how few customers bring the contribution
#
# Customers sorted from the largest contribution down; the curve is the running share of the
# month's total. Customers with a negative contribution (costs above income) sit at the right
# end: they pull the curve back down, so the curve can rise above 100% before ending there. In a
# month where losses outweigh profits the net total is negative and shares of it mean nothing;
# the curve is then drawn against the total of the profitable customers, as its axis says.

# %%
contrib = analyst.export("mart_customer_contribution").filter(pl.col("period") == latest)
total = contrib["contribution"].sum()
positive_total = contrib.filter(pl.col("contribution") > 0)["contribution"].sum()
basis, basis_label = (
    (total, "the month's total contribution")
    if total > 0
    else (positive_total, "the profitable customers' contribution")
)
ranked = contrib.sort("contribution", descending=True).with_columns(
    cum_share=pl.col("contribution").cum_sum() / basis,
    customer_share=pl.int_range(1, pl.len() + 1) / pl.len(),
)

top_rows = []
for share in TOP_SHARES:
    n = max(1, math.ceil(share * ranked.height))  # at least one customer on small books
    top = ranked.head(n)
    top_rows.append(
        {
            "top": f"{share:.0%}",
            "customers": n,
            "corporate": int((top["segment"] == "corporate").sum()),
            "contribution_cny_m": round(top["contribution"].sum() / MILLION, 3),
            "share_pct": round(top["contribution"].sum() / basis * 100, 1),
        }
    )
top_table = pl.DataFrame(top_rows)
print(
    f"{latest}: {ranked.height:,} customers, total contribution {total / MILLION:,.3f} m CNY; "
    f"shares below are of {basis_label}."
)
print(top_table)
negative = ranked.filter(pl.col("contribution") < 0)
print(
    f"{negative.height:,} customers ({negative.height / ranked.height:.1%}) had a negative "
    f"contribution, together {negative['contribution'].sum() / MILLION:,.3f} m CNY; the curve "
    f"peaks at {ranked['cum_share'].max():.0%} before they pull it back."
)

# %%
fig, ax = plt.subplots(figsize=(9, 5.5))
x = np.concatenate([[0.0], ranked["customer_share"].to_numpy() * 100])
y = np.concatenate([[0.0], ranked["cum_share"].to_numpy() * 100])
ax.plot(x, y, color="#2b7bba", linewidth=2, label="cumulative share of contribution")
ax.plot([0, 100], [0, 100], color="#7f7f7f", linestyle=":", label="every customer contributing equally")
ax.axhline(100, color="black", linewidth=0.8)
for row in top_rows:
    px = row["customers"] / ranked.height * 100
    py = row["share_pct"]
    ax.plot(px, py, "o", color="#d62728", markersize=7)
    ax.annotate(
        f"top {row['top']}: {py:.0f}%",
        (px, py),
        textcoords="offset points",
        xytext=(10, -14),
        fontsize=10,
        color="#d62728",
    )
ax.set_xlim(0, 100)
# a month with large losses ends far below zero: keep the profitable part of the curve readable
ax.set_ylim(max(y.min(), -25) - 5, max(y.max(), 100) + 8)
ax.set_xlabel("share of customers, largest contribution first (%)")
ax.set_ylabel(f"share of {basis_label} (%)")
ax.set_title(f"Pareto curve of customer contribution, {latest}")
ax.legend(loc="lower right")
fig.tight_layout()
plt.close(fig)
analyst.drawn(fig)

# %% [markdown]
# ## 2. What contribution is made of, personal against corporate
#
# Contribution = net interest income + fee income − operating cost − risk cost, a marginal
# contribution 边际贡献 (no overhead allocation or capital charge). What adds to it is drawn
# above zero and what takes from it below, month by month (finished months only); the black line
# is the resulting contribution.
#
# Two parts changed meaning (issue 18; docs/contribution.md):
# - **Risk cost** is now the change of the required provision 拨备 over the month (balance ×
#   rate of the loan's five-level class, cards 2%), not a yearly rate charged on every day's
#   balance. A month with downgrades costs their whole provision at once; a month in which
#   loans are repaid, closed or upgraded releases provision: risk cost is then negative and its
#   bar stands above zero. The first loaded month starts from the provision already held.
# - **Card NII** is interest only on revolving balances (a statement not paid in full by its
#   due date) and on cash advances, against FTP on the whole balance: a customer who pays in
#   full (most card holders) earns the bank no interest, so card NII can be negative.
#   Non-accrual loans (class 3–5) earn no interest either, and time deposits and loans keep the
#   FTP rate of their open date. Months closed before this change keep the figures computed
#   under the old rules until someone restates them.

# %%
by_month = analyst.query(
    con,
    """
    select period, segment,
           sum(nii) as nii, sum(fee_income) as fee_income,
           sum(operating_cost) as operating_cost, sum(risk_cost) as risk_cost,
           sum(contribution) as contribution, count(*) as customers
    from marts.mart_customer_contribution
    where is_finished or period = ?
    group by period, segment
    order by period
""",
    [latest],
)
print(
    by_month.filter(pl.col("period") == latest)
    .with_columns([(pl.col(c) / MILLION).round(3) for c in [*COMPONENTS, "contribution"]])
    .select("segment", "customers", *COMPONENTS, "contribution")
    .rename({c: f"{c}_cny_m" for c in [*COMPONENTS, "contribution"]})
)

segments = [s for s in SEGMENTS if s in set(by_month["segment"])]
for segment in segments:
    rows = by_month.filter(pl.col("segment") == segment).sort("period")
    last = rows.row(-1, named=True)
    income = (last["nii"] + last["fee_income"]) or float("nan")  # shares of income, if any
    first = rows.row(0, named=True)
    print(
        f"{segment} ({last['period']}): fees are {last['fee_income'] / income:.0%} of income; "
        f"risk cost takes {last['risk_cost'] / income:.0%} and operating cost "
        f"{last['operating_cost'] / income:.0%} of it; contribution per customer "
        f"{last['contribution'] / last['customers']:,.0f} CNY."
    )
    if rows.height > 1:
        print(
            f"    since {first['period']}: contribution {first['contribution'] / MILLION:,.3f} m -> "
            f"{last['contribution'] / MILLION:,.3f} m CNY, risk cost "
            f"{first['risk_cost'] / MILLION:,.3f} m -> {last['risk_cost'] / MILLION:,.3f} m CNY."
        )

# %%
fig, axes = plt.subplots(1, len(segments), figsize=(6.5 * len(segments), 4.8), squeeze=False)
for ax, segment in zip(axes[0], segments):
    rows = by_month.filter(pl.col("segment") == segment).sort("period")
    x = np.arange(rows.height)
    stack_components(ax, x, rows, MILLION)
    ax.plot(x, rows["contribution"].to_numpy() / MILLION, "k-o", label="contribution")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(x, rows["period"].to_list())
    ax.set_xlabel("month (YYYYMM)")
    ax.set_ylabel("CNY millions (costs below zero)")
    ax.set_title(f"{segment.capitalize()} customers")
axes[0][-1].legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
fig.suptitle("Contribution by component and segment")
fig.tight_layout()
plt.close(fig)
analyst.drawn(fig)

# %% [markdown]
# ## 3. Contribution by product held
#
# No mart publishes contribution per product (it is computed per account but published per
# customer), so this splits customers by the product categories they hold
# (`mart_customer_360.product_categories`, the open accounts on its latest date) and shows the
# average contribution of the holders of each category in the latest finished month. A customer
# holding several categories counts in each, so the groups overlap and do not add up to the total.

# %%
holdings = analyst.query(
    con,
    """
    select party_id, coalesce(product_categories, '(none)') as product_categories
    from marts.mart_customer_360
""",
)
by_product = (
    contrib.join(holdings, on="party_id", how="left")
    .with_columns(category=pl.col("product_categories").fill_null("(none)").str.split(","))
    .explode("category")
    .group_by("segment", "category")
    .agg(
        holders=pl.len(),
        total_contribution=pl.col("contribution").sum(),
        **{c: pl.col(c).mean() for c in [*COMPONENTS, "contribution"]},
    )
    .sort("segment", "total_contribution", descending=[False, True])
)
print(
    by_product.select(
        "segment",
        "category",
        "holders",
        holders_contribution_cny_m=(pl.col("total_contribution") / MILLION).round(3),
        avg_contribution_cny_k=(pl.col("contribution") / THOUSAND).round(2),
    )
)

# %%
product_segments = [s for s in SEGMENTS if s in set(by_product["segment"])]
fig, axes = plt.subplots(
    1, len(product_segments), figsize=(6.5 * len(product_segments), 4.8), squeeze=False
)
for ax, segment in zip(axes[0], product_segments):
    rows = by_product.filter(pl.col("segment") == segment)
    x = np.arange(rows.height)
    stack_components(ax, x, rows, THOUSAND)
    ax.plot(x, rows["contribution"].to_numpy() / THOUSAND, "kD", label="average contribution")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(x, [f"{c}\n(n={n:,})" for c, n in zip(rows["category"], rows["holders"])])
    ax.set_xlabel("product category held")
    ax.set_ylabel("CNY thousands per customer (costs below zero)")
    ax.set_title(f"{segment.capitalize()} customers")
axes[0][-1].legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
fig.suptitle(f"Average monthly contribution of the holders of each product category, {latest}")
fig.tight_layout()
plt.close(fig)
analyst.drawn(fig)

# %% [markdown]
# ## 4. Scoring models against actual contribution
#
# Each model ranks customers within their segment (percentile ranks 0-100 of its factors,
# weighted). Left to right: one model per column; the top row shows how its scores spread, the
# bottom row how they line up with the month's contribution. A model that follows contribution
# shows a rising cloud and a rank correlation near 1. The rank correlation measures agreement on
# the whole ordering; the overlap of the two top deciles says whether the model picks the same
# best customers. A model with a second factor (fees, AUM, products held) can agree on the order
# and still pick different top customers: in the scatter its cloud splits into bands.

# %%
scores = analyst.query(
    con,
    """
    select party_id, model_id, segment, score
    from marts.mart_contribution_score
    where period = ?
""",
    [latest],
).join(contrib.select("party_id", "contribution"), on="party_id", how="inner")
# personal models first, then corporate
models = (
    scores.select("segment", "model_id").unique().sort("segment", "model_id", descending=[True, False])
)
model_table = (
    scores.group_by("segment", "model_id")
    .agg(
        customers=pl.len(),
        mean_score=pl.col("score").mean().round(1),
        rank_correlation=pl.corr("score", "contribution", method="spearman").round(2),
    )
    .join(models.with_row_index("order"), on=["segment", "model_id"])
    .sort("order")
    .drop("order")
)
print(model_table)

for row in model_table.sort("rank_correlation", descending=True, nulls_last=True).iter_rows(named=True):
    top_decile = scores.filter(pl.col("model_id") == row["model_id"]).with_columns(
        top_score=pl.col("score") >= pl.col("score").quantile(0.9),
        top_contribution=pl.col("contribution") >= pl.col("contribution").quantile(0.9),
    )
    overlap = top_decile.filter(pl.col("top_contribution"))["top_score"].mean()
    print(
        f"{row['model_id']} ({row['segment']}): rank correlation with contribution "
        f"{row['rank_correlation']}; of the top 10% by contribution, {overlap:.0%} are also in its "
        "top 10% by score."
    )

# %%
n_models = models.height
fig, axes = plt.subplots(2, n_models, figsize=(4.6 * n_models, 8), squeeze=False)
bins = np.linspace(0, 100, 21)
for j, (segment, model_id) in enumerate(models.iter_rows()):
    rows = scores.filter(pl.col("model_id") == model_id)
    colour = MODEL_COLOURS[j % len(MODEL_COLOURS)]
    ax_h, ax_s = axes[0][j], axes[1][j]
    ax_h.hist(rows["score"].to_numpy(), bins=bins, color=colour)
    ax_h.set_title(f"{model_id} ({segment}, n={rows.height:,})")
    ax_h.set_xlabel("score (0-100)")
    ax_h.set_ylabel("customers")
    ax_s.scatter(
        rows["contribution"].to_numpy(), rows["score"].to_numpy(), s=6, alpha=0.35, color=colour
    )
    ax_s.set_xscale("symlog", linthresh=SCATTER_LINEAR_CNY)
    # readable ticks at powers of ten (symlog's own labels collide around zero)
    lo, hi = rows["contribution"].min(), rows["contribution"].max()
    ticks = [
        t
        for t in [-(10**k) for k in range(8, 1, -1)] + [0] + [10**k for k in range(2, 9)]
        if lo <= t <= hi or t == 0
    ]
    ax_s.set_xticks(ticks, [cny_label(t) for t in ticks], rotation=45)
    ax_s.axvline(0, color="black", linewidth=0.8)
    ax_s.set_xlabel(f"contribution {latest}, CNY (symmetric log scale)")
    ax_s.set_ylabel("score (0-100)")
    ax_s.set_ylim(0, 100)
fig.suptitle(
    f"Contribution scores per model, {latest}: distribution (top) and against contribution (bottom)"
)
fig.tight_layout()
plt.close(fig)
analyst.drawn(fig)
