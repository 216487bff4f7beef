"""The marts on generated data: reconciliations the business rules promise (docs/kpi.md, docs/vip.md),
and a run split at an arbitrary date equal to one run over every date."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from helpers import check_errors, landing_dates

from dagster_project.run import run_dbt, run_ingest
from marts.realism import realism

MARTS = [
    "mart_customer_contribution",
    "mart_contribution_score",
    "mart_vip_tier",
    "mart_vip_daily",
    "mart_manager_kpi",
    "mart_team_kpi",
    "mart_alerts",
    "mart_top_corporate",
    "mart_balance_band_stats",
    "mart_customer_360",
]


@pytest.fixture(scope="module")
def months_warehouse(warehouses) -> Path:
    """One ingest and one dbt run over every date of the three months (shared scenario)."""
    built = warehouses("months_landing", "full")
    assert not check_errors(built.built), check_errors(built.built)
    return built.warehouse


def _query(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_every_mart_is_built(months_warehouse):
    for mart in MARTS:
        assert _query(months_warehouse, f"select count(*) from marts.{mart}")[0][0] > 0, mart


def test_party_aum_equals_the_aum_accounts_average_balances(months_warehouse):
    """Σ party AUM (the VIP mart's adb_aum) = Σ ADB of the is_aum accounts of personal
    parties, per finished month."""
    rows = _query(
        months_warehouse,
        """
        with accounts as (
            select m.period, sum(m.adb_cny) as adb
            from intermediate.int_account_months m
            join core.dim_account a using (account_key)
            join core.dim_customer c using (party_id)
            where a.is_aum and c.party_kind = 'personal'
            group by m.period
        ),
        tiers as (select period, sum(adb_aum) as adb from marts.mart_vip_tier group by period)
        select t.period, t.adb, a.adb from tiers t join accounts a using (period) order by 1""",
    )
    assert [r[0] for r in rows] == ["202606", "202607"]
    for period, party_aum, account_aum in rows:
        assert party_aum == pytest.approx(account_aum, abs=1e-4), period


def test_credited_balances_over_managers_plus_pools_equal_the_total(months_warehouse):
    """Σ over managers of credited AUM ADB (the KPI mart's aum_adb actuals) + the
    organisation pools = Σ ADB of every is_aum account, per month."""
    rows = _query(
        months_warehouse,
        """
        with total as (
            select m.period, sum(m.adb_cny) as adb
            from intermediate.int_account_months m join core.dim_account a using (account_key)
            where a.is_aum group by m.period
        ),
        pool as (
            select c.period, sum(c.credited_adb_cny) as adb
            from intermediate.int_credited_balances_monthly c
            join core.dim_account a using (account_key)
            where a.is_aum and c.manager_id is null group by c.period
        ),
        managers as (
            select period, sum(actual) as adb from marts.mart_manager_kpi
            where indicator = 'aum_adb' group by period
        )
        select total.period, total.adb, managers.adb + pool.adb
        from total join pool using (period) join managers using (period) order by 1""",
    )
    assert len(rows) == 3
    for period, total, credited in rows:
        assert credited == pytest.approx(total, abs=1e-4), period


def test_tier_counts_equal_the_personal_parties_with_aum_history(months_warehouse):
    rows = _query(
        months_warehouse,
        """
        with history as (
            select party_id, min(period) as first_period
            from intermediate.int_party_months
            where party_kind = 'personal' and adb_aum > 0 group by party_id
        )
        select p.period, count(h.party_id),
            (select count(*) from marts.mart_vip_tier t where t.period = p.period)
        from intermediate.int_periods p
        left join history h on h.first_period <= p.period
        where p.is_finished group by p.period order by 1""",
    )
    assert len(rows) == 2
    for period, parties, tiered in rows:
        assert tiered == parties > 0, period


def test_a_run_split_at_any_date_equals_one_run(months_landing, months_warehouse, tmp_path):
    """The same batches arriving in two parts, the second from mid-July, each ingested and
    built (as `crmwh run` does): July is rebuilt whole, the VIP tiers carry June's state,
    the alerts continue, and every mart equals the one-run build."""
    dates = landing_dates(months_landing)
    split = dates.index("20260720")
    landing, data = tmp_path / "landing", tmp_path / "split"
    landing.mkdir()
    instance = dg.DagsterInstance.ephemeral()
    for window in (dates[:split], dates[split:]):
        for day in window:
            for path in months_landing.glob(f"*_{day}.*"):
                shutil.copy2(path, landing / path.name)
        assert run_ingest(landing, data, instance).success
        built = run_dbt(data, instance, dates=[window[0], window[-1]])
        assert built.success and not check_errors(built), check_errors(built)
    with duckdb.connect() as con:
        con.execute(f"attach '{data / 'warehouse' / 'work.duckdb'}' as split (read_only)")
        con.execute(f"attach '{months_warehouse}' as one_run (read_only)")
        for mart in MARTS:
            for a, b in (("split", "one_run"), ("one_run", "split")):
                diff = con.execute(
                    f"select count(*) from (select * from {a}.marts.{mart} "
                    f"except all select * from {b}.marts.{mart})"
                ).fetchone()[0]
                assert diff == 0, f"{mart}: {diff} rows of {a} not in {b}"


def test_the_figures_a_banker_checks_first_are_realistic(months_warehouse):
    """Issue 18's realism check on this seed (3): risk cost a fraction of net interest income,
    the mortgage book profitable, most card holders transactors, corporate outflow alerts
    the exception, no DORMANT firing on the first date (marts/realism.py)."""
    result = realism(months_warehouse)
    assert not result.failed, result.report()


def test_alerts_record_the_opening_state_and_chase_customer_debits_only(months_warehouse):
    """Issue 18: the accounts already dormant (or loans already overdue) on the first loaded
    date are the opening state, not firings; LARGE_DEBIT fires only on customer-initiated
    debits of demand and current accounts (no time-deposit payout at maturity)."""
    first_date = _query(months_warehouse, "select min(biz_date) from intermediate.int_alert_dates")[0][0]
    rows = _query(
        months_warehouse,
        f"""
        select rule_id, is_baseline, as_of_date = date '{first_date}' as on_first_date, count(*)
        from marts.mart_alerts where rule_id in ('DORMANT', 'LOAN_OVERDUE')
        group by all""",
    )
    counts = {(rule, baseline, first): n for rule, baseline, first, n in rows}
    assert counts.get(("DORMANT", False, True), 0) == 0
    assert not any(baseline and not first for (_, baseline, first) in counts)
    wrong = _query(
        months_warehouse,
        """
        select a.txn_id, h.product_code, t.txn_code
        from marts.mart_alerts a
        join core.fct_transaction t using (txn_id)
        join core.dim_account_history h
            on h.account_key = a.account_key
            and h.valid_from <= a.as_of_date and h.valid_to > a.as_of_date
        where a.rule_id = 'LARGE_DEBIT'
            and (h.product_code not in ('SAV-DD', 'ACC-DD') or not t.is_customer_initiated)""",
    )
    assert wrong == []
