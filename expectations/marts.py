"""Great Expectations suites on the marts: the audit step of write-audit-publish.

After dbt has built the marts in the work file (and its tests passed), every mart is
checked here before it is copied into the published file; a failed `error` expectation
stops publishing. dbt's tests already hold row-level rules inside one table (keys,
accepted values, formulas); these suites add what crosses tables and what only shows in
aggregates:

- ranges and sets (scores 0..100, ranks >= 1, counts >= 0, tiers in the seed), keys
  not null and unique (a duplicated key is a fanned-out join);
- reconciliations with the layers below, computed in the query as a difference column
  expected within `MONEY` of 0, or a pair of columns expected equal;
- distributions that reveal a broken join: null-organisation share, mass-tier share,
  rows per period against the previous period, alert firings per party.

Integrity blocks, distribution warns: keys, ranges, sets and reconciliations prove the data
wrong and are `error`s (a failure stops publishing); the distribution checks describe how a
bank's data usually looks, and a tiny bank, a private-banking subsidiary or a history that
starts mid-month legitimately falls outside them. Their bounds and whether one blocks are
parameters, `dbt/seeds/mart_check_bounds.csv` (`Bound`), read when the suites run; by
default they warn, with the observed value in the results.

A suite (`MartSuite`) is one or more frames: a SQL query over the work file giving a
frame (restricted to the run's window where the mart is large: the periods or dates
from `min_date` to `max_date`, None = everything) and its checks: declarations
(`expectations.suites.Declaration`), or distribution checks that become declarations once
the bounds are read. Each frame is one GX validation, run on pandas as
the raw suites are (`expectations.validate.run_validation`): GX suite `<mart>` for the
rows, `<mart>.<frame>` for the others. Helper columns start with `_`.
"""

from __future__ import annotations

import csv
import datetime as dt
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from expectations.suites import ERROR, WARN, Declaration
from expectations.validate import Outcome, gx_context, run_validation, summarise

# |difference| allowed in a reconciliation, CNY: none. Money is summed in exact decimals
# upstream (dbt macro money_type), so any difference is a break, at any scale; where each
# side adds up averages divided row by row, a gap within their rounding counts as none
# (`beyond_rounding`): a bound that grows with the rows, not a fixed amount (a fixed 1e-4
# failed on a 14e9 CNY sum of doubles: issue 20). Integrity: not a parameter.
MONEY = 0.0

# what one average divided by dbt's macro money_divide may be off by (one unit of its 10th
# decimal): sums of such averages over n rows differ by at most n units (macro
# rounding_tolerance)
ROUNDED_ROW = 1e-10

BOUNDS_SEED = Path(__file__).resolve().parents[1] / "dbt" / "seeds" / "mart_check_bounds.csv"


@dataclass(frozen=True)
class Bound:
    """A distribution check's bounds (None: open on that side) and whether it blocks."""

    lower: float | None
    upper: float | None
    blocking: bool = False

    @property
    def severity(self) -> str:
        return ERROR if self.blocking else WARN


def load_bounds(seed: Path = BOUNDS_SEED) -> dict[str, Bound]:
    """The seed's bounds by name (`mart_check_bounds.csv`; descriptions in its YAML)."""

    def number(text: str) -> float | None:
        return float(text) if text.strip() else None

    with seed.open(encoding="utf-8", newline="") as f:
        return {
            row["name"]: Bound(
                number(row["lower"]), number(row["upper"]), row["blocking"].strip().lower() == "true"
            )
            for row in csv.DictReader(f)
        }


# a distribution check: its declaration once the bounds are known (at validation time)
Distribution = Callable[[Mapping[str, Bound]], Declaration]


@dataclass(frozen=True)
class Frame:
    """One GX validation of a mart suite: a query and what its frame must satisfy.

    `sql` may use {lo} and {hi}, SQL date literals of the run's window (the whole
    history when a bound is None)."""

    name: str  # "rows" (the GX suite is named after the mart) or another, e.g. "periods"
    sql: str
    checks: tuple[Declaration | Distribution, ...]

    def declarations(self, bounds: Mapping[str, Bound]) -> tuple[Declaration, ...]:
        return tuple(c if isinstance(c, Declaration) else c(bounds) for c in self.checks)


@dataclass(frozen=True)
class MartSuite:
    mart: str
    frames: tuple[Frame, ...]

    def declarations(self, bounds: Mapping[str, Bound]) -> list[Declaration]:
        return [d for f in self.frames for d in f.declarations(bounds)]


# --- declarations ---------------------------------------------------------------------


def not_null(
    col: str, severity: str = ERROR, mostly: float | None = None, name: str = ""
) -> Declaration:
    kwargs: dict[str, Any] = {"column": col} | ({"mostly": mostly} if mostly is not None else {})
    return Declaration(name or f"{col}.not_null", "ExpectColumnValuesToNotBeNull", col, severity, kwargs)


def is_null(col: str, name: str, severity: str = ERROR) -> Declaration:
    """A helper column that holds the offending value, null when all is well."""
    return Declaration(name, "ExpectColumnValuesToBeNull", col, severity, {"column": col})


