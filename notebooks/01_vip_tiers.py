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
# # VIP tiers: who holds the bank's AUM, and who is moving between tiers
#
# How many personal customers sit in each VIP tier (gold, platinum, diamond, private) and how much
# AUM they bring, month by month, and which customers moved up, down or onto the watch list last
# month? Which outlets hold the VIP book, and which customers are close enough to the next tier
# to be worth a call this month?
#
# Data: `marts.mart_vip_tier` (one row per personal customer and finished month) and
# `marts.mart_vip_daily` (the latest loaded date) of the published warehouse, plus the Parquet
# export of `mart_vip_tier` read the way a BI tool reads it.

# %%
import matplotlib.pyplot as plt
import numpy as np
import polars as pl
from IPython.display import display
from matplotlib.colors import LogNorm

from marts import analyst

# Tier ladder of the seed vip_tiers (seeds are not published): lowest first.
TIERS = ["mass", "gold", "platinum", "diamond", "private"]
VIP_TIERS = TIERS[1:]  # gold and above; mass is not a VIP tier
STATUSES = ["new", "up", "same", "watch", "down"]
TIER_COLOURS = {
    "mass": "#b0b0b0",
    "gold": "#d4a017",
    "platinum": "#7f8c9d",
    "diamond": "#2b7bba",
    "private": "#6a3d9a",
}
STATUS_COLOURS = {
    "new": "#4c72b0",
    "up": "#2ca02c",
    "same": "#c7c7c7",
    "watch": "#ff9f1c",
    "down": "#d62728",
}
TOP_ORGS = 10  # outlets shown in the home-organisation chart
TOP_CANDIDATES = 10  # upgrade candidates listed by name (party id)
PROGRESS_MAX = 1.5  # progress to the next tier's line is shown up to 150%
PROGRESS_BIN = 0.05
MILLION = 1e6

pl.Config.set_tbl_hide_dataframe_shape(True)
pl.Config.set_tbl_width_chars(160)
pl.Config.set_fmt_str_lengths(40)
con = analyst.published()
tier_rank = pl.DataFrame({"tier": TIERS, "tier_order": list(range(len(TIERS)))})
# The finished months of the tier history: none until the first month of the history ends
# (a bank's first days, a history that starts mid-month); sections 1-4 need one.
periods = analyst.query(con, "select distinct period from marts.mart_vip_tier order by period")
periods = periods["period"].to_list()
NO_MONTH = "No month has finished yet (mart_vip_tier is empty): no tier held to show."

# %% [markdown]
# ## 1. Customers and AUM per tier, month by month
#
# A tier is decided on the month's average daily AUM; a customer keeps the tier while on watch
# (quick up, slow down), so `tier` below is the tier the bank serves the customer at.

