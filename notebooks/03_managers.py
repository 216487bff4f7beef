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
# # Customer managers: scorecards, targets, rank changes and shared accounts
#
# How did each team and each customer manager score on the balanced scorecard in the latest
# finished month, and how far is each indicator from its target?
# Who moved up or down the team ranking since the month before, and how do managers split the
# credit of the accounts they share?
#
# Data: `marts.mart_manager_kpi`, `marts.mart_team_kpi` (read from the Parquet exports),
# `marts.mart_customer_360`, `quality.shared_account_credits` and `quality.credit_share_overflows`
# of the published warehouse.

# %%
import matplotlib.pyplot as plt
import numpy as np
import polars as pl
from IPython.display import display

from marts import analyst

# Completion is drawn between these bounds: fee income or an inverse ratio (NPL) can run
# at many times the target, which would squash every other dot against the 100% line.
COMPLETION_SHOWN = (-0.5, 2.0)
PANELS_PER_ROW = 4  # teams side by side in the rank chart
SPLITS_SHOWN = 10  # most common credit splits of shared accounts drawn
MILLION = 1e6

con = analyst.published()
months = analyst.query(
    con,
    """
    select period, bool_and(is_finished) as is_finished
    from marts.mart_manager_kpi group by period order by period""",
)
finished = months.filter(pl.col("is_finished"))["period"].to_list()
# The latest finished month; a month to date only when no month has finished yet.
MONTH = finished[-1] if finished else months["period"][-1]
print(f"months in the KPI mart: {', '.join(months['period'])}; scorecard month: {MONTH}")
# Completion needs a target, and CRM TARGET comes on the 1st of a month: a history that
# starts mid-month has no target for its first month (completion and score stay empty).
HAS_TARGETS = (
    analyst.query(
        con,
        "select count(completion) as n from marts.mart_manager_kpi where period = ?",
        [MONTH],
    )["n"][0]
    > 0
)
NO_TARGETS = f"No manager has a target for {MONTH} (CRM TARGET not delivered for it): no completion."
if not HAS_TARGETS:
    print(NO_TARGETS)

# %% [markdown]
# ## 1. Team scorecards
#
# Each bar is a team (teams include the teams below them), cut into the score earned on each indicator:
# `score = weight × 100 × min(completion, cap)`. Since issue 18 the total is Σ scores ÷ Σ weights of the
# indicators scored (an indicator no member has a target for, or without a base, does not count), so
# each piece is drawn as score ÷ weights scored and a team that meets every scored target exactly
# scores 100. The department indicator 部门考核 (`team_customer_contribution`: the contribution of the
# members' customers against their contribution targets) is now one of the pieces. A team is measured
# over the members with a target for each indicator (members without one are left out of both sides).
# Flow indicators (fees, contribution, new customers) are compared with the target pro rata to the days
# covered (序时进度) in a month still running. Read here as a BI tool would, from the Parquet export of
# `mart_team_kpi`.

# %%
teams = analyst.export("mart_team_kpi").filter(pl.col("period") == MONTH)
team_scores = teams.filter((pl.col("indicator") != "total") & pl.col("score").is_not_null())
team_total = (
    teams.filter(pl.col("indicator") == "total")
    .select(
        "team_id",
        "team_level",
        "parent_team_id",
        "manager_count",
        pl.col("score").alias("total_score"),
        pl.col("weight").alias("weight_scored"),
    )
    .sort(["team_level", "team_id"])
)
indicators = (
    team_scores.group_by("indicator")
    .agg(pl.col("weight").first())
    .sort(["weight", "indicator"], descending=[True, False])["indicator"]
    .to_list()
)

