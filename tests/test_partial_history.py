"""Partial histories are normal: a bank whose deliveries start on 2026-08-11.

The first run sees 08-11 .. 08-30: no CRM TARGET has come yet (it comes on the 1st), so the
raw zone has no `crm/target` folder, and no month has finished. The second run adds 08-31 ..
09-04: August is the one finished month, without targets; September's targets arrive on
09-01. Both runs go through the whole pipeline (`run_pipeline`: ingest, dbt, the mart
suites, publish, exports) and must publish; the notebooks run on both warehouses and on
one where no alert has fired. A few contacts carry codes CRM added without notice: they
are kept, reported in `core.exc_unknown_codes`, and never stop the build.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from helpers import check_errors, copy_tree, landing_dates

from crmwh.cli import main
from crmwh.notebooks import execute, sources

FIRST_RUN_LAST_DATE = "20260830"


@dataclass(frozen=True)
class Runs:
    first: dg.ExecuteInProcessResult  # the build of the first run (to 08-30)
    second: dg.ExecuteInProcessResult  # the build of the second run (to 09-04)
    first_data: Path  # a copy of the data folder after the first run
    data: Path  # the data folder after the second run


def scalar(db: Path, sql: str):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchone()[0]


def rows(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def runs(partial_landing, tmp_path_factory) -> Runs:
    from dagster_project.run import run_pipeline

    root = tmp_path_factory.mktemp("partial_runs")
    first_landing, data = root / "landing_to_0830", root / "data"
    first_landing.mkdir()
    for path in partial_landing.iterdir():
        if path.is_file() and path.stem.rsplit("_", 1)[-1] <= FIRST_RUN_LAST_DATE:
            shutil.copy2(path, first_landing / path.name)
    assert landing_dates(first_landing)[-1] == FIRST_RUN_LAST_DATE
    assert not list(first_landing.glob("CRM_TARGET_*"))

    first = run_pipeline(first_landing, data, dg.DagsterInstance.ephemeral())
    assert first.built is not None and first.built.success, check_errors(first.built)
    first_data = copy_tree(data, root / "first_data")
    second = run_pipeline(partial_landing, data, dg.DagsterInstance.ephemeral())
    assert second.built is not None and second.built.success, check_errors(second.built)
    return Runs(first.built, second.built, first_data, data)


def published(data: Path) -> Path:
    return data / "warehouse" / "crm.duckdb"


def test_an_entity_not_delivered_yet_is_an_empty_staging_model(runs):
    assert not (runs.first_data / "raw" / "crm" / "target").exists()
    work = runs.first_data / "warehouse" / "work.duckdb"
    columns = rows(
        work,
        "select column_name, data_type from duckdb_columns() "
        "where schema_name = 'staging' and table_name = 'stg_crm__targets' order by column_index",
    )
    assert ("period", "VARCHAR") in columns and ("target_value", "DECIMAL(18,6)") in columns
    assert ("biz_date", "DATE") in columns
    # the view keeps the typed, empty select: a later dbt call rebuilds it over the files
    assert scalar(work, "select count(*) from staging.stg_crm__targets") == 0


def test_the_first_run_publishes_the_month_to_date(runs):
    db = published(runs.first_data)
    assert scalar(db, "select max_date from meta.published").isoformat() == "2026-08-30"
    for mart in ("mart_vip_daily", "mart_customer_360", "mart_manager_kpi", "mart_alerts"):
        assert scalar(db, f"select count(*) from marts.{mart}") > 0, mart
    # no month has finished: the tier history is empty, not an error
    assert scalar(db, "select count(*) from marts.mart_vip_tier") == 0
    # no target: every completion is NULL, and so every score
    kpi = rows(db, "select count(*), count(completion), count(score) from marts.mart_manager_kpi")
    assert kpi[0][0] > 0 and kpi[0][1:] == (0, 0)


def test_a_first_month_without_targets_has_null_completion(runs):
    db = published(runs.data)
    assert scalar(db, "select max_date from meta.published").isoformat() == "2026-09-04"
    assert rows(db, "select distinct period from marts.mart_vip_tier") == [("202608",)]
    by_month = dict(
        rows(
            db,
            "select period, count(completion) from marts.mart_manager_kpi "
            "where indicator <> 'total' group by period",
        )
    )
    assert by_month["202608"] == 0  # no target: NULL, not 0 and not an error
    assert by_month["202609"] > 0  # the targets of 09-01


def test_distribution_checks_warn_and_never_block(runs):
    for build in (runs.first, runs.second):
        suites = [e for e in build.get_asset_check_evaluations() if e.check_name == "gx_suite"]
        assert len(suites) == 10
        failed = [e for e in suites if not e.passed]
        assert all(e.severity == dg.AssetCheckSeverity.WARN for e in failed)
        for e in failed:  # what warned, with the value observed
            names = e.metadata["failed_warnings"].value
            observed = e.metadata["observed"].value
            assert names and e.metadata["failed_errors"].value == []
            assert all(not observed[n]["success"] and observed[n]["severity"] == "warn" for n in names)
    # 300 customers, 20 days: some distribution is off (a tiny bank)
    assert any(
        not e.passed for e in runs.first.get_asset_check_evaluations() if e.check_name == "gx_suite"
    )


def test_unknown_crm_codes_are_kept_reported_and_only_warn(runs):
    work = runs.data / "warehouse" / "work.duckdb"
    assert rows(
        work,
        "select column_name, code, row_count, first_date::varchar, last_date::varchar "
        "from core.exc_unknown_codes order by column_name",
    ) == [
        ("method", "email", 1, "2026-08-11", "2026-08-11"),
        ("outcome", "callback", 3, "2026-08-11", "2026-08-12"),
    ]
    assert scalar(work, "select count(*) from staging.stg_crm__contacts where outcome = 'callback'") == 3
    test = next(
        e
        for e in runs.second.get_asset_check_evaluations()
        if e.check_name == "assert_vip_contact_outcomes_are_known"
    )
    assert not test.passed and test.severity == dg.AssetCheckSeverity.WARN


@pytest.mark.parametrize("state", ["first", "second"])
def test_notebooks_run_on_a_partial_history(runs, state, tmp_path, capsys):
    data = runs.first_data if state == "first" else runs.data
    assert main(["notebooks", "--data", str(data), "--out", str(tmp_path)]) == 0, capsys.readouterr().err
    assert len(list(tmp_path.glob("0*.html"))) == len(sources())


def test_the_alert_notebook_runs_when_no_alert_fired(runs, tmp_path):
    data = copy_tree(runs.first_data, tmp_path / "data")
    with duckdb.connect(str(published(data))) as con:
        con.execute("delete from marts.mart_alerts")
    for folder in list((data / "exports").resolve().rglob("mart_alerts")):
        shutil.rmtree(folder)  # an empty mart exports no file
    notebook = next(p for p in sources() if "alert" in p.stem)
    nb = execute(notebook, data)
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "No alert has fired" in printed