# %%
if periods:
    monthly = (
        analyst.query(
            con,
            """
        select period, tier, count(*) as customers, sum(adb_aum) as aum
        from marts.mart_vip_tier
        group by period, tier
    """,
        )
        .join(tier_rank, on="tier", how="left")
        .sort("period", "tier_order")
    )

    periods = sorted(monthly["period"].unique().to_list())
    latest = periods[-1]
    previous = periods[-2] if len(periods) > 1 else None
    tiers_present = [t for t in TIERS if t in set(monthly["tier"])]

    customers_table = monthly.pivot(on="tier", index="period", values="customers").fill_null(0)
    print("Customers per tier held:")
    print(customers_table.select("period", *tiers_present))

    latest_rows = monthly.filter(pl.col("period") == latest)
    vip_latest = latest_rows.filter(pl.col("tier").is_in(VIP_TIERS))
    vip_customers, vip_aum = vip_latest["customers"].sum(), vip_latest["aum"].sum()
    vip_customer_share = vip_customers / latest_rows["customers"].sum()
    vip_aum_share = vip_aum / latest_rows["aum"].sum()
    print(
        f"\n{latest}: {vip_customers:,} VIP customers ({vip_customer_share:.1%} of personal customers) "
        f"hold {vip_aum / MILLION:,.1f} m CNY, {vip_aum_share:.1%} of personal AUM."
    )
    if previous:
        first = monthly.filter(pl.col("period") == periods[0])
        first_vip = first.filter(pl.col("tier").is_in(VIP_TIERS))["customers"].sum()
        print(
            f"Since {periods[0]}: VIP customers {first_vip:,} -> {vip_customers:,}, personal AUM "
            f"{first['aum'].sum() / MILLION:,.1f} m -> {latest_rows['aum'].sum() / MILLION:,.1f} m CNY."
        )

    fig, (ax_n, ax_aum) = plt.subplots(1, 2, figsize=(13, 4.8))
    x = np.arange(len(periods))
    bottom = np.zeros(len(periods))
    for tier in tiers_present:
        rows = (
            pl.DataFrame({"period": periods})
            .join(monthly.filter(pl.col("tier") == tier), on="period", how="left")
            .fill_null(0)
        )
        counts = rows["customers"].to_numpy().astype(float)
        # log scale: mass counts thousands, private a handful; a month without the tier shows no point
        ax_n.plot(
            x, np.where(counts > 0, counts, np.nan), marker="o", color=TIER_COLOURS[tier], label=tier
        )
        aum = rows["aum"].to_numpy() / MILLION
        ax_aum.bar(x, aum, bottom=bottom, color=TIER_COLOURS[tier], label=tier)
        bottom += aum
    ax_n.set_yscale("log")
    ax_n.set_title("Customers per tier held")
    ax_n.set_ylabel("customers (log scale)")
    ax_aum.set_title("AUM per tier held (month's average daily AUM)")
    ax_aum.set_ylabel("AUM, CNY millions")
    for ax in (ax_n, ax_aum):
        ax.set_xticks(x, periods)
        ax.set_xlabel("month (YYYYMM)")
    ax_aum.legend(title="tier", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.suptitle(
        f"VIP customers, {vip_customer_share:.0%} of personal customers, hold {vip_aum_share:.0%} "
        f"of personal AUM ({latest})"
    )
    fig.tight_layout()
    plt.close(fig)
    display(analyst.drawn(fig))
else:
    print(NO_MONTH)

# %% [markdown]
# The left panel counts customers, the right panel weighs them by AUM: compare a tier's place in
# the two to see how concentrated personal wealth is in the top tiers.
#
# ## 2. Tier migration in the latest finished month
#
# Each customer's tier at the end of the month before (`previous_tier`, or *(new)* for a
# customer whose AUM history starts this month) against the tier held now. The diagonal mixes
# `same` and `watch`: a customer on watch has AUM below the tier's line but keeps the tier until
# it has been lower for the tier's number of consecutive months. Since issue 18 a `down` goes to the
# highest raw tier of those months (`watch_highest_raw_rank`), not to the last month's: an AUM
# hovering around a line steps down one tier, so fewer customers drop two tiers at once.

# %%
if periods:
    moves = analyst.query(
        con,
        """
        select coalesce(previous_tier, '(new)') as from_tier, tier as to_tier, tier_status,
               count(*) as customers, sum(adb_aum) as aum
        from marts.mart_vip_tier
        where period = ?
        group by all
    """,
        [latest],
    )

    from_labels = ["(new)", *TIERS]
    matrix = np.zeros((len(from_labels), len(TIERS)))
    for row in (
        moves.group_by("from_tier", "to_tier").agg(pl.col("customers").sum()).iter_rows(named=True)
    ):
        matrix[from_labels.index(row["from_tier"]), TIERS.index(row["to_tier"])] += row["customers"]

    status_by_tier = (
        moves.group_by("to_tier", "tier_status")
        .agg(pl.col("customers").sum())
        .pivot(on="tier_status", index="to_tier", values="customers")
        .fill_null(0)
    )
    missing = [s for s in STATUSES if s not in status_by_tier.columns]  # statuses absent this month
    status_by_tier = status_by_tier.with_columns([pl.lit(0).alias(s) for s in missing])
    status_by_tier = (
        status_by_tier.join(tier_rank, left_on="to_tier", right_on="tier")
        .sort("tier_order")
        .select("to_tier", *STATUSES)
    )
    print(f"Tier held at the end of {latest}, by status:")
    print(status_by_tier)

    by_status = {
        s: (n, aum)
        for s, n, aum in moves.group_by("tier_status")
        .agg(pl.col("customers").sum(), pl.col("aum").sum())
        .iter_rows()
    }
    was_vip, is_vip = pl.col("from_tier").is_in(VIP_TIERS), pl.col("to_tier").is_in(VIP_TIERS)
    entered = moves.filter(~was_vip & is_vip)["customers"].sum()
    left_vip = moves.filter(was_vip & ~is_vip)["customers"].sum()
    up, down, watch, new = (by_status.get(s, (0, 0.0)) for s in ("up", "down", "watch", "new"))
    if previous is None:
        print(
            f"{latest} is the first month of the tier history: all {new[0]:,} customers are new, "
            "nobody can move yet."
        )
    else:
        print(
            f"{latest}: {up[0]:,} customers moved up, {down[0]:,} moved down and {new[0]:,} are new; "
            f"{entered:,} entered a VIP tier and {left_vip:,} left one (net {entered - left_vip:+,})."
        )
    if watch[0]:
        print(
            f"{watch[0]:,} customers are on watch: their AUM ({watch[1] / MILLION:,.1f} m CNY this "
            "month) is below their tier's line while they keep the tier, which makes them the retention "
            "call list."
        )
    else:
        print("Nobody is on watch this month: no customer's AUM fell below the line of the tier held.")
else:
    print(NO_MONTH)

# %%
if periods:
    fig, (ax_m, ax_s) = plt.subplots(1, 2, figsize=(14, 5.2), gridspec_kw={"width_ratios": [1.1, 1]})
    # log colours: the mass -> mass cell holds thousands, the interesting moves a handful each
    shown = np.ma.masked_equal(matrix, 0)
    image = ax_m.imshow(
        shown, cmap="Blues", norm=LogNorm(vmin=1, vmax=max(matrix.max(), 2)), aspect="auto"
    )
    for i in range(len(from_labels)):
        for j in range(len(TIERS)):
            if matrix[i, j] > 0:
                dark = matrix[i, j] > np.sqrt(max(matrix.max(), 1))
                ax_m.text(
                    j,
                    i,
                    f"{int(matrix[i, j]):,}",
                    ha="center",
                    va="center",
                    color="white" if dark else "black",
                    fontsize=9,
                )
    ax_m.set_xticks(range(len(TIERS)), TIERS)
    ax_m.set_yticks(range(len(from_labels)), from_labels)
    ax_m.set_xlabel(f"tier held at the end of {latest}")
    ax_m.set_ylabel(f"tier held at the end of {previous or 'the month before'}")
    ax_m.set_title("Customers moving between tiers")
    fig.colorbar(image, ax=ax_m, label="customers (log scale)")

    # share of each status within the tier now held: who in the tier is new, promoted, on watch
    totals = status_by_tier.select(STATUSES).sum_horizontal().to_numpy().astype(float)
    left = np.zeros(len(status_by_tier))
    y = np.arange(len(status_by_tier))
    for status in STATUSES:
        share = status_by_tier[status].to_numpy() / totals * 100
        ax_s.barh(y, share, left=left, color=STATUS_COLOURS[status], label=status)
        left += share
    ax_s.set_yticks(y, [f"{t} (n={int(n):,})" for t, n in zip(status_by_tier["to_tier"], totals)])
    ax_s.invert_yaxis()
    ax_s.set_xlim(0, 100)
    ax_s.set_xlabel("share of the tier's customers, %")
    ax_s.set_title(f"Status within each tier held, {latest}")
    ax_s.legend(title="tier_status", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.suptitle(f"Tier migration, {previous or 'first month'} -> {latest}")
    fig.tight_layout()
    plt.close(fig)
    display(analyst.drawn(fig))
else:
    print(NO_MONTH)

# %% [markdown]
# ## 3. Tier statuses over the months
#
# The first month of the history makes everybody `new`; after it, `up`, `watch` and `down` show
# how much the tier book moves each month.

# %%
if periods:
    statuses = analyst.query(
        con,
        """
        select period, tier_status, count(*) as customers
        from marts.mart_vip_tier
        group by period, tier_status
    """,
    )
    status_table = (
        statuses.pivot(on="tier_status", index="period", values="customers").fill_null(0).sort("period")
    )
    print(status_table.select("period", *[s for s in STATUSES if s in status_table.columns]))

    fig, ax = plt.subplots(figsize=(9, 4.5))
    for status in STATUSES:
        if status not in status_table.columns:
            continue
        counts = status_table[status].to_numpy().astype(float)
        ax.plot(
            np.arange(len(status_table)),
            np.where(counts > 0, counts, np.nan),
            marker="o",
            color=STATUS_COLOURS[status] if status != "same" else "#7f7f7f",
            label=status,
        )
    ax.set_yscale("log")
    ax.set_xticks(np.arange(len(status_table)), status_table["period"].to_list())
    ax.set_xlabel("month (YYYYMM)")
    ax.set_ylabel("customers (log scale)")
    ax.set_title("Tier status of personal customers per month")
    ax.legend(title="tier_status", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    plt.close(fig)
    display(analyst.drawn(fig))
else:
    print(NO_MONTH)

# %% [markdown]
# ## 4. Where the VIP customers are served: home organisation
#
# The home organisation is the outlet holding the largest part of the customer's AUM at month
# end. Organisation names are not published with the marts, so outlets appear by `home_org_id`.
# This section reads the Parquet export (every outlet's folder together), as a BI tool would.

# %%
if periods:
    exported = analyst.export("mart_vip_tier").filter(pl.col("period") == latest)
    # VIP tiers when the month has any; otherwise every tier, so the chart still shows the book
    held = set(exported["tier"])
    org_tiers = [t for t in VIP_TIERS if t in held] or [t for t in TIERS if t in held]
    scope = "VIP" if org_tiers[0] != "mass" else "personal"
    by_org = (
        exported.filter(pl.col("tier").is_in(org_tiers))
        .with_columns(pl.col("home_org_id").fill_null("(none)"))
        .group_by("home_org_id", "tier")
        .agg(customers=pl.len(), aum=pl.col("adb_aum").sum())
    )
    org_totals = (
        by_org.group_by("home_org_id")
        .agg(pl.col("customers").sum(), pl.col("aum").sum())
        .sort("aum", descending=True)
    )
    top_orgs = org_totals.head(TOP_ORGS)
    print(
        f"{latest}: {scope} customers in {org_totals.height} home organisations; "
        f"top {top_orgs.height} by AUM:"
    )
    print(
        top_orgs.select(
            "home_org_id",
            "customers",
            aum_cny_m=(pl.col("aum") / MILLION).round(1),
            aum_share_pct=(pl.col("aum") / org_totals["aum"].sum() * 100).round(1),
        )
    )

    top3 = org_totals.head(3)
    per_customer = org_totals["aum"] / org_totals["customers"] / MILLION
    print(
        f"The {top3.height} largest outlets hold {top3['aum'].sum() / org_totals['aum'].sum():.1%} "
        f"of {scope} AUM and {top3['customers'].sum() / org_totals['customers'].sum():.1%} of {scope} "
        f"customers; AUM per {scope} customer ranges from {per_customer.min():,.2f} m to "
        f"{per_customer.max():,.2f} m CNY across outlets."
    )
else:
    print(NO_MONTH)

# %%
if periods:
    orgs = top_orgs["home_org_id"].to_list()
    fig, (ax_c, ax_a) = plt.subplots(1, 2, figsize=(13, 0.45 * len(orgs) + 2.2), sharey=True)
    y = np.arange(len(orgs))
    left_c = np.zeros(len(orgs))
    left_a = np.zeros(len(orgs))
    for tier in org_tiers:
        rows = (
            pl.DataFrame({"home_org_id": orgs})
            .join(by_org.filter(pl.col("tier") == tier), on="home_org_id", how="left")
            .fill_null(0)
        )
        ax_c.barh(y, rows["customers"], left=left_c, color=TIER_COLOURS[tier], label=tier)
        ax_a.barh(y, rows["aum"] / MILLION, left=left_a, color=TIER_COLOURS[tier], label=tier)
        left_c += rows["customers"].to_numpy()
        left_a += rows["aum"].to_numpy() / MILLION
    ax_c.set_yticks(y, orgs)
    ax_c.invert_yaxis()
    ax_c.set_ylabel("home organisation (home_org_id)")
    ax_c.set_xlabel("customers")
    ax_c.set_title(f"{scope} customers per home organisation")
    ax_a.set_xlabel("AUM, CNY millions")
    ax_a.set_title(f"{scope} AUM per home organisation")
    ax_a.legend(title="tier", loc="lower right")
    fig.suptitle(f"Top {len(orgs)} home organisations by {scope} AUM, {latest}")
    fig.tight_layout()
    plt.close(fig)
    display(analyst.drawn(fig))
else:
    print(NO_MONTH)

# %% [markdown]
# ## 5. Upgrade candidates this month
#
# `mart_vip_daily` compares each customer's month-to-date average daily AUM with the line of the
# tier above the one held. Customers within the upgrade margin of that line, or already above
# it, are flagged as upgrade candidates: a call now can secure the upgrade at month end. The
# month-to-date average covers only the days loaded so far, so early in a month it is volatile.

# %%
daily = analyst.query(
    con,
    """
    select party_id, as_of_date, mtd_days, tier, next_tier, mtd_adb_aum, next_min_aum_cny,
           gap_to_next_tier, is_upgrade_candidate, mtd_raw_tier_rank > tier_rank as above_line,
           home_org_id, manager_id
    from marts.mart_vip_daily
    where next_tier is not null
""",
).with_columns(progress=pl.col("mtd_adb_aum") / pl.col("next_min_aum_cny"))
candidates = daily.filter(pl.col("is_upgrade_candidate"))
print(
    f"As of {daily['as_of_date'].max()} ({daily['mtd_days'].max()} days into the month): "
    f"{candidates.height:,} upgrade candidates among {daily.height:,} customers below the top tier, "
    f"{candidates['above_line'].sum():,} of them already above the next tier's line; "
    f"{candidates['manager_id'].is_null().sum():,} candidates have no credited manager to call them."
)

print("Upgrade candidates per tier held -> next tier:")
print(
    candidates.group_by("tier", "next_tier")
    .agg(
        candidates=pl.len(),
        already_above_line=pl.col("above_line").sum(),
        mtd_aum_cny_m=(pl.col("mtd_adb_aum").sum() / MILLION).round(2),
    )
    .join(tier_rank, on="tier")
    .sort("tier_order")
    .drop("tier_order")
)
print(f"\nClosest {TOP_CANDIDATES} candidates still below the line (smallest gap first):")
print(
    candidates.filter(~pl.col("above_line"))
    .sort("gap_to_next_tier")
    .head(TOP_CANDIDATES)
    .select(
        "party_id",
        "tier",
        "next_tier",
        pl.col("mtd_adb_aum").round(0),
        pl.col("gap_to_next_tier").round(0),
        "home_org_id",
        "manager_id",
    )
)

# %%
fig, ax = plt.subplots(figsize=(10, 4.5))
bins = np.arange(0, PROGRESS_MAX + PROGRESS_BIN, PROGRESS_BIN)
groups = [daily.filter(~pl.col("is_upgrade_candidate")), candidates]
ax.hist(
    [np.clip(g["progress"].to_numpy(), 0, PROGRESS_MAX - 1e-9) for g in groups],
    bins=bins,
    stacked=True,
    color=["#c7c7c7", "#2ca02c"],
    label=["not a candidate", "upgrade candidate"],
)
ax.axvline(1.0, color="black", linestyle="--", linewidth=1, label="next tier's line")
ax.set_yscale("log")
ax.set_xlabel(f"month-to-date AUM / next tier's threshold (above {PROGRESS_MAX:.0%}: in the last bin)")
ax.set_ylabel("customers (log scale)")
ax.set_title("How close customers are to the next tier, month to date")
ax.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
ax.legend(loc="upper right")
fig.tight_layout()
plt.close(fig)
analyst.drawn(fig)