def unique(*cols: str, severity: str = ERROR) -> Declaration:
    name = f"{','.join(cols)}.unique"
    if len(cols) == 1:
        return Declaration(name, "ExpectColumnValuesToBeUnique", cols[0], severity, {"column": cols[0]})
    kwargs = {"column_list": list(cols)}
    return Declaration(name, "ExpectCompoundColumnsToBeUnique", ",".join(cols), severity, kwargs)


def in_set(col: str, values: list, severity: str = ERROR) -> Declaration:
    kwargs = {"column": col, "value_set": values}
    return Declaration(f"{col}.in_set", "ExpectColumnValuesToBeInSet", col, severity, kwargs)


def between(
    col: str,
    lo: float | None,
    hi: float | None,
    name: str = "",
    severity: str = ERROR,
    strict_min: bool = False,
) -> Declaration:
    kwargs: dict[str, Any] = {"column": col, "min_value": lo, "max_value": hi}
    if strict_min:
        kwargs["strict_min"] = True
    return Declaration(name or f"{col}.in_range", "ExpectColumnValuesToBeBetween", col, severity, kwargs)


def near_zero(col: str, name: str, tolerance: float = MONEY) -> Declaration:
    """A reconciliation: a difference column within `tolerance` of 0."""
    return between(col, -tolerance, tolerance, name)


def pair_equal(a: str, b: str, name: str, severity: str = ERROR) -> Declaration:
    kwargs = {"column_A": a, "column_B": b}
    return Declaration(name, "ExpectColumnPairValuesToBeEqual", f"{a},{b}", severity, kwargs)


def beyond_rounding(gap: str, rounded_rows: str) -> str:
    """SQL: difference `gap`, or 0 where it is within the rounding of `rounded_rows`
    averages (ROUNDED_ROW each), as a double for GX."""
    return (
        f"cast(case when abs({gap}) <= ({rounded_rows}) * {ROUNDED_ROW} then 0 else {gap} end as double)"
    )


def mean_between(col: str, lo: float, hi: float, name: str, severity: str = ERROR) -> Declaration:
    kwargs = {"column": col, "min_value": lo, "max_value": hi}
    return Declaration(name, "ExpectColumnMeanToBeBetween", col, severity, kwargs)


# --- distribution checks: bounds and severity from the seed ------------------------


def null_share(col: str) -> Distribution:
    """At most the bound's share of rows without `col` (an organisation)."""

    def declare(bounds: Mapping[str, Bound]) -> Declaration:
        b = bounds["null_org_share"]
        return not_null(col, b.severity, mostly=1 - (b.upper or 0), name=f"{col}.null_share")

    return declare


def share_between(col: str, bound: str, name: str, mean: bool = False) -> Distribution:
    """A share column within the bound (`mean`: the mean of a 0/1 column)."""

    def declare(bounds: Mapping[str, Bound]) -> Declaration:
        b = bounds[bound]
        if mean:
            return mean_between(col, b.lower, b.upper, name, b.severity)
        return between(col, b.lower, b.upper, name, b.severity)

    return declare


def rows_vs_previous(drop_can_block: bool = True) -> tuple[Distribution, Distribution]:
    """On a per-period frame with `rows_vs_previous` (rows / the previous period's)."""

    def drop(bounds: Mapping[str, Bound]) -> Declaration:
        b = bounds["rows_vs_previous_drop"]
        severity = b.severity if drop_can_block else WARN
        return between("rows_vs_previous", b.lower, None, "rows.no_drop", severity)

    def jump(bounds: Mapping[str, Bound]) -> Declaration:
        b = bounds["rows_vs_previous_jump"]
        return between("rows_vs_previous", None, b.upper, "rows.no_jump", b.severity)

    return drop, jump


# --- SQL pieces -----------------------------------------------------------------------

IN_MONTHS = "period_start between date_trunc('month', {lo}) and {hi}"  # months the window touches
FROM_MONTH = "period_start >= date_trunc('month', {lo})"  # open end: from the window's month on
PERIOD_IN_MONTHS = "period between strftime({lo}, '%Y%m') and strftime({hi}, '%Y%m')"
PERIOD_FROM_MONTH = "period >= strftime({lo}, '%Y%m')"


def period_rows(mart: str, where: str = "true") -> str:
    """CTE `counts`: a mart's rows per period, over its whole history (the previous period
    of the window's first lies before it), with the ratio to the previous period's."""
    return f"""counts as (
        select period, count(*) as rows,
               count(*) / lag(count(*)) over (order by period) as rows_vs_previous
        from marts.{mart} where {where} group by period)"""


# --- the suites -----------------------------------------------------------------------

