"""Mart suites (expectations/marts.py) and Data Docs (expectations/data_docs.py) on a small
hand-built work file: a consistent little warehouse whose ten marts pass, then one break
of each kind (a fanned-out join, a reconciliation off by 1 CNY, a score of 101) that must
fail with its expectation named and observed; and distributions outside their bounds (a
null-organisation share, a bank of mostly VIPs) that warn, with the observed value, unless
the seed `mart_check_bounds` makes the check blocking.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import duckdb
import pytest

from expectations.data_docs import build_data_docs
from expectations.marts import (
    MART_SUITES,
    Bound,
    load_bounds,
    validate_mart,
    validate_marts,
)

PERIODS = [  # (period, period_start, as_of_date)
    ("202606", dt.date(2026, 6, 1), dt.date(2026, 6, 30)),
    ("202607", dt.date(2026, 7, 1), dt.date(2026, 7, 31)),
]
LATEST = PERIODS[-1]
PERSONAL = [f"P{i:02d}" for i in range(40)]
CORPORATE = ["C1", "C2"]
ORG = "O1"  # the root organisation (every party's home outlet too)


def aum(party: str) -> float:
    """30 mass parties (50,000) and 10 gold (200,000); corporates hold deposits."""
    if party in CORPORATE:
        return 1_000_000.0 if party == "C1" else 400_000.0
    return 200_000.0 if int(party[1:]) < 10 else 50_000.0


def tier(party: str) -> tuple[str, int]:
    return ("gold", 1) if aum(party) >= 100_000 else ("mass", 0)


DDL = """
create schema marts; create schema core; create schema intermediate; create schema seeds;
create table seeds.vip_tiers (tier varchar, tier_rank integer, min_aum_cny decimal(18,2));
insert into seeds.vip_tiers values ('mass', 0, 0), ('gold', 1, 100000);
create table seeds.kpi_indicators (indicator varchar, kind varchar, cap decimal(9,6));
insert into seeds.kpi_indicators values ('aum_adb', 'level', 1.2);
create table seeds.alert_rules (rule_id varchar, entity_type varchar, severity varchar,
    fires_on varchar);
insert into seeds.alert_rules values ('DORMANT', 'account', 'low', 'entry'),
    ('AUM_DROP', 'customer', 'high', 'entry'), ('LOAN_OVERDUE', 'account', 'medium', 'entry');
create table seeds.alert_loan_overdue_thresholds (overdue_days integer, severity varchar);
insert into seeds.alert_loan_overdue_thresholds values (30, 'medium'), (90, 'high');
create table seeds.top_corporate_parameters (parameter varchar, value decimal(18,6));
insert into seeds.top_corporate_parameters values ('top_n', 10);
create table seeds.contribution_models (model_id varchar, segment varchar);
insert into seeds.contribution_models values ('PERS', 'personal'), ('CORP', 'corporate');
create table seeds.balance_bands (band_id varchar, lower_cny decimal(18,2), upper_cny decimal(18,2));
insert into seeds.balance_bands values ('lt_100k', null, 100000), ('ge_100k', 100000, null);

create table core.dim_customer (party_id varchar, party_kind varchar);
create table core.dim_account (account_key varchar, party_id varchar, is_aum boolean,
    category varchar, open_date date, close_date date);
create table core.dim_org (org_id varchar, parent_org_id varchar);
insert into core.dim_org values ('O1', null);
create table core.dim_manager_history (manager_id varchar);
insert into core.dim_manager_history values ('M1');
create table core.dim_team_history (team_id varchar);
insert into core.dim_team_history values ('T1');
create table core.fct_balance (account_key varchar, valid_from date, valid_to date,
    balance_cny decimal(18,8));
create table intermediate.int_periods (period varchar, period_start date, as_of_date date,
    is_finished boolean, days integer, days_in_month integer);
create table intermediate.int_account_months (account_key varchar, period varchar, adb_cny double);
create table intermediate.int_party_months (party_id varchar, party_kind varchar, period varchar,
    adb_aum double);