fig, ax = plt.subplots(figsize=(10, 0.55 * team_total.height + 2))
labels = [
    f"{t} (level {lvl}, {n} mgrs)"
    for t, lvl, n in team_total.select("team_id", "team_level", "manager_count").iter_rows()
]
left = np.zeros(team_total.height)
colours = plt.colormaps["tab10"]
for i, ind in enumerate(indicators):
    # the indicator's share of the total: score ÷ the team's weights scored
    part = (
        team_total.select("team_id", "weight_scored")
        .join(
            team_scores.filter(pl.col("indicator") == ind).select("team_id", "score"),
            on="team_id",
            how="left",
        )
        .select((pl.col("score") / pl.col("weight_scored")).cast(pl.Float64).fill_null(0).fill_nan(0))
        .to_series()
        .to_numpy()
    )
    ax.barh(labels, part, left=left, color=colours(i % 10), label=ind)
    left += part
for y, total in enumerate(team_total["total_score"].fill_null(0)):
    ax.text(total + 1, y, f"{total:.1f}", va="center", fontsize=9)
ax.axvline(100, color="black", linestyle="--", linewidth=1)
ax.invert_yaxis()
ax.set_xlabel("scorecard points per weight scored (100 = every scored target met exactly)")
ax.set_title(f"Team scorecards, {MONTH}: points earned per indicator")
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), fontsize=8, ncols=5, frameon=False)
fig.tight_layout()
plt.close(fig)
analyst.drawn(fig)

# %%
# For each team: its total, and the indicators furthest above and below their targets.
by_completion = team_scores.filter(pl.col("completion").is_not_null()).sort("completion")
team_summary = team_total.join(
    by_completion.group_by("team_id").agg(
        pl.col("indicator").first().alias("weakest_indicator"),
        pl.col("completion").first().round(2).alias("weakest_completion"),
        pl.col("indicator").last().alias("strongest_indicator"),
        pl.col("completion").last().round(2).alias("strongest_completion"),
    ),
    on="team_id",
    how="left",
).with_columns(pl.col("total_score").round(1))
best = team_summary.sort("total_score", descending=True, nulls_last=True).row(0, named=True)
weakest = (
    f"its weakest indicator is {best['weakest_indicator']} at {best['weakest_completion']:.0%} of target"
    if best["weakest_completion"] is not None
    else "no indicator has a target, so none is weakest"
)
print(f"Highest team total in {MONTH}: {best['team_id']} with {best['total_score']} points; {weakest}.")
team_summary.drop("parent_team_id")

# %% [markdown]
# ## 2. Completion against target, per indicator
#
# One dot per manager (completion = actual / target_to_date; for inverse indicators such as the NPL
# ratio, target_to_date / actual; target_to_date is the month's target, pro rata to the days covered
# for a flow indicator in a month still running). Right of the solid line the target is met; the
# dashed line is the cap beyond which extra completion earns no more points. Triangles at the edges
# stand for values beyond the drawn range.

# %%
if HAS_TARGETS:
    managers = analyst.query(
        con,
        """
        select manager_id, team_id, indicator, actual, target, completion, cap, score
        from marts.mart_manager_kpi
        where period = ? and indicator <> 'total' and completion is not null""",
        [MONTH],
    )
    order = (
        managers.group_by("indicator")
        .agg(pl.col("completion").median().alias("median"))
        .sort("median")["indicator"]
        .to_list()
    )
    low, high = COMPLETION_SHOWN

    fig, ax = plt.subplots(figsize=(10, 0.6 * len(order) + 2))
    for y, ind in enumerate(order):
        values = managers.filter(pl.col("indicator") == ind)["completion"].to_numpy()
        # spread the dots vertically a little so that equal values stay visible
        offsets = np.linspace(-0.25, 0.25, len(values)) if len(values) > 1 else np.zeros(1)
        inside = (values >= low) & (values <= high)
        ax.scatter(values[inside], y + offsets[inside], s=18, alpha=0.7, color="tab:blue")
        ax.scatter(
            np.full((values > high).sum(), high),
            y + offsets[values > high],
            marker=">",
            s=30,
            color="tab:orange",
        )
        ax.scatter(
            np.full((values < low).sum(), low),
            y + offsets[values < low],
            marker="<",
            s=30,
            color="tab:red",
        )
        median = float(np.median(values))
        ax.scatter([min(max(median, low), high)], [y], marker="|", s=400, color="black")
        if not low <= median <= high:  # say where the median really is
            ax.text(
                high if median > high else low,
                y + 0.3,
                f"median {median:.0%}",
                ha="right" if median > high else "left",
                fontsize=8,
            )
    ax.axvline(1.0, color="black", linewidth=1.2)
    for cap in managers["cap"].drop_nulls().unique().to_list():
        ax.axvline(cap, color="grey", linestyle="--", linewidth=1)
    ax.set_yticks(range(len(order)), order)
    ax.set_xlim(low - 0.05, high + 0.05)
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.set_xlabel("completion (actual vs target; black tick = median manager)")
    ax.set_title(f"Manager completion against target per indicator, {MONTH}")
    fig.tight_layout()
    plt.close(fig)
    display(analyst.drawn(fig))