CUSTOMER_CONTRIBUTION = MartSuite(
    "mart_customer_contribution",
    (
        Frame(
            "rows",
            f"""
        select c.party_id, c.period, c.segment, c.home_org_id,
               c.account_count, c.product_count, c.txn_count, c.supplement_count,
               cast(c.contribution - (c.nii + c.fee_income - c.operating_cost - c.risk_cost)
                    as double) as _contribution_gap,
               d.party_kind as _dim_party_kind
        from marts.mart_customer_contribution c
        left join core.dim_customer d using (party_id)
        where c.{IN_MONTHS}""",
            (
                not_null("party_id"),
                unique("party_id", "period"),
                in_set("segment", ["personal", "corporate"]),
                pair_equal("segment", "_dim_party_kind", "segment.is_dim_customer_kind"),
                near_zero("_contribution_gap", "contribution.formula"),
                *(
                    between(c, 0, None)
                    for c in ("account_count", "product_count", "txn_count", "supplement_count")
                ),
                null_share("home_org_id"),
            ),
        ),
        # Σ aum_adb of the mart = Σ ADB of the is_aum accounts that have a party, per month;
        # risk cost (may be negative: a release) = Σ change of the accounts' provisions; and
        # each account's provision at the start of a month = at the end of the month before
        # (the chain of stocks: a month's risk cost neither skips nor repeats a change; a
        # closed month restated since is kept as computed, so this one warns)
        Frame(
            "periods",
            f"""
        with {period_rows("mart_customer_contribution")},
        mart as (select period, sum(aum_adb) as aum, sum(risk_cost) as risk_cost,
                        count(*) as parties
                 from marts.mart_customer_contribution group by period),
        accounts as (
            select m.period, sum(m.adb_cny) as aum, count(*) as accounts
            from intermediate.int_account_months m join core.dim_account a using (account_key)
            where a.is_aum and a.party_id is not null group by m.period),
        provisions as (
            select period, sum(provision_end_cny - provision_start_cny) as risk_cost
            from intermediate.int_account_contributions_monthly
            where party_id is not null group by period),
        chain as (
            select cur.period,
                   sum(cur.provision_start_cny - coalesce(prev.provision_end_cny, 0)) as gap
            from intermediate.int_account_contributions_monthly cur
            join intermediate.int_periods p on p.period = cur.period
            left join intermediate.int_account_contributions_monthly prev
                   on prev.account_key = cur.account_key
                  and prev.period_start = p.period_start - interval 1 month
            where p.period_start > (select min(period_start) from intermediate.int_periods)
            group by cur.period)
        select period, c.rows, c.rows_vs_previous,
               {
                beyond_rounding(
                    "coalesce(mart.aum, 0) - coalesce(accounts.aum, 0)",
                    "coalesce(mart.parties, 0) + coalesce(accounts.accounts, 0)",
                )
            }
                   as _aum_adb_gap,
               cast(coalesce(mart.risk_cost, 0) - coalesce(provisions.risk_cost, 0) as double)
                   as _risk_cost_gap,
               cast(coalesce(chain.gap, 0) as double) as _provision_chain_gap
        from accounts full join mart using (period) left join counts c using (period)
        left join provisions using (period) left join chain using (period)
        where {PERIOD_IN_MONTHS}""",
            (
                near_zero("_aum_adb_gap", "aum_adb.reconciles_with_accounts"),
                near_zero("_risk_cost_gap", "risk_cost.is_change_of_provisions"),
                between("_provision_chain_gap", -MONEY, MONEY, "risk_cost.provisions_chain", WARN),
                not_null("rows", name="period.has_rows"),
                *rows_vs_previous(),
            ),
        ),
    ),
)

_RANKS = ("aum_adb", "deposit_adb", "loan_adb", "nii", "fee_income", "contribution", "product_count")

CONTRIBUTION_SCORE = MartSuite(
    "mart_contribution_score",
    (
        Frame(
            "rows",
            f"""
        select s.party_id, s.period, s.model_id, cast(s.score as double) as score, s.factor_count,
               {", ".join(f"cast(s.{f}_rank as double) as {f}_rank" for f in _RANKS)},
               {" + ".join(f"(s.{f}_rank is not null)::int" for f in _RANKS)} as _ranks_present,
               s.segment, c.segment as _contribution_segment,
               case when s.model_id not in (select model_id from seeds.contribution_models)
                    then s.model_id end as _model_unknown
        from marts.mart_contribution_score s
        left join marts.mart_customer_contribution c using (party_id, period)
        where s.{IN_MONTHS}""",
            (
                not_null("party_id"),
                unique("party_id", "period", "model_id"),
                between("score", 0, 100),
                *(between(f"{f}_rank", 0, 100) for f in _RANKS),
                pair_equal("factor_count", "_ranks_present", "factor_count.equals_ranks_present"),
                pair_equal("segment", "_contribution_segment", "segment.is_contribution_segment"),
                is_null("_model_unknown", "model_id.in_seed"),
            ),
        ),
        # every party of mart_customer_contribution is scored in its month, and only those
        Frame(
            "periods",
            f"""
        with {period_rows("mart_contribution_score")},
        scored as (select period, count(distinct party_id) as parties
                   from marts.mart_contribution_score group by period),
        contributing as (select period, count(*) as parties
                         from marts.mart_customer_contribution group by period)
        select period, c.rows, c.rows_vs_previous,
               coalesce(scored.parties, 0) as parties_scored,
               coalesce(contributing.parties, 0) as _parties_in_contribution
        from contributing full join scored using (period) left join counts c using (period)
        where {PERIOD_IN_MONTHS}""",
            (
                pair_equal(
                    "parties_scored", "_parties_in_contribution", "parties.scored_are_contributing"
                ),
                *rows_vs_previous(),
            ),
        ),
    ),
)