create table intermediate.int_account_contributions_monthly (account_key varchar,
    party_id varchar, period varchar, period_start date, provision_start_cny decimal(38,10),
    provision_end_cny decimal(38,10));

create table marts.mart_customer_contribution (party_id varchar, period varchar,
    period_start date, segment varchar, home_org_id varchar, account_count integer,
    product_count integer, txn_count integer, supplement_count integer, nii decimal(38,10),
    fee_income decimal(38,10), operating_cost decimal(38,10), risk_cost decimal(38,10),
    contribution decimal(38,10), aum_adb decimal(38,10));
create table marts.mart_contribution_score (party_id varchar, period varchar, period_start date,
    model_id varchar, score decimal(38,10), segment varchar, factor_count integer,
    aum_adb_rank decimal(38,10), deposit_adb_rank decimal(38,10), loan_adb_rank decimal(38,10),
    nii_rank decimal(38,10), fee_income_rank decimal(38,10), contribution_rank decimal(38,10),
    product_count_rank decimal(38,10));
create table marts.mart_vip_tier (party_id varchar, period varchar, period_start date,
    adb_aum double, raw_tier varchar, tier varchar, tier_rank integer, tier_status varchar,
    watch_months integer, home_org_id varchar);
create table marts.mart_vip_daily (as_of_date date, period varchar, party_id varchar,
    mtd_adb_aum double, tier varchar, tier_rank integer, mtd_raw_tier varchar,
    mtd_raw_tier_rank integer, gap_to_next_tier double, home_org_id varchar);
create table marts.mart_manager_kpi (manager_id varchar, period varchar, period_start date,
    indicator varchar, completion decimal(38,10), score decimal(38,10), weight decimal(38,10),
    cap decimal(38,10), numerator decimal(38,10), team_id varchar, org_id varchar,
    rank_in_team integer, rank_in_org integer, kind varchar, target decimal(38,10),
    target_to_date decimal(38,10));
create table marts.mart_team_kpi (team_id varchar, period varchar, period_start date,
    indicator varchar, completion decimal(38,10), score decimal(38,10), numerator decimal(38,10),
    manager_count integer, parent_team_id varchar, team_level integer, org_id varchar,
    rank_among_siblings integer, weight decimal(38,10), members_scored integer,
    members_left_out integer);
create table marts.mart_alerts (as_of_date date, rule_id varchar, entity_type varchar,
    entity_id varchar, severity varchar, party_id varchar, org_id varchar, txn_id varchar,
    threshold_days integer, is_baseline boolean);
create table marts.mart_top_corporate (as_of_date date, org_id varchar, measure varchar,
    rank integer, party_id varchar, value decimal(38,10), period varchar, period_start date);
create table marts.mart_balance_band_stats (as_of_date date, org_id varchar, segment varchar,
    category varchar,
    band_id varchar, accounts bigint, parties bigint, balance decimal(38,10), period varchar,
    period_start date);
create table marts.mart_customer_360 (party_id varchar, as_of_date date, tier varchar,
    tier_period varchar, open_account_count bigint, product_count bigint,
    contribution_last_month decimal(38,10), contribution_period varchar, home_org_id varchar,
    is_card_revolver boolean);