else:
    print(NO_TARGETS)

# %%
if HAS_TARGETS:
    completion_table = (
        managers.group_by("indicator")
        .agg(
            pl.len().alias("managers_scored"),
            (pl.col("completion") >= 1).mean().round(2).alias("share_on_target"),
            pl.col("completion").median().round(2).alias("median_completion"),
            (pl.col("completion") > high).sum().alias("beyond_drawn_range"),
        )
        .sort("median_completion")
    )
    weakest = completion_table.row(0, named=True)
    print(
        f"Weakest indicator in {MONTH}: {weakest['indicator']}, median completion "
        f"{weakest['median_completion']:.0%}, {weakest['share_on_target']:.0%} of managers on target."
    )
    display(completion_table)
else:
    print(NO_TARGETS)

# %% [markdown]
# ## 3. Rank changes between the last two months
#
# Each panel is a team; each line is a manager's overall rank in the team (1 = best total score,
# Σ scores ÷ Σ weights scored: a manager without loans is ranked on the indicators that apply)
# in the two latest finished months (the month to date is used only when fewer than two months
# have finished). Green lines moved up, red lines down.

# %%
compared = finished[-2:] if len(finished) >= 2 else months["period"].to_list()[-2:]
prev, last = compared[0], compared[-1]
ranks = analyst.query(
    con,
    f"""
    select manager_id, team_id, period, score, rank_in_team
    from marts.mart_manager_kpi
    where indicator = 'total' and rank_in_team is not null
      and period in ({", ".join("?" * len(compared))})""",
    compared,
)
wide = pl.DataFrame()
# managers ranked in both months only (a month without targets ranks nobody)
if prev != last and set(compared) <= set(ranks["period"]):
    wide = (
        ranks.pivot(on="period", index=["manager_id", "team_id"], values="rank_in_team")
        .drop_nulls()
        .with_columns((pl.col(prev) - pl.col(last)).alias("places_up"))
        .sort("team_id", last)
    )

if wide.height == 0:
    print(f"No manager is ranked in two months yet (months: {', '.join(compared)}): no rank change.")
else:
    team_ids = wide["team_id"].unique().sort().to_list()
    rows = -(-len(team_ids) // PANELS_PER_ROW)
    cols = min(len(team_ids), PANELS_PER_ROW)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 3.6 * rows), squeeze=False)
    for ax, team in zip(axes.flat, team_ids):
        part = wide.filter(pl.col("team_id") == team)
        for manager, before, after, up in part.select("manager_id", prev, last, "places_up").iter_rows():
            colour = "tab:green" if up > 0 else "tab:red" if up < 0 else "grey"
            ax.plot([0, 1], [before, after], marker="o", color=colour)
            ax.text(1.06, after, f"{manager} ({up:+d})", va="center", fontsize=8)
        ax.set_xticks([0, 1], [prev, last])
        ax.set_xlim(-0.2, 1.9)
        top = max(part[prev].max(), part[last].max())
        ax.set_ylim(top + 0.5, 0.5)
        ax.set_yticks(range(1, top + 1))
        ax.set_ylabel("rank in team (1 = best)")
        ax.set_title(f"team {team}")
    for ax in list(axes.flat)[len(team_ids) :]:
        ax.remove()
    fig.suptitle(f"Manager rank within team, {prev} to {last}")
    fig.tight_layout()
    plt.close(fig)
    display(analyst.drawn(fig))