VIP_TIER = MartSuite(
    "mart_vip_tier",
    (
        Frame(
            "rows",
            f"""
        select t.party_id, t.period, t.tier, t.tier_status, t.tier_rank, t.watch_months, t.home_org_id,
               t.raw_tier, st.tier_rank as _seed_tier_rank,
               -- an AUM below every threshold (an overdrawn demand deposit) is the lowest tier
               coalesce((select arg_max(v.tier, v.min_aum_cny) from seeds.vip_tiers v
                         where v.min_aum_cny <= t.adb_aum),
                        (select arg_min(tier, min_aum_cny) from seeds.vip_tiers)) as _raw_tier_by_seed,
               case when st.tier is null then t.tier end as _tier_unknown,
               d.party_kind as _dim_party_kind
        from marts.mart_vip_tier t
        left join seeds.vip_tiers st on st.tier = t.tier
        left join core.dim_customer d on d.party_id = t.party_id
        where t.{FROM_MONTH}""",
            (
                not_null("party_id"),
                unique("party_id", "period"),
                is_null("_tier_unknown", "tier.in_seed"),
                in_set("tier_status", ["new", "up", "same", "watch", "down"]),
                pair_equal("tier_rank", "_seed_tier_rank", "tier_rank.is_seed_rank"),
                pair_equal("raw_tier", "_raw_tier_by_seed", "raw_tier.by_seed_thresholds"),
                between("watch_months", 0, None),
                in_set("_dim_party_kind", ["personal"]),
                null_share("home_org_id"),
            ),
        ),
        # per finished month: Σ adb_aum = Σ int_party_months.adb_aum of personal parties
        # (parties never above 0 add 0); the share in tier mass is plausible
        Frame(
            "periods",
            f"""
        with {period_rows("mart_vip_tier")},
        finished as (select period from intermediate.int_periods where is_finished),
        mart as (select period, sum(adb_aum) as aum, avg((tier = 'mass')::int) as mass_share
                 from marts.mart_vip_tier group by period),
        party_months as (select period, sum(adb_aum) as aum from intermediate.int_party_months
                         where party_kind = 'personal' group by period)
        select period, c.rows, c.rows_vs_previous, mart.mass_share,
               coalesce(mart.aum, 0) - coalesce(party_months.aum, 0) as _adb_aum_gap
        from finished left join mart using (period) left join party_months using (period)
        left join counts c using (period)
        where {PERIOD_FROM_MONTH}""",
            (
                near_zero("_adb_aum_gap", "adb_aum.reconciles_with_party_months"),
                not_null("rows", name="period.has_rows"),
                share_between("mass_share", "mass_share", "tier.mass_share"),
                *rows_vs_previous(),
            ),
        ),
    ),
)

VIP_DAILY = MartSuite(
    "mart_vip_daily",
    (
        Frame(
            "rows",
            """
        select v.party_id, v.tier, v.tier_rank, v.mtd_raw_tier, v.mtd_raw_tier_rank,
               v.mtd_adb_aum, v.gap_to_next_tier, v.home_org_id,
               st.tier_rank as _seed_tier_rank, sr.tier_rank as _seed_raw_tier_rank,
               v.mtd_adb_aum - coalesce(pm.adb_aum, 0) as _mtd_adb_aum_gap,
               date_diff('day', v.as_of_date,
                         (select max(as_of_date) from intermediate.int_periods)) as _days_before_latest,
               (v.tier = 'mass')::int as _is_mass
        from marts.mart_vip_daily v
        left join seeds.vip_tiers st on st.tier = v.tier
        left join seeds.vip_tiers sr on sr.tier = v.mtd_raw_tier
        left join intermediate.int_party_months pm
               on pm.party_id = v.party_id and pm.period = v.period""",
            (
                not_null("party_id"),
                unique("party_id"),
                pair_equal("tier_rank", "_seed_tier_rank", "tier_rank.is_seed_rank"),
                pair_equal("mtd_raw_tier_rank", "_seed_raw_tier_rank", "mtd_raw_tier_rank.is_seed_rank"),
                # an overdrawn demand deposit makes AUM negative (seen on the dev data): upstream
                # data to look at, not a broken mart
                between("mtd_adb_aum", 0, None, severity=WARN),
                between("gap_to_next_tier", 0, None),
                near_zero("_mtd_adb_aum_gap", "mtd_adb_aum.reconciles_with_party_months"),
                between("_days_before_latest", 0, 0, "as_of_date.is_latest_loaded"),
                share_between("_is_mass", "mass_share", "tier.mass_share", mean=True),
                null_share("home_org_id"),
            ),
        ),
    ),
)