"""


def build_world(path: Path) -> None:
    """A consistent work file: every mart agrees with the layers below it."""
    con = duckdb.connect(str(path))
    con.execute(DDL)
    rows: dict[str, list[tuple]] = {}

    def add(table: str, *values) -> None:
        rows.setdefault(table, []).append(values)

    for p, start, as_of in PERIODS:
        add("intermediate.int_periods", p, start, as_of, True, as_of.day, as_of.day)
    provision = {p: (i, i + 1) for i, (p, _, _) in enumerate(PERIODS)}  # risk cost 1 a month
    for party in PERSONAL + CORPORATE:
        kind = "corporate" if party in CORPORATE else "personal"
        account = f"SAV:{party}"
        add("core.dim_customer", party, kind)
        add("core.dim_account", account, party, True, "deposit", dt.date(2026, 1, 1), None)
        add("core.fct_balance", account, dt.date(2026, 6, 1), dt.date(2026, 8, 1), aum(party))
        for p, start, _ in PERIODS:
            add("intermediate.int_account_months", account, p, aum(party))
            add("intermediate.int_party_months", party, kind, p, aum(party))
            add(
                "intermediate.int_account_contributions_monthly", account, party, p, start, *provision[p]
            )
            contribution = (party, p, start, kind, ORG, 1, 1, 4, 0, 10, 2, 3, 1, 8, aum(party))
            add("marts.mart_customer_contribution", *contribution)
            ranks = [None, None, None, None, 50, 50, None]  # fee_income, contribution
            model = "CORP" if kind == "corporate" else "PERS"
            add("marts.mart_contribution_score", party, p, start, model, 50, kind, 2, *ranks)
            if kind == "personal":
                t, rank = tier(party)
                status = "new" if p == PERIODS[0][0] else "same"
                add("marts.mart_vip_tier", party, p, start, aum(party), t, t, rank, status, 0, ORG)
        if kind == "personal":
            t, rank = tier(party)
            gap = max(0.0, 100_000 - aum(party)) if t == "mass" else 400_000.0
            daily = (LATEST[2], LATEST[0], party, aum(party), t, rank, t, rank, gap, ORG)
            add("marts.mart_vip_daily", *daily)
        customer_tier = tier(party)[0] if kind == "personal" else None
        c360 = (
            party,
            LATEST[2],
            customer_tier,
            LATEST[0] if customer_tier else None,
            1,
            1,
            8,
            LATEST[0],
            ORG,
            False,
        )
        add("marts.mart_customer_360", *c360)
    for p, start, as_of in PERIODS:
        kpi = ("M1", p, start, "aum_adb", 1, 20, 0.2, 1.2, 100, "T1", ORG, 1, 1, "level", 100, 100)
        add("marts.mart_manager_kpi", *kpi)
        # the total: Σ scores ÷ Σ weights scored = 20 / 0.2
        total = ("M1", p, start, "total", None, 100, 0.2, None, None, "T1", ORG, 1, 1, None, None, None)
        add("marts.mart_manager_kpi", *total)
        add("marts.mart_team_kpi", "T1", p, start, "aum_adb", 1, 20, 100, 1, None, 1, ORG, 1, 0.2, 1, 0)
        add(
            "marts.mart_team_kpi",
            "T1",
            p,
            start,
            "total",
            None,
            100,
            None,
            1,
            None,
            1,
            ORG,
            1,
            0.2,
            None,
            None,
        )
        for rank, party in enumerate(CORPORATE, start=1):
            add("marts.mart_top_corporate", as_of, ORG, "deposit_adb", rank, party, aum(party), p, start)
        for segment, band, members in (
            ("personal", "lt_100k", [x for x in PERSONAL if aum(x) < 100_000]),
            ("personal", "ge_100k", [x for x in PERSONAL if aum(x) >= 100_000]),
            ("corporate", "ge_100k", [x for x in CORPORATE if aum(x) >= 100_000]),
        ):
            balance = sum(aum(x) for x in members)
            add(
                "marts.mart_balance_band_stats",
                as_of,
                ORG,
                segment,
                "deposit",
                band,
                len(members),
                len(members),
                balance,
                p,
                start,
            )
    add(
        "marts.mart_alerts",
        dt.date(2026, 7, 10),
        "DORMANT",
        "account",
        "SAV:P20",
        "low",
        "P20",
        ORG,
        None,
        None,
        False,
    )
    add(
        "marts.mart_alerts",
        dt.date(2026, 7, 11),
        "AUM_DROP",
        "customer",
        "P21",
        "high",
        "P21",
        ORG,
        None,
        None,
        False,
    )
    add(
        "marts.mart_alerts",
        dt.date(2026, 7, 11),
        "LOAN_OVERDUE",
        "account",
        "CRD:P22",
        "high",
        "P22",
        ORG,
        None,
        90,
        False,
    )
    for table, values in rows.items():
        marks = ", ".join("?" * len(values[0]))
        con.executemany(f"insert into {table} values ({marks})", values)
    con.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("marts") / "work.duckdb"
    build_world(path)
    return path


@pytest.fixture
def broken(world, tmp_path):
    """A copy of the good world, opened for writing: the test breaks it, then validates."""
    path = tmp_path / "work.duckdb"
    shutil.copy(world, path)
    con = duckdb.connect(str(path))
    yield con
    con.close()


def test_every_mart_of_a_consistent_warehouse_passes(world):
    results = validate_marts(world, None, None)
    assert set(results) == set(MART_SUITES)
    failed = {m: meta["failed_errors"] + meta["failed_warnings"] for m, (_, meta) in results.items()}
    assert failed == {m: [] for m in MART_SUITES}
    passed, meta = results["mart_customer_contribution"]
    assert passed and meta["rows_checked"] == {"rows": 84, "periods": 2}
    recon = meta["results"]["aum_adb.reconciles_with_accounts"]
    assert recon["success"] and recon["element_count"] == 2
    assert results["mart_vip_tier"][1]["results"]["tier.mass_share"]["success"]


def test_a_fanned_out_join_fails_the_key_and_the_reconciliation(broken):
    # a join that matched two rows duplicates a party's month
    broken.execute(
        "insert into marts.mart_customer_contribution select * from marts.mart_customer_contribution "
        "where party_id = 'P03' and period = '202607'"
    )
    passed, meta = validate_mart(broken, "mart_customer_contribution", None, None)
    assert not passed
    assert {"party_id,period.unique", "aum_adb.reconciles_with_accounts"} <= set(meta["failed_errors"])
    key = meta["results"]["party_id,period.unique"]
    assert key["unexpected_count"] == 2  # both copies of the row
    assert meta["results"]["aum_adb.reconciles_with_accounts"]["partial_unexpected_list"] == [200_000.0]
    # the rows per period: 43 against 42 is within the warning bound
    assert meta["results"]["rows.no_jump"]["success"]


def test_risk_cost_is_the_change_of_provisions_and_may_be_negative(broken):
    # a release (a loan repaid: provision 1 -> 0 in July) is a negative risk cost, and fine
    broken.execute(
        "update intermediate.int_account_contributions_monthly set provision_end_cny = 0 "
        "where party_id = 'P05' and period = '202607'"
    )
    broken.execute(
        "update marts.mart_customer_contribution set risk_cost = -1, contribution = 10 "
        "where party_id = 'P05' and period = '202607'"
    )
    passed, meta = validate_mart(broken, "mart_customer_contribution", None, None)
    assert passed and meta["failed_errors"] == [] and meta["failed_warnings"] == []
    # a mart whose risk cost is not the accounts' provision change fails
    broken.execute(
        "update marts.mart_customer_contribution set risk_cost = 0, contribution = 9 "
        "where party_id = 'P05' and period = '202607'"
    )
    passed, meta = validate_mart(broken, "mart_customer_contribution", None, None)
    assert not passed and meta["failed_errors"] == ["risk_cost.is_change_of_provisions"]
    # a month starting from another stock than the month before ended with only warns
    broken.execute(
        "update marts.mart_customer_contribution set risk_cost = -1, contribution = 10 "
        "where party_id = 'P05' and period = '202607'"
    )
    broken.execute(
        "update intermediate.int_account_contributions_monthly set provision_start_cny = 3, "
        "provision_end_cny = 2 where party_id = 'P05' and period = '202607'"
    )
    passed, meta = validate_mart(broken, "mart_customer_contribution", None, None)
    assert passed and meta["failed_warnings"] == ["risk_cost.provisions_chain"]
    assert meta["results"]["risk_cost.provisions_chain"]["partial_unexpected_list"] == [2.0]


def test_a_reconciliation_off_by_one_cny_fails(broken):
    broken.execute(
        "update marts.mart_vip_tier set adb_aum = adb_aum + 1 "
        "where party_id = 'P15' and period = '202607'"
    )
    passed, meta = validate_mart(broken, "mart_vip_tier", None, None)
    assert not passed and meta["failed_errors"] == ["adb_aum.reconciles_with_party_months"]
    observed = meta["results"]["adb_aum.reconciles_with_party_months"]
    assert observed["unexpected_count"] == 1
    assert observed["partial_unexpected_list"] == [pytest.approx(1.0)]


def test_a_null_org_share_above_the_bound_warns_unless_the_seed_makes_it_block(broken):
    # 3 of 42 parties (7%) lost their home outlet, above the 2% bound
    bounds = load_bounds()
    assert bounds["null_org_share"] == Bound(None, 0.02, blocking=False)
    broken.execute(
        "update marts.mart_customer_contribution set home_org_id = null "
        "where party_id in ('P01', 'P02', 'P03')"
    )
    passed, meta = validate_mart(broken, "mart_customer_contribution", None, None)
    assert passed and meta["failed_errors"] == []
    assert meta["failed_warnings"] == ["home_org_id.null_share"]
    observed = meta["results"]["home_org_id.null_share"]
    assert observed["severity"] == "warn"
    assert observed["unexpected_count"] == 6  # 3 parties x 2 months
    assert observed["unexpected_percent"] == pytest.approx(100 * 6 / 84)
    # a bank that wants it to block says so in the seed
    blocking = bounds | {"null_org_share": Bound(None, 0.02, blocking=True)}
    passed, meta = validate_mart(broken, "mart_customer_contribution", None, None, blocking)
    assert not passed and meta["failed_errors"] == ["home_org_id.null_share"]
    # and the suite made for it does not outlive the bounds: the seed's warn again
    assert validate_mart(broken, "mart_customer_contribution", None, None)[0]


def test_a_bank_of_mostly_vips_warns_with_the_observed_share(broken):
    # a private-banking subsidiary: 30 of 40 personal parties gold, not mass
    broken.execute(
        "update marts.mart_vip_daily set tier = 'gold', tier_rank = 1, mtd_raw_tier = 'gold', "
        "mtd_raw_tier_rank = 1 where party_id < 'P30'"
    )
    passed, meta = validate_mart(broken, "mart_vip_daily", None, None)
    assert passed and meta["failed_warnings"] == ["tier.mass_share"]
    assert meta["results"]["tier.mass_share"]["observed_value"] == pytest.approx(10 / 40)
    # a bound moved to fit the bank: nothing to warn about
    fitted = load_bounds() | {"mass_share": Bound(0.2, 0.98)}
    passed, meta = validate_mart(broken, "mart_vip_daily", None, None, fitted)
    assert passed and meta["failed_warnings"] == []


def test_the_seed_bounds_are_todays_defaults_and_none_blocks():
    bounds = load_bounds()
    assert bounds == {
        "null_org_share": Bound(None, 0.02),
        "mass_share": Bound(0.50, 0.98),
        "rows_vs_previous_drop": Bound(0.80, None),
        "rows_vs_previous_jump": Bound(None, 1.25),
        "alerts_per_party": Bound(0.0, 0.10),
    }
    # every distribution check takes its severity from the seed: warn by default
    severities = {
        d.name: d.severity
        for suite in MART_SUITES.values()
        for d in suite.declarations(bounds)
        if d.name.endswith(("null_share", "mass_share", "no_drop", "no_jump", "per_party"))
    }
    assert set(severities.values()) == {"warn"}
    assert {"tier.mass_share", "alerts.per_party", "rows.no_drop"} <= set(severities)


def test_a_score_of_101_fails(broken):
    broken.execute("update marts.mart_contribution_score set score = 101 where party_id = 'P07'")
    passed, meta = validate_mart(broken, "mart_contribution_score", None, None)
    assert not passed and meta["failed_errors"] == ["score.in_range"]
    observed = meta["results"]["score.in_range"]
    assert observed["unexpected_count"] == 2 and observed["partial_unexpected_list"] == [101.0, 101.0]


def test_a_kpi_total_that_is_the_plain_sum_fails(broken):
    # the total is Σ scores ÷ Σ weights scored (20 / 0.2 = 100), not Σ scores (20); a flow
    # target pro-rated on a level indicator breaks time progress
    broken.execute("update marts.mart_manager_kpi set score = 20 where indicator = 'total'")
    broken.execute("update marts.mart_manager_kpi set target_to_date = 50 where period = '202607'")
    passed, meta = validate_mart(broken, "mart_manager_kpi", None, None)
    assert not passed
    assert meta["failed_errors"] == [
        "total.is_scores_per_weight_scored",
        "target_to_date.time_progress",
    ]


def test_a_break_outside_the_runs_window_is_not_checked(broken):
    broken.execute("update marts.mart_contribution_score set score = 101 where period = '202606'")
    assert validate_mart(broken, "mart_contribution_score", "2026-07-01", "2026-07-31")[0]
    passed, meta = validate_mart(broken, "mart_contribution_score", "2026-06-15", "2026-07-31")
    assert not passed and meta["results"]["score.in_range"]["unexpected_count"] == 42


def test_cross_table_rules_fail(broken):
    # an alert of a rule the seed does not know, and a top-corporate list out of order
    broken.execute("update marts.mart_alerts set rule_id = 'NO_SUCH_RULE' where entity_id = 'P21'")
    broken.execute("update marts.mart_top_corporate set value = 1 where party_id = 'C1'")
    passed, meta = validate_mart(broken, "mart_alerts", None, None)
    assert not passed
    assert meta["results"]["rule_id.in_seed"]["partial_unexpected_list"] == ["NO_SUCH_RULE"]
    passed, meta = validate_mart(broken, "mart_top_corporate", None, None)
    assert not passed
    assert {"rank.is_rank_of_value", "deposit_adb.root_reconciles_with_accounts"} <= set(
        meta["failed_errors"]
    )


def test_data_docs_name_the_suites(world, tmp_path):
    validate_marts(world, None, None)
    site = tmp_path / "docs" / "gx"
    site.mkdir(parents=True)
    (site / "stale.html").write_text("from an earlier run")
    index = build_data_docs(site)
    assert index == site / "index.html" and index.exists()
    html = index.read_text(encoding="utf-8")
    for mart in MART_SUITES:
        assert mart in html
    assert not (site / "stale.html").exists()  # the site is replaced whole
    assert list((site / "validations" / "mart_vip_tier").rglob("*.html"))


@pytest.mark.skipif(
    not os.environ.get("CRMWH_DEV_WORK"),
    reason="set CRMWH_DEV_WORK to a copy of the dev work.duckdb (10k customers x 125 days)",
)
def test_dev_data_passes():
    results = validate_marts(Path(os.environ["CRMWH_DEV_WORK"]), None, None)
    assert {m: meta["failed_errors"] for m, (_, meta) in results.items()} == {m: [] for m in MART_SUITES}


def test_the_opening_state_of_alerts_is_not_counted_as_firings(broken):
    # every account dormant when the warehouse starts: 30 opening-state rows on one date
    broken.execute(
        "insert into marts.mart_alerts select date '2026-07-01', 'DORMANT', 'account', "
        "'SAV:' || party_id, 'low', party_id, 'ORG', null, null, true "
        "from core.dim_customer where party_id < 'P30'"
    )
    passed, meta = validate_mart(broken, "mart_alerts", None, None)
    assert passed and "alerts.per_party" not in meta["failed_warnings"]
    # the same rows as firings are a flood
    broken.execute("update marts.mart_alerts set is_baseline = false where as_of_date = '2026-07-01'")
    passed, meta = validate_mart(broken, "mart_alerts", None, None)
    assert passed and "alerts.per_party" in meta["failed_warnings"]
    # only a state rule records an opening state
    broken.execute("update marts.mart_alerts set is_baseline = true where rule_id = 'LOAN_OVERDUE'")
    broken.execute("update seeds.alert_rules set fires_on = 'event' where rule_id = 'LOAN_OVERDUE'")
    passed, meta = validate_mart(broken, "mart_alerts", None, None)
    assert not passed and "is_baseline.state_rules_only" in meta["failed_errors"]