# %%
if wide.height:
    scores = ranks.pivot(on="period", index="manager_id", values="score")
    movers = (
        wide.join(scores.rename({prev: "score_" + prev, last: "score_" + last}), on="manager_id")
        .with_columns(pl.col("^score_.*$").round(1))
        .sort(pl.col("places_up").abs(), descending=True)
    )
    moved = movers.filter(pl.col("places_up") != 0).height
    print(f"{moved} of {movers.height} managers changed rank within their team from {prev} to {last}.")
    display(movers.head(10))

# %% [markdown]
# ## 4. Shared accounts: how the credit is split
#
# An account can be credited to several managers, each with a share (`quality.shared_account_credits`,
# the accounts credited to more than one manager, one row per manager and day range). When the
# shares of a day add up to more than 100 they are scaled down to 100 (`share_pct`); below 100 the
# rest stays with the organisation (grey in the chart). Shown here: the accounts shared on the
# latest published date, grouped by how they are split (largest share first).

# %%
AS_OF = analyst.query(con, "select max_date from meta.published")["max_date"][0]
# One row per account and manager on that day (a manager with two assignments gets their sum).
shares = analyst.query(
    con,
    """
    -- account numbers are published masked: account_hash (keyed) tells accounts apart
    select account_hash, any_value(account_key) as account_key, sys, manager_id,
           sum(share_pct_raw) as share_raw, sum(share_pct) as share, bool_or(is_scaled) as is_scaled
    from quality.shared_account_credits
    where valid_from <= ? and ? < valid_to
    group by account_hash, sys, manager_id""",
    [AS_OF, AS_OF],
)
# Only the accounts that really have several managers on that day.
shares = (
    shares.with_columns(pl.col("manager_id").n_unique().over("account_hash").alias("managers"))
    .filter(pl.col("managers") > 1)
    .sort(["account_hash", "share_raw", "manager_id"], descending=[False, True, False])
    .with_columns(pl.int_range(pl.len()).over("account_hash").alias("position"))
)
accounts = shares.group_by("account_hash").agg(
    pl.col("managers").first(),
    pl.col("is_scaled").any(),
    pl.col("sys").first(),
    pl.col("share_raw").round(0).cast(pl.Int64).cast(pl.Utf8).str.join("/").alias("split"),
    pl.col("share").alias("shares"),
    pl.col("share").sum().alias("credited"),
)
splits = (
    accounts.group_by("split", "managers", "is_scaled")
    .agg(pl.len().alias("accounts"), pl.col("shares").first(), pl.col("credited").first())
    .sort(["accounts", "split"], descending=[True, False])
)
print(
    f"On {AS_OF}: {accounts.height} accounts are credited to more than one manager, "
    f"shared among {shares['manager_id'].n_unique()} managers."
)
if accounts.height:
    print(
        "Managers per shared account: "
        + ", ".join(
            f"{n} managers on {k} accounts"
            for n, k in accounts.group_by("managers").len().sort("managers").iter_rows()
        )
    )

if accounts.height == 0:
    print(f"No account is shared by several managers on {AS_OF}: nothing to split.")