MANAGER_KPI = MartSuite(
    "mart_manager_kpi",
    (
        Frame(
            "rows",
            f"""
        select k.manager_id, k.period, k.indicator, k.org_id, k.team_id,
               -- contribution may be negative (costs above income), and so its completion
               case when k.indicator <> 'contribution'
                    then cast(k.completion as double) end as completion,
               cast(k.score as double) as score,
               k.rank_in_team, k.rank_in_org,
               case when k.indicator <> 'total'
                    then cast(k.score - k.weight * 100 * k.cap as double) end as _score_above_max,
               -- the total is Σ scores ÷ Σ weights scored, its weight that Σ weights
               case when k.indicator = 'total'
                    then cast(k.score * k.weight - sum(k.score) filter (where k.indicator <> 'total')
                              over (partition by k.manager_id, k.period) as double)
                    end as _total_score_gap,
               case when k.indicator = 'total'
                    then cast(k.weight - sum(k.weight) filter (
                                  where k.indicator <> 'total' and k.score is not null)
                              over (partition by k.manager_id, k.period) as double)
                    end as _total_weight_gap,
               case when k.indicator = 'total'
                    then cast(k.score - 100 * (select max(cap) from seeds.kpi_indicators) as double)
                    end as _total_above_max,
               -- time progress: a flow indicator's target pro rata to the days covered, a
               -- level indicator's target itself
               case when k.indicator <> 'total'
                    then cast(k.target_to_date - case when k.kind = 'flow'
                                                      then k.target * p.days / p.days_in_month
                                                      else k.target end as double)
                    end as _target_to_date_gap,
               case when k.indicator <> 'total' and i.indicator is null
                    then k.indicator end as _indicator_unknown,
               case when k.indicator <> 'total' and k.kind is distinct from i.kind
                    then k.indicator end as _kind_not_seed,
               case when m.manager_id is null then k.manager_id end as _manager_unknown
        from marts.mart_manager_kpi k
        left join seeds.kpi_indicators i on i.indicator = k.indicator
        left join intermediate.int_periods p on p.period = k.period
        -- the manager as delivered (history), not today's: a manager who left is still in
        -- the months he was scored for
        left join (select distinct manager_id from core.dim_manager_history) m
            on m.manager_id = k.manager_id
        where k.{FROM_MONTH}""",
            (
                not_null("manager_id"),
                unique("manager_id", "period", "indicator"),
                is_null("_indicator_unknown", "indicator.in_seed"),
                is_null("_kind_not_seed", "kind.as_seed"),
                is_null("_manager_unknown", "manager_id.in_dim_manager"),
                between("completion", 0, None, "completion.not_negative"),
                between("score", 0, None),
                between("_score_above_max", None, 1e-6, "score.at_most_weight_x_cap"),
                near_zero("_total_score_gap", "total.is_scores_per_weight_scored", 1e-6),
                near_zero("_total_weight_gap", "total.weight_is_weights_scored", 1e-6),
                between("_total_above_max", None, 1e-6, "total.at_most_100_x_cap"),
                near_zero("_target_to_date_gap", "target_to_date.time_progress", 1e-6),
                between("rank_in_team", 1, None),
                between("rank_in_org", 1, None),
                null_share("org_id"),
            ),
        ),
        Frame(
            "periods",
            f"""
        with {period_rows("mart_manager_kpi")}
        select period, rows, rows_vs_previous from counts where {PERIOD_FROM_MONTH}""",
            (*rows_vs_previous(),),
        ),
    ),
)

