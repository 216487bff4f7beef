"""The pipeline run unattended: daily runs as the schedule makes them, with a late batch,
restatements and a batch that fails its quality suite. After each run the published marts
equal a clean rebuild of the landing folder as it stands (or are untouched, where a check
failed); readers keep reading while a run writes; no export carries a clear identity."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow.dataset as ds
import pytest
from helpers import copy_tree, mart_differences

from crmwh.synth.generate import generate
from dagster_project.run import run_pipeline

START = dt.date(2026, 6, 24)  # a week of June, then July: restated June dates change July's tiers
FIRST_DAYS = 8
CUSTOMERS = 300
SEED = 21
BROKEN_DAY = 11  # the day whose CRM batch fails its quality suite (a manager status off the code set)


def _generate(landing: Path, days: int) -> None:
    generate(landing, customers=CUSTOMERS, days=days, start=START, seed=SEED, dirt="heavy")


def _day(n: int) -> str:
    return (START + dt.timedelta(days=n - 1)).strftime("%Y%m%d")


def _break_crm_batch(landing: Path, day: str) -> None:
    """One manager's status set to a value outside the code set, the `.OK` md5 updated:
    the delivery passes its `.OK` check and fails the quality suite."""
    path = landing / f"CRM_MANAGER_{day}.csv"
    text = path.read_text(encoding="utf-8")
    assert ",active\n" in text
    path.write_text(text.replace(",active\n", ",on_strike\n", 1), encoding="utf-8")
    _rewrite_ok(landing, "CRM", day)


def _rewrite_ok(landing: Path, sys_: str, day: str, version: int | None = None) -> None:
    ok = landing / f"{sys_}_{day}.OK"
    head, *lines = ok.read_text(encoding="utf-8").splitlines()
    if version is not None:
        parts = head.split("|")
        parts[3] = str(version)
        head = "|".join(parts)
    fixed = []
    for line in lines:
        name, count, total, _ = line.split("|")
        fixed.append(f"{name}|{count}|{total}|{hashlib.md5((landing / name).read_bytes()).hexdigest()}")
    ok.write_text("\n".join([head, *fixed]) + "\n", encoding="utf-8")


def _run(landing: Path, data: Path):
    result = run_pipeline(landing, data, dg.DagsterInstance.ephemeral())
    return result


def _published(data: Path) -> Path:
    return data / "warehouse" / "crm.duckdb"


def _clean_rebuild(landing: Path, tmp: Path) -> Path:
    """The landing folder as it stands, copied and run once on empty data."""
    copy, data = tmp / "landing", tmp / "data"
    shutil.copytree(landing, copy)
    result = _run(copy, data)
    assert result.success
    return _published(data)


def _meta(published: Path) -> tuple:
    with duckdb.connect(str(published), read_only=True) as con:
        return con.execute("select run_id, min_date, max_date from meta.published").fetchone()


def _copy_stage(stage: dict, root: Path) -> dict:
    """The landing and data folders of a stage, copied to mutate (the stage stays as it was)."""
    root.mkdir(parents=True, exist_ok=True)
    return {
        "root": root,
        "landing": copy_tree(stage["landing"], root / "landing"),
        "data": copy_tree(stage["data"], root / "data"),
    }


# Each stage below is one step of the unattended life of a warehouse, run once per module on a
# copy of the stage before it; each test asserts on the stage it names, so no test depends on
# another having run (or on their order).


@pytest.fixture(scope="module")
def daily(tmp_path_factory) -> dict:
    """Runs day by day as the schedule would make them (days FIRST_DAYS..BROKEN_DAY-1)."""
    root = tmp_path_factory.mktemp("daily")
    landing, data = root / "landing", root / "data"
    steps = {}
    for days in range(FIRST_DAYS, BROKEN_DAY):
        _generate(landing, days)
        result = _run(landing, data)
        assert result.success, f"day {days}"
        assert result.built is not None
        steps[days] = _meta(_published(data))[1:]
    return {"root": root, "landing": landing, "data": data, "steps": steps}


@pytest.fixture(scope="module")
def broken(daily, tmp_path_factory) -> dict:
    """The next day's CRM batch fails its quality suite (on a copy of `daily`)."""
    stage = _copy_stage(daily, tmp_path_factory.mktemp("broken"))
    landing, data = stage["landing"], stage["data"]
    stage["digest_before"] = hashlib.md5(_published(data).read_bytes()).hexdigest()
    stage["run_before"] = _meta(_published(data))[0]
    _generate(landing, BROKEN_DAY)
    _break_crm_batch(landing, _day(BROKEN_DAY))
    stage["result"] = _run(landing, data)
    return stage


@pytest.fixture(scope="module")
def restated(broken, tmp_path_factory) -> dict:
    """The failed batch re-delivered as version 2 with the next day (on a copy of `broken`)."""
    stage = _copy_stage(broken, tmp_path_factory.mktemp("restated"))
    landing = stage["landing"]
    _generate(landing, BROKEN_DAY + 1)  # writes the broken day's files back as generated
    _rewrite_ok(landing, "CRM", _day(BROKEN_DAY), version=2)  # re-delivered as version 2
    stage["result"] = _run(landing, stage["data"])
    return stage