else:
    shown = splits.head(SPLITS_SHOWN)
    labels = [
        f"{s} (scaled to 100)" if scaled else s
        for s, scaled in shown.select("split", "is_scaled").iter_rows()
    ]
    fig, (ax_split, ax_count) = plt.subplots(
        1, 2, figsize=(12, 0.5 * shown.height + 2.5), sharey=True, gridspec_kw={"width_ratios": [3, 2]}
    )
    blues = plt.colormaps["Blues_r"]
    for y, (parts, credited) in enumerate(shown.select("shares", "credited").iter_rows()):
        left = 0.0
        for i, part in enumerate(parts):
            ax_split.barh(y, part, left=left, color=blues(0.15 + 0.2 * (i % 4)), edgecolor="white")
            ax_split.text(
                left + part / 2, y, f"{part:.0f}%", ha="center", va="center", color="white", fontsize=9
            )
            left += part
        if credited < 99.99:  # the rest of the account's credit stays with the organisation
            ax_split.barh(y, 100 - credited, left=credited, color="lightgrey", edgecolor="white")
    ax_split.set_yticks(range(shown.height), labels)
    ax_split.invert_yaxis()
    ax_split.set_xlim(0, 100)
    ax_split.set_xlabel("share of the account's credit per manager, largest first (%)")
    ax_split.set_ylabel("raw split of the assignments (%)")
    ax_split.set_title("How each shared account's credit is split")
    manager_counts = shown["managers"].unique().sort().to_list()
    tab = plt.colormaps["tab10"]
    for j, n in enumerate(manager_counts):
        rows = [y for y, m in enumerate(shown["managers"]) if m == n]
        ax_count.barh(rows, shown["accounts"].gather(rows), color=tab(j), label=f"{n} managers")
    for y, k in enumerate(shown["accounts"]):
        ax_count.text(k, y, f" {k}", va="center", fontsize=9)
    ax_count.set_xlabel("shared accounts")
    ax_count.set_title("Accounts per split")
    ax_count.legend(loc="lower right", fontsize=8)
    fig.suptitle(f"Credit splits of the {accounts.height} shared accounts on {AS_OF}")
    fig.tight_layout()
    plt.close(fig)
    display(analyst.drawn(fig))

# %% [markdown]
# ### Which managers share, and what it is worth to them
#
# Left: the accounts each manager shares on that day, split by whether they hold the largest share
# (ties count as largest), with the colleague they share with most. Right: the net AUM credit the
# manager gains (+) or gives up (-) through sharing in the month to date: their **credited** AUM
# (indicator `aum_adb` of `mart_manager_kpi`, the shares applied) minus the AUM of the customers whose
# **main** manager they are (`mart_customer_360.manager_id`). It is a net figure: the gross credit on
# colleagues' customers is at least as large.

# %%
# Each manager's shared accounts, as largest (or equal) holder or as partner, and main partner.
top_share = pl.col("share_raw").max().over("account_hash")
per_manager = (
    shares.with_columns((pl.col("share_raw") == top_share).alias("is_lead"))
    .group_by("manager_id")
    .agg(pl.len().alias("shared_accounts"), pl.col("is_lead").sum().alias("as_largest"))
)
pairs = (
    shares.select("account_hash", "manager_id")
    .join(shares.select("account_hash", pl.col("manager_id").alias("partner")), on="account_hash")
    .filter(pl.col("manager_id") != pl.col("partner"))
    .group_by("manager_id", "partner")
    .len()
    .sort(["len", "partner"], descending=[True, False])
    .group_by("manager_id", maintain_order=True)
    .first()
    .select("manager_id", pl.col("partner").alias("main_partner"), pl.col("len").alias("with_partner"))
)
book = analyst.query(
    con,
    """
    select manager_id, sum(aum_adb_mtd) as main_book_aum
    from marts.mart_customer_360 where manager_id is not null group by manager_id""",
)
credited_aum = analyst.query(
    con,
    """
    select manager_id, actual as credited_aum from marts.mart_manager_kpi
    where indicator = 'aum_adb'
      and as_of_date = (select max(as_of_date) from marts.mart_customer_360)""",
)
sharing = (
    credited_aum.join(book, on="manager_id", how="full", coalesce=True)
    .join(per_manager, on="manager_id", how="full", coalesce=True)
    .join(pairs, on="manager_id", how="left")
    .with_columns(pl.col("credited_aum", "main_book_aum", "shared_accounts", "as_largest").fill_null(0))
    .with_columns(((pl.col("credited_aum") - pl.col("main_book_aum")) / MILLION).alias("net_shared_m"))
    .sort(["shared_accounts", "manager_id"], descending=[True, False])
)

fig, (ax_acc, ax_net) = plt.subplots(1, 2, figsize=(12, 0.32 * sharing.height + 2.5), sharey=True)
y = np.arange(sharing.height)
largest = sharing["as_largest"].to_numpy()
partner = (sharing["shared_accounts"] - sharing["as_largest"]).to_numpy()
ax_acc.barh(y, largest, color="tab:blue", label="largest (or equal) share")
ax_acc.barh(y, partner, left=largest, color="lightsteelblue", label="smaller share")
for row, (total, mate) in enumerate(sharing.select("shared_accounts", "main_partner").iter_rows()):
    if total:
        ax_acc.text(total, row, f" with {mate}", va="center", fontsize=7)