# the root teams hold every manager. Per indicator a team counts the members with a target
# (all of them when none has one): where every root counts all its members, the roots'
# numerators add up to the managers'; where every root counts only members with a target,
# to those managers'. Manager counts add up per month.
TEAM_KPI = MartSuite(
    "mart_team_kpi",
    (
        Frame(
            "rows",
            f"""
        select t.team_id, t.period, t.indicator,
               -- as for managers: a team's contribution may be negative, and so its completion
               case when t.indicator not in ('contribution', 'team_customer_contribution')
                    then cast(t.completion as double) end as completion,
               cast(t.score as double) as score, t.rank_among_siblings, t.manager_count, t.team_level,
               t.org_id, case when d.team_id is null then t.team_id end as _team_unknown,
               case when t.indicator <> 'total'
                    then t.manager_count - t.members_scored - t.members_left_out end
                    as _members_gap,
               case when t.indicator <> 'total' and t.members_scored = 0 and t.score is not null
                    then t.indicator end as _scored_without_members,
               case when t.indicator = 'total'
                    then cast(t.score * t.weight - sum(t.score) filter (where t.indicator <> 'total')
                              over (partition by t.team_id, t.period) as double)
                    end as _total_score_gap
        from marts.mart_team_kpi t
        left join (select distinct team_id from core.dim_team_history) d on d.team_id = t.team_id
        where t.{FROM_MONTH}""",
            (
                not_null("team_id"),
                unique("team_id", "period", "indicator"),
                is_null("_team_unknown", "team_id.in_dim_team"),
                between("completion", 0, None),
                between("score", 0, None),
                between("rank_among_siblings", 1, None),
                between("manager_count", 0, None),
                between("team_level", 1, None),
                between("_members_gap", 0, 0, "members.scored_plus_left_out"),
                is_null("_scored_without_members", "score.needs_members_with_target"),
                near_zero("_total_score_gap", "total.is_scores_per_weight_scored", 1e-6),
                null_share("org_id"),
            ),
        ),
        Frame(
            "indicators",
            f"""
        with {period_rows("mart_team_kpi")},
        roots as (select period, indicator, sum(numerator) as numerator, sum(manager_count) as managers,
                         bool_and(members_scored = 0) as all_counted,
                         bool_and(members_scored > 0) as targeted_counted
                  from marts.mart_team_kpi where parent_team_id is null group by all),
        managers as (select period, indicator, sum(numerator) as numerator,
                            sum(numerator) filter (where target is not null) as targeted_numerator,
                            count(distinct manager_id) as managers
                     from marts.mart_manager_kpi group by all)
        select period, indicator, c.rows, c.rows_vs_previous,
               cast(roots.numerator - case when roots.all_counted then managers.numerator
                                           when roots.targeted_counted
                                           then managers.targeted_numerator end as double)
                   as _root_numerator_gap,
               case when indicator = 'total' then roots.managers end as root_managers,
               case when indicator = 'total' then managers.managers end as _managers_with_rows
        from managers full join roots using (period, indicator) left join counts c using (period)
        where indicator <> 'team_customer_contribution' and {PERIOD_FROM_MONTH}""",
            (
                near_zero("_root_numerator_gap", "numerator.roots_sum_managers"),
                pair_equal("root_managers", "_managers_with_rows", "manager_count.roots_count_managers"),
                *rows_vs_previous(),
            ),
        ),
    ),
)

ALERTS = MartSuite(
    "mart_alerts",
    (
        Frame(
            "rows",
            """
        select strftime(a.as_of_date, '%Y-%m-%d') as as_of_date, a.rule_id, a.entity_id, a.txn_id,
               a.severity, a.entity_type, a.org_id, a.party_id, a.is_baseline,
               coalesce(t.severity, r.severity) as _seed_severity, r.entity_type as _seed_entity_type,
               case when r.rule_id is null then a.rule_id end as _rule_unknown,
               case when a.is_baseline and r.fires_on <> 'entry' then a.rule_id end
                   as _baseline_of_a_rule_without_state
        from marts.mart_alerts a left join seeds.alert_rules r using (rule_id)
        left join seeds.alert_loan_overdue_thresholds t
            on a.rule_id = 'LOAN_OVERDUE' and t.overdue_days = a.threshold_days
        where a.as_of_date between {lo} and {hi}""",
            (
                not_null("rule_id"),
                not_null("entity_id"),
                not_null("is_baseline"),
                unique("as_of_date", "rule_id", "entity_id", "txn_id"),
                is_null("_rule_unknown", "rule_id.in_seed"),
                is_null("_baseline_of_a_rule_without_state", "is_baseline.state_rules_only"),
                pair_equal("severity", "_seed_severity", "severity.is_rule_severity"),
                pair_equal("entity_type", "_seed_entity_type", "entity_type.is_rule_entity_type"),
                null_share("org_id"),
            ),
        ),
        Frame(
            # firings only: the opening state a state rule records on its first date
            # (is_baseline, e.g. every account already dormant) is not a day's alerts
            "dates",
            """
        select strftime(as_of_date, '%Y-%m-%d') as as_of_date, count(*) as alerts,
               count(*) / (select count(*) from core.dim_customer) as alerts_per_party
        from marts.mart_alerts
        where as_of_date between {lo} and {hi} and not is_baseline
        group by as_of_date""",
            (share_between("alerts_per_party", "alerts_per_party", "alerts.per_party"),),
        ),
    ),
)

TOP_CORPORATE = MartSuite(
    "mart_top_corporate",
    (
        Frame(
            "rows",
            f"""
        with accounts as (
            select a.party_id, m.period, sum(m.adb_cny) as deposit_adb, count(*) as accounts
            from intermediate.int_account_months m join core.dim_account a using (account_key)
            where a.category = 'deposit' group by all)
        select strftime(t.as_of_date, '%Y-%m-%d') as as_of_date, t.org_id, t.measure, t.party_id,
               t.rank, cast(t.value as double) as value,
               rank() over (partition by t.as_of_date, t.org_id, t.measure
                            order by t.value desc) as _rank_by_value,
               t.rank - (select value from seeds.top_corporate_parameters
                         where parameter = 'top_n') as _rank_past_top_n,
               d.party_kind as _dim_party_kind,
               case when o.parent_org_id is null and t.measure = 'deposit_adb'
                    then {
                beyond_rounding(
                    "t.value - coalesce(acc.deposit_adb, 0)", "1 + coalesce(acc.accounts, 0)"
                )
            }
                    end as _root_deposit_adb_gap
        from marts.mart_top_corporate t
        left join core.dim_customer d using (party_id)
        left join core.dim_org o using (org_id)
        left join accounts acc on acc.party_id = t.party_id and acc.period = t.period
        where t.{IN_MONTHS}""",
            (
                not_null("party_id"),
                unique("as_of_date", "org_id", "measure", "party_id"),
                between("rank", 1, None),
                between("_rank_past_top_n", None, 0, "rank.within_top_n"),
                pair_equal("rank", "_rank_by_value", "rank.is_rank_of_value"),
                in_set("_dim_party_kind", ["corporate"]),
                near_zero("_root_deposit_adb_gap", "deposit_adb.root_reconciles_with_accounts"),
            ),
        ),
        Frame(
            "periods",
            f"""
        with {period_rows("mart_top_corporate")}
        select period, rows, rows_vs_previous from counts where {PERIOD_IN_MONTHS}""",
            # a top-N list is as long as the parties that qualify: it shrinks for real when
            # loans are repaid (a bank with a few corporate borrowers per outlet loses most
            # of its loan_balance rows in a month), so a drop only warns here
            (*rows_vs_previous(drop_can_block=False),),
        ),
    ),
)

