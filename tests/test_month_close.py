"""Month close 封账 (spec section 8) on the demo warehouse (600 customers, 2026-06-01 ..
09-08: June and July are closed, August and September open):

- a seed edited after a month closed changes the open months only;
- a restated batch of a closed month (July) leaves every closed month's rows as they were
  and is listed in quality.pending_restatements, while a restated batch of an open month
  (August) is taken in at once;
- `crmwh restate --period 202607` then gives the marts of a clean rebuild of the same
  landing folder, keeps exactly the replaced rows in `history.*`, and records itself.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from helpers import copy_tree, mart_differences, restate

from crmwh.cli import main
from crmwh.summary import marts_summary
from dagster_project.defs.dbt import monthly_marts
from dagster_project.run import run_pipeline
from marts.month_close import monthly_window_start

ROOT = Path(__file__).resolve().parents[1]
CLOSED, OPEN = ("202606", "202607"), ("202608", "202609")
LATE_CLOSED, LATE_OPEN = "20260720", "20260815"  # restated SAV batches (July, August)


def _rows_by_period(published: Path, periods: tuple[str, ...]) -> dict[str, list]:
    """Every monthly mart's rows of `periods`, sorted (as text: the rows as published)."""
    out = {}
    with duckdb.connect(str(published), read_only=True) as con:
        for mart, (column, grain) in monthly_marts().items():
            month = column if grain == "month" else f"date_trunc('month', {column})"
            out[mart] = con.execute(
                f"select * from marts.{mart} where strftime({month}, '%Y%m') in "
                f"({', '.join('?' * len(periods))}) order by all",
                list(periods),
            ).fetchall()
    return out


def _published(data: Path) -> Path:
    return data / "warehouse" / "crm.duckdb"


@pytest.fixture(scope="module")
def restated(demo_data, tmp_path_factory) -> dict:
    """The demo with a July and an August SAV batch re-delivered, then run (one stage), and
    then restated from July (the next stage, on a copy)."""
    root = tmp_path_factory.mktemp("month_close")
    landing = copy_tree(demo_data.parent / "landing", root / "landing")
    data = copy_tree(demo_data, root / "data")
    before = root / "before.duckdb"
    shutil.copyfile(_published(data), before)
    restate(landing, "SAV", LATE_CLOSED)
    restate(landing, "SAV", LATE_OPEN)
    result = run_pipeline(landing, data, dg.DagsterInstance.ephemeral())
    assert result.success
    after_run = root / "after_run.duckdb"
    shutil.copyfile(_published(data), after_run)
    os.environ["DAGSTER_HOME"] = str(root / "dagster_home")  # crmwh's own storage, not ./
    try:
        code = main(
            ["restate", "--period", "202607", "--reason", "SAV 20260720 v2", "--data", str(data)]
        )
    finally:
        os.environ.pop("DAGSTER_HOME")
    return {
        "root": root,
        "landing": landing,
        "data": data,
        "before": before,
        "after_run": after_run,
        "restate_code": code,
    }


def test_the_demo_closes_june_and_july(demo_data):
    with duckdb.connect(str(_published(demo_data)), read_only=True) as con:
        closed = [r[0] for r in con.execute("select period from meta.month_close order by 1").fetchall()]
        (latest,) = con.execute("select max(biz_date) from meta.published_batches").fetchone()
    assert closed == list(CLOSED), (closed, latest)  # latest 09-08: August closes on 09-10
    assert str(monthly_window_start(demo_data / "warehouse" / "work.duckdb")) == "2026-08-01"