ax_acc.set_yticks(y, sharing["manager_id"])
ax_acc.invert_yaxis()
ax_acc.set_xlim(0, max(1, sharing["shared_accounts"].max()) * 1.35)  # room for the partner label
ax_acc.set_xlabel(f"accounts shared with colleagues on {AS_OF}")
ax_acc.set_title("Shared accounts per manager")
ax_acc.legend(loc="lower right", fontsize=8)
ax_net.barh(
    y,
    sharing["net_shared_m"],
    color=["tab:green" if v >= 0 else "tab:red" for v in sharing["net_shared_m"]],
)
ax_net.axvline(0, color="black", linewidth=1)
ax_net.set_xlabel("credited AUM minus own main customers' AUM (CNY millions, month to date)")
ax_net.set_title("Net AUM credit gained (+) or given up (-)")
fig.suptitle("Managers most involved in sharing accounts")
fig.tight_layout()
plt.close(fig)
analyst.drawn(fig)

# %%
bank = analyst.query(
    con,
    """
    select sum(aum_adb_mtd) as total_aum,
           sum(case when manager_id is null then aum_adb_mtd else 0 end) as no_manager_aum
    from marts.mart_customer_360""",
).row(0, named=True)
gross_moved = sharing.filter(pl.col("net_shared_m") > 0)["net_shared_m"].sum()
if sharing["shared_accounts"].sum():
    most = sharing.row(0, named=True)
    print(
        f"Most involved: {most['manager_id']}, sharing {most['shared_accounts']} accounts "
        f"({most['as_largest']} with the largest share), {most['with_partner']} of them "
        f"with {most['main_partner']}."
    )
print(
    f"Total AUM (month-to-date ADB): {bank['total_aum'] / MILLION:,.1f} M CNY, of which "
    f"{bank['no_manager_aum'] / MILLION:,.1f} M CNY "
    f"({bank['no_manager_aum'] / bank['total_aum']:.1%}) has no manager credit; at least "
    f"{gross_moved:,.1f} M CNY is credited to a manager other than the customer's main one."
)
(sharing.drop("credited_aum", "main_book_aum").with_columns(pl.col("net_shared_m").round(2)).head(10))

# %% [markdown]
# ### Shares above 100%
#
# `quality.credit_share_overflows` lists the account day ranges whose assignments add up to more
# than 100% (`managers`: each manager's raw share). Their credit was scaled down to 100 in proportion,
# so no account credits more than its balance; the assignments themselves need correcting at source.

# %%
overflows = analyst.query(
    con,
    """
    select account_key, account_hash, valid_from, valid_to, total_share_pct_raw,
           assignment_count, managers,
           valid_to > ? as open_on_as_of
    from quality.credit_share_overflows order by valid_from, account_key""",
    [AS_OF],
)
if overflows.height == 0:
    print("No account had shares adding up to more than 100%: nothing was scaled down.")
else:
    still = overflows.filter(pl.col("open_on_as_of") & (pl.col("valid_from") <= AS_OF))
    print(
        f"{overflows['account_hash'].n_unique()} accounts had shares adding up to more than 100% "
        f"(up to {overflows['total_share_pct_raw'].max():.0f}%) in {overflows.height} day ranges, "
        f"the first from {overflows['valid_from'].min()}; {still['account_hash'].n_unique()} "
        f"accounts are still over 100% on {AS_OF}. Their credit was scaled down to 100%."
    )
    # valid_to is exclusive; '9999-12-31' marks a range that is still open
    display(
        overflows.with_columns(
            pl.when(pl.col("valid_to").dt.year() == 9999)
            .then(pl.lit("open"))
            .otherwise(pl.col("valid_to").cast(pl.Utf8))
            .alias("valid_to")
        ).drop("open_on_as_of")
    )