BALANCE_BAND_STATS = MartSuite(
    "mart_balance_band_stats",
    (
        Frame(
            "rows",
            f"""
        select strftime(s.as_of_date, '%Y-%m-%d') as as_of_date, s.org_id, s.segment, s.category,
               s.band_id, s.accounts, s.parties,
               cast(s.balance - s.accounts * b.lower_cny as double) as _below_band,
               cast(s.accounts * b.upper_cny - s.balance as double) as _above_band,
               case when b.band_id is null then s.band_id end as _band_unknown
        from marts.mart_balance_band_stats s left join seeds.balance_bands b using (band_id)
        where s.{IN_MONTHS}""",
            (
                not_null("org_id"),
                unique("as_of_date", "org_id", "segment", "category", "band_id"),
                between("accounts", 1, None),
                between("parties", 0, None),
                is_null("_band_unknown", "band_id.in_seed"),
                between("_below_band", 0, None, "balance.not_below_band"),
                between("_above_band", 0, None, "balance.below_band_top", strict_min=True),
            ),
        ),
        # at the root organisation, per date and category: the accounts open on the date and
        # their end-of-day balances (core.fct_balance)
        Frame(
            "dates",
            f"""
        with {period_rows("mart_balance_band_stats")},
        dates as (select period, as_of_date from intermediate.int_periods where {PERIOD_IN_MONTHS}),
        mart as (select s.as_of_date, s.category, sum(s.accounts) as accounts, sum(s.balance) as balance
                 from marts.mart_balance_band_stats s join core.dim_org o using (org_id)
                 where o.parent_org_id is null group by all),
        accounts as (
            select d.as_of_date, a.category, count(*) as accounts, sum(b.balance_cny) as balance
            from dates d
            join core.fct_balance b on d.as_of_date >= b.valid_from and d.as_of_date < b.valid_to
            join core.dim_account a using (account_key)
            where a.open_date <= d.as_of_date and (a.close_date is null or a.close_date > d.as_of_date)
            group by all)
        select strftime(as_of_date, '%Y-%m-%d') as as_of_date, category, c.rows, c.rows_vs_previous,
               coalesce(mart.accounts, 0) as accounts, coalesce(accounts.accounts, 0) as _open_accounts,
               cast(coalesce(mart.balance, 0) - coalesce(accounts.balance, 0) as double) as _balance_gap
        from accounts full join mart using (as_of_date, category)
        join dates using (as_of_date) left join counts c using (period)""",
            (
                pair_equal("accounts", "_open_accounts", "accounts.root_counts_open_accounts"),
                near_zero("_balance_gap", "balance.root_reconciles_with_balances"),
                *rows_vs_previous(),
            ),
        ),
    ),
)

CUSTOMER_360 = MartSuite(
    "mart_customer_360",
    (
        # one row per dim_customer party: the full join shows parties missing on either side
        Frame(
            "rows",
            """
        select c.party_id, d.party_id as _dim_party_id, c.tier, c.home_org_id,
               c.open_account_count, c.product_count,
               c.product_count - c.open_account_count as _products_over_accounts,
               case when c.tier is not null and v.tier is null then c.tier end as _tier_unknown,
               t.tier as _vip_tier_of_period,
               cast(c.contribution_last_month - cc.contribution as double)
                   as _contribution_last_month_gap,
               date_diff('day', c.as_of_date,
                         (select max(as_of_date) from intermediate.int_periods)) as _days_before_latest,
               case when c.is_card_revolver and c.party_id not in (
                        select party_id from core.dim_account
                        where category = 'card' and party_id is not null)
                    then c.party_id end as _card_revolver_without_card
        from marts.mart_customer_360 c
        full join core.dim_customer d using (party_id)
        left join seeds.vip_tiers v on v.tier = c.tier
        left join marts.mart_vip_tier t on t.party_id = c.party_id and t.period = c.tier_period
        left join marts.mart_customer_contribution cc
               on cc.party_id = c.party_id and cc.period = c.contribution_period""",
            (
                not_null("party_id", name="party_id.covers_dim_customer"),
                not_null("_dim_party_id", name="party_id.in_dim_customer"),
                unique("party_id"),
                is_null("_tier_unknown", "tier.in_seed"),
                pair_equal("tier", "_vip_tier_of_period", "tier.is_vip_tier_of_period"),
                near_zero("_contribution_last_month_gap", "contribution_last_month.reconciles"),
                between("open_account_count", 0, None),
                between("_products_over_accounts", None, 0, "product_count.at_most_accounts"),
                between("_days_before_latest", 0, 0, "as_of_date.is_latest_loaded"),
                is_null("_card_revolver_without_card", "is_card_revolver.holds_a_card"),
                null_share("home_org_id"),
            ),
        ),
    ),
)