def test_a_seed_edited_after_the_close_changes_only_the_open_months(demo_data, tmp_path):
    """The contribution model's weights edited, and the monthly models rebuilt as a run
    does (window from the first open month): closed months keep their scores."""
    data = copy_tree(demo_data, tmp_path / "data")
    project = tmp_path / "dbt"
    shutil.copytree(ROOT / "dbt", project, ignore=shutil.ignore_patterns("target", "logs"))
    seed = project / "seeds" / "contribution_models.csv"
    rows = list(csv.DictReader(seed.open(encoding="utf-8")))
    for row in rows:  # PERS_V1: AUM 0.40 -> 0.15, product count 0.15 -> 0.40
        if row["model_id"] == "PERS_V1" and row["factor"] in ("aum_adb", "product_count"):
            row["weight"] = "0.1500" if row["factor"] == "aum_adb" else "0.4000"
    with seed.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    work = data / "warehouse" / "work.duckdb"
    env = {
        **os.environ,
        "CRMWH_DATA": str(data),
        "CRMWH_MAX_DATE": "",
        "CRMWH_MIN_DATE": monthly_window_start(work).isoformat(),
    }
    dbt = [str(Path(sys.executable).parent / "dbt"), "--quiet"]
    where = ["--project-dir", str(project), "--profiles-dir", str(project)]
    for command in (["seed", "-s", "contribution_models"], ["run", "-s", "mart_contribution_score"]):
        subprocess.run([*dbt, *command, *where], cwd=project, env=env, check=True)
    query = (
        "select period, party_id, model_id, score from marts.mart_contribution_score "
        "where model_id = 'PERS_V1' and period in ({}) order by all"
    )
    with (
        duckdb.connect(str(_published(demo_data)), read_only=True) as old,
        duckdb.connect(str(work), read_only=True) as new,
    ):
        for periods, same in ((CLOSED, True), (OPEN, False)):
            sql = query.format(", ".join(f"'{p}'" for p in periods))
            before, after = old.execute(sql).fetchall(), new.execute(sql).fetchall()
            assert before and (before == after) == same, periods


def test_a_restated_batch_of_a_closed_month_waits_for_a_restatement(restated):
    before, after = restated["before"], restated["after_run"]
    assert _rows_by_period(before, CLOSED) == _rows_by_period(after, CLOSED)
    assert _rows_by_period(before, ("202608",)) != _rows_by_period(after, ("202608",))
    with duckdb.connect(str(after), read_only=True) as con:
        pending = con.execute(
            "select sys, strftime(biz_date, '%Y%m%d'), version, period, affects "
            "from quality.pending_restatements"
        ).fetchall()
    assert pending == [("SAV", LATE_CLOSED, 2, "202607", "202607..202607")]
    summary = marts_summary(after)  # what `crmwh run` prints
    assert "month close: closed 202606..202607" in summary
    assert "crmwh restate --period 202607" in summary


def test_restating_july_equals_a_clean_rebuild_and_keeps_the_replaced_rows(restated, tmp_path):
    assert restated["restate_code"] == 0
    published = _published(restated["data"])
    landing = copy_tree(restated["landing"], tmp_path / "landing")
    clean = tmp_path / "clean"
    assert run_pipeline(landing, clean, dg.DagsterInstance.ephemeral()).success
    assert mart_differences(published, _published(clean)) == {}
    # history holds exactly July's rows as they stood before: the replaced month
    replaced = _rows_by_period(restated["after_run"], ("202607",))
    with duckdb.connect(str(published), read_only=True) as con:
        ((rid, periods, batches, status),) = con.execute(
            "select restatement_id, periods, batch_versions, status from meta.restatements"
        ).fetchall()
        assert (periods, batches, status) == ("202607..202607", '["SAV:20260720:v2"]', "done")
        for mart, rows in replaced.items():
            kept = (
                con.execute(
                    f"select * exclude (superseded_at, restatement_id) from history.{mart} "
                    "where restatement_id = ? order by all",
                    [rid],
                ).fetchall()
                if rows
                else []
            )
            assert kept == rows, mart
        assert con.execute("select count(*) from quality.pending_restatements").fetchone()[0] == 0


def test_an_open_month_cannot_be_restated(demo_data, capsys):
    assert main(["restate", "--period", "202608", "--data", str(demo_data)]) == 2
    assert "202608 is not a closed month (closed through 202607)" in capsys.readouterr().err