def test_daily_runs_equal_a_clean_rebuild(daily, tmp_path):
    landing, data = daily["landing"], daily["data"]
    # the runs covered more than their own day at least once: a late or restated batch
    # of an earlier date made the window start before the newest date
    newest = {d: w for d, w in daily["steps"].items() if d > FIRST_DAYS}
    assert any(w[0] < w[1] for w in newest.values()), newest
    with duckdb.connect(str(data / "warehouse" / "work.duckdb"), read_only=True) as con:
        late, restated = con.execute("""
            select count(*) filter (where arrived_after is not null),
                   count(*) filter (where version > 1 and is_current)
            from audit_batch where status = 'loaded'
        """).fetchone()
    assert late >= 1 and restated >= 1
    assert mart_differences(_published(data), _clean_rebuild(landing, tmp_path)) == {}


def test_a_batch_failing_its_quality_suite_leaves_the_published_marts_untouched(broken):
    data, result = broken["data"], broken["result"]
    assert not result.success and result.built is None
    failed = [
        e
        for e in result.ingested.get_asset_check_evaluations()
        if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR
    ]
    assert [e.check_name for e in failed] == ["manager_suite"]
    observed = failed[0].metadata["failed_errors"].value
    assert "status.in_set" in observed
    assert hashlib.md5(_published(data).read_bytes()).hexdigest() == broken["digest_before"]
    assert _meta(_published(data))[0] == broken["run_before"]
    with duckdb.connect(str(data / "warehouse" / "work.duckdb"), read_only=True) as con:
        status, reason = con.execute(
            "select status, reason from audit_batch where sys = 'CRM' and biz_date = ? "
            "and ok_md5 is not null order by processed_at desc limit 1",
            [dt.datetime.strptime(_day(BROKEN_DAY), "%Y%m%d").date()],
        ).fetchone()
    assert status == "rejected" and reason.startswith("quality: MANAGER failed")


def test_the_restated_batch_and_the_next_day_equal_a_clean_rebuild(restated, tmp_path):
    landing, data = restated["landing"], restated["data"]
    assert restated["result"].success
    first, _last = _meta(_published(data))[1:]
    assert first.strftime("%Y%m%d") <= _day(BROKEN_DAY)  # rebuilt from the rejected date
    assert mart_differences(_published(data), _clean_rebuild(landing, tmp_path)) == {}


CLEAR_ID = re.compile(r"^(\d{17}[\dX]|\d{15})$")
CLEAR_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def test_no_export_carries_a_clear_identity(restated):
    data = restated["data"]
    with duckdb.connect(str(data / "warehouse" / "work.duckdb"), read_only=True) as con:
        clear = {
            v
            for (v,) in con.execute(
                "select id_no from core.dim_customer where id_no is not null union "
                "select mobile from core.dim_customer where mobile is not null"
            ).fetchall()
        }
    files = list((data / "exports").resolve().rglob("*.parquet"))
    assert len(files) >= 10
    seen = 0
    for f in files:
        table = ds.dataset(f).to_table()
        for name, column in zip(table.column_names, table.columns):
            if str(column.type) not in ("string", "large_string"):
                continue
            for value in column.to_pylist():
                if value is None:
                    continue
                seen += 1
                assert value not in clear, f"{f}: {name}"
                assert not CLEAR_ID.match(value) and not CLEAR_MOBILE.match(value), f"{f}: {name}"
    assert seen > 1000


def _read_published(published: Path) -> tuple[str, int, int]:
    """(run id, rows the publish recorded, rows counted now) from the published file."""
    with duckdb.connect(str(published), read_only=True) as con:
        run_id, rows = con.execute("select run_id, rows from meta.published").fetchone()
        marts = [
            r[0]
            for r in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'marts'"
            ).fetchall()
        ]
        counted = sum(con.execute(f"select count(*) from marts.{m}").fetchone()[0] for m in marts)
    return run_id, rows, counted


def test_readers_keep_reading_while_runs_write_and_a_second_run_queues(restated, tmp_path):
    """A `crmwh run` over a new day in a subprocess, a second one started while it runs
    (it waits for the writer lock, then finds nothing to do), and meanwhile a reader that
    opens the published file read-only and the exports with pyarrow again and again."""
    stage = _copy_stage(restated, tmp_path)  # a copy of `restated`, one day further
    landing, data = stage["landing"], stage["data"]
    _generate(landing, BROKEN_DAY + 2)
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path / "dagster_home")}
    cmd = [sys.executable, "-m", "crmwh.cli", "run", "--landing", str(landing), "--data", str(data)]
    reads, errors, runs_seen = 0, [], set()
    stop = threading.Event()

    def reader():
        nonlocal reads
        while not stop.is_set():
            try:
                run_id, recorded, counted = _read_published(_published(data))
                assert recorded == counted, (recorded, counted)
                exports = (data / "exports").resolve()
                import json

                manifest = json.loads((exports / "manifest.json").read_text())
                rows = ds.dataset(exports / "orgs", format="parquet").count_rows()
                assert rows == sum(f["rows"] for f in manifest["files"]), rows
                runs_seen.add(run_id)
                reads += 1
            except Exception as e:  # noqa: BLE001 - every failure is the finding
                errors.append(repr(e))
            time.sleep(0.2)

    thread = threading.Thread(target=reader)
    thread.start()
    first = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    time.sleep(3)
    second = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out_first, _ = first.communicate(timeout=900)
    out_second, _ = second.communicate(timeout=900)
    stop.set()
    thread.join()
    assert first.returncode == 0, out_first[-3000:]
    assert second.returncode == 0, out_second[-3000:]
    assert "waiting for it to finish" in out_second
    assert errors == [] and reads >= 5
    assert len(runs_seen) == 2  # the reader saw the old publish, then the new one