MART_SUITES: dict[str, MartSuite] = {
    s.mart: s
    for s in (
        CUSTOMER_CONTRIBUTION,
        CONTRIBUTION_SCORE,
        VIP_TIER,
        VIP_DAILY,
        MANAGER_KPI,
        TEAM_KPI,
        ALERTS,
        TOP_CORPORATE,
        BALANCE_BAND_STATS,
        CUSTOMER_360,
    )
}


# --- running --------------------------------------------------------------------------

_lock = threading.RLock()
_definitions: dict[str, Any] = {}


def suite_name(mart: str, frame: Frame) -> str:
    return mart if frame.name == "rows" else f"{mart}.{frame.name}"


def _definition(name: str, decls: tuple[Declaration, ...]):
    """The frame's ValidationDefinition in the process's GX context (made on first use, and
    again when its declarations changed: the bounds were edited)."""
    import great_expectations as gx
    import great_expectations.expectations as gxe

    with _lock:
        made = _definitions.get(name)
        if made is not None and made[0] == decls:
            return made[1]
        ctx = gx_context()
        sources = ctx.data_sources.all()
        source = sources["marts"] if "marts" in sources else ctx.data_sources.add_pandas("marts")
        if made is not None:  # the bounds changed since: the suite is made again
            ctx.validation_definitions.delete(name)
            ctx.suites.delete(name)
            source.delete_asset(name)
        batch = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe("whole")
        suite = ctx.suites.add(gx.ExpectationSuite(name=name))
        for d in decls:
            severity = "critical" if d.severity == ERROR else "warning"
            expectation = getattr(gxe, d.expectation)
            suite.add_expectation(expectation(**d.kwargs, severity=severity, meta={"name": d.name}))
        definition = ctx.validation_definitions.add(
            gx.ValidationDefinition(name=name, data=batch, suite=suite)
        )
        _definitions[name] = (decls, definition)
        return definition


def _date_literal(value: str | None, default: str) -> str:
    return f"date '{dt.date.fromisoformat(value or default).isoformat()}'"  # validated: no injection


def frame_sql(frame: Frame, min_date: str | None, max_date: str | None) -> str:
    lo, hi = _date_literal(min_date, "0001-01-01"), _date_literal(max_date, "9999-12-31")
    return frame.sql.format(lo=lo, hi=hi)


def _pandas(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    data = con.execute(sql).df()
    # GX compares datetime64[ns] vectorised, DuckDB hands over [us]
    for col in data.columns:
        if pd.api.types.is_datetime64_any_dtype(data[col]):
            data[col] = data[col].astype("datetime64[ns]")
    return data


def validate_mart(
    con: duckdb.DuckDBPyConnection,
    mart: str,
    min_date: str | None,
    max_date: str | None,
    bounds: Mapping[str, Bound] | None = None,
) -> tuple[bool, dict]:
    """Run `mart`'s suite on the work file behind `con` over the run's window (ISO dates;
    None = the whole history on that side), with the distribution bounds `bounds` (None:
    the seed's). Returns (passed, metadata): passed is False only when an `error`
    expectation failed (a failed warning is listed, with its observed value, and passes);
    metadata as `expectations.validate.summarise` plus the rows each frame checked."""
    suite = MART_SUITES[mart]
    bounds = load_bounds() if bounds is None else bounds
    outcomes: list[Outcome] = []
    rows: dict[str, int] = {}
    for frame in suite.frames:
        data = _pandas(con, frame_sql(frame, min_date, max_date))
        rows[frame.name] = len(data)
        name = suite_name(mart, frame)
        decls = frame.declarations(bounds)
        outcomes += run_validation(_definition(name, decls), data, list(decls), {})
    passed, metadata = summarise(outcomes)
    window = {"mart": mart, "min_date": min_date, "max_date": max_date}
    return passed, {**window, "rows_checked": rows, **metadata}


def validate_marts(
    work: Path,
    min_date: str | None,
    max_date: str | None,
    bounds: Mapping[str, Bound] | None = None,
) -> dict[str, tuple[bool, dict]]:
    """`validate_mart` for every mart of `MART_SUITES`, on `work` opened read-only once,
    with the seed's bounds read once."""
    bounds = load_bounds() if bounds is None else bounds
    with duckdb.connect(str(work), read_only=True) as con:
        return {mart: validate_mart(con, mart, min_date, max_date, bounds) for mart in MART_SUITES}
