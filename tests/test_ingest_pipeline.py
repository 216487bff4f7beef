"""Ingest end to end through the real Dagster job, checked against the generator's truth."""

from __future__ import annotations

import csv
import hashlib
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest
from helpers import START, restate

from contract.extracts import ENTITIES
from crmwh.synth.generate import generate
from dagster_project.run import run_ingest
from ingest import raw_zone


def _faults(landing: Path, *kinds: str) -> list[dict]:
    with (landing / "_truth" / "faults.csv").open(encoding="utf-8") as f:
        return [r for r in csv.DictReader(f) if r["kind"] in kinds]


def _query(data: Path, sql: str, params=None) -> pl.DataFrame:
    with duckdb.connect(str(data / "warehouse" / "work.duckdb"), read_only=True) as con:
        return pl.from_arrow(con.sql(sql, params=params).to_arrow_table())


def _status(data: Path) -> dict[tuple[str, str], str]:
    rows = _query(
        data,
        "select sys, strftime(biz_date, '%Y%m%d') d, status from audit_batch "
        "where is_current or status in ('rejected', 'waiting', 'missing')",
    )
    return {(r["sys"], r["d"]): r["status"] for r in rows.iter_rows(named=True)}


def _run(landing: Path, data: Path) -> dg.ExecuteInProcessResult:
    result = run_ingest(landing, data, dg.DagsterInstance.ephemeral())
    assert result is not None and result.success
    return result


@pytest.fixture(scope="module")
def dirty_run(warehouses):
    """The dirty landing folder's ingest (of the shared core build: dbt does not write
    the raw zone or the audit tables)."""
    built = warehouses("dirty_landing", "core")
    return built.landing, built.data, built.ingested


def test_every_file_reconciles(dirty_run):
    landing, data, _ = dirty_run
    files = _query(data, "select * from audit_file")
    assert files.height > 0
    assert (
        files.filter(
            pl.col("rows_in")
            != pl.col("rows_loaded") + pl.col("rows_quarantined") + pl.col("rows_rejected")
        ).height
        == 0
    )
    loaded = files.filter(pl.col("problem").is_null())
    assert (loaded["rows_in"] == loaded["records_expected"]).all()
    # the raw zone holds exactly the loaded rows of every current batch
    cur = _query(
        data,
        "select f.sys, f.entity, strftime(f.biz_date, '%Y%m%d') d, b.version, b.ok_md5, "
        "f.rows_loaded from audit_file f join audit_batch b using (ok_md5, sys) "
        "where b.is_current",
    )
    for r in cur.iter_rows(named=True):
        path = raw_zone.part_path(data / "raw", r["sys"], r["entity"], r["d"], r["version"], r["ok_md5"])
        assert pl.scan_parquet(path).select(pl.len()).collect().item() == r["rows_loaded"]


def test_row_faults_are_quarantined_with_their_reason_and_line(dirty_run):
    landing, data, _ = dirty_run
    status = _status(data)
    v1_only = {
        (f["sys"], f["biz_date"])
        for f in _faults(landing, "restatement")
        if f["detail"].endswith("version 1")
    }
    expected = {
        (f["file"], int(f["line"]), f["kind"])
        for f in _faults(landing, "broken_line", "wrong_field_count", "bad_bytes")
        if status.get((f["sys"], f["biz_date"])) == "loaded" and (f["sys"], f["biz_date"]) not in v1_only
    }
    got = _query(
        data,
        "select q.file, q.line, q.reason from quarantine_rows q "
        "join audit_batch b using (sys, ok_md5) where b.is_current",
    )
    assert len(expected) > 20
    assert {tuple(r) for r in got.iter_rows()} == expected


def test_truncated_batches_are_rejected_whole(dirty_run):
    landing, data, _ = dirty_run
    truncated = [
        f
        for f in _faults(landing, "ok_mismatch")
        if (landing / f"{f['sys']}_{f['biz_date']}.OK").exists()
    ]
    assert truncated, "the fixture should hold at least one truncated transfer"
    batches = _query(
        data,
        "select sys, strftime(biz_date, '%Y%m%d') d, status, reason, "
        "rows_loaded from audit_batch where status = 'rejected'",
    )
    rejected = {(r["sys"], r["d"]): r for r in batches.iter_rows(named=True)}
    for f in truncated:
        r = rejected[(f["sys"], f["biz_date"])]
        assert f"{f['file']} md5_mismatch" in r["reason"] and r["rows_loaded"] == 0
        assert not (data / "raw" / f["sys"].lower() / "txn" / f"biz_date={f['biz_date']}").exists()
        kept = data / "raw" / "_rejected" / f["sys"].lower() / f"biz_date={f['biz_date']}"
        assert any(p.name == f["file"] for p in kept.rglob("*"))
    assert len(rejected) == len(truncated)


def test_late_batches_wait_visibly(dirty_run):
    landing, data, _ = dirty_run
    status = _status(data)
    late = [f for f in _faults(landing, "late_batch") if "not yet written" in f["detail"]]
    for f in late:
        assert status[(f["sys"], f["biz_date"])] == "waiting"
    waiting = _query(
        data,
        "select sys, strftime(biz_date, '%Y%m%d') d, reason from audit_batch where status = 'waiting'",
    )
    assert {(r[0], r[1]) for r in waiting.iter_rows()} == {(f["sys"], f["biz_date"]) for f in late}


def test_duplicate_transactions_are_found_and_kept(dirty_run):
    landing, data, _ = dirty_run
    status = _status(data)
    expected = set()
    for f in _faults(landing, "duplicate_txn"):
        d, original = f["biz_date"], f["key"][3:11]  # txn ids carry their posting date
        if status.get((f["sys"], d)) == "loaded" and (
            original == d or status.get((f["sys"], original)) == "loaded"
        ):
            expected.add((f["sys"], d, f["key"]))
    got = _query(data, "select sys, strftime(biz_date, '%Y%m%d'), key from duplicate_keys")
    assert len(expected) > 10
    assert {tuple(r) for r in got.iter_rows()} == expected


def test_quality_checks_ran_and_passed(dirty_run):
    _, _, result = dirty_run
    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) == len(ENTITIES)
    assert all(e.passed for e in evaluations), [e.asset_key for e in evaluations if not e.passed]
    txn = next(
        e for e in evaluations if e.asset_key.path == ["raw", "sav"] and e.check_name == "txn_suite"
    )
    observed = txn.metadata["observed"].value
    assert observed["txn_id.unique"]["unexpected_count"] > 0  # duplicates, reported as a warning


def _snapshot(data: Path) -> dict[str, str]:
    out = {}
    for p in sorted((data / "raw").rglob("*.parquet")):
        out[str(p.relative_to(data))] = hashlib.md5(p.read_bytes()).hexdigest()
    return out


def _tables(data: Path) -> dict[str, list]:
    return {
        t: _query(data, f"select * exclude ({ts}) from {t} order by all").rows()
        for t, ts in [
            ("audit_batch", "first_seen_at, processed_at, run_id"),
            ("audit_file", "bytes"),
            ("quarantine_rows", "quarantined_at"),
            ("duplicate_keys", "line"),
        ]
    }


def test_running_a_date_again_changes_nothing(warehouses, tmp_path):
    # a copy of the clean landing folder's ingest (and build)
    landing, data = warehouses("clean_landing", "core").copy(tmp_path)
    before, files = _tables(data), _snapshot(data)
    mtimes = {p: p.stat().st_mtime_ns for p in (data / "raw").rglob("*.parquet")}
    assert run_ingest(landing, data, dg.DagsterInstance.ephemeral()) is None  # nothing new
    dates = sorted({p.name.split("_")[1][:8] for p in landing.glob("*.OK")})
    rerun = run_ingest(landing, data, dg.DagsterInstance.ephemeral(), dates=dates)
    assert rerun is not None and rerun.success  # the same dates again, forced
    assert _tables(data) == before and _snapshot(data) == files
    assert {p: p.stat().st_mtime_ns for p in (data / "raw").rglob("*.parquet")} == mtimes


def test_restatement_replaces_the_batch_and_keeps_the_old_version(warehouses, tmp_path):
    # a copy of the clean landing folder and of its ingest (and build)
    landing, data = warehouses("clean_landing", "core").copy(tmp_path, landing=True)
    date = (START.replace(day=3)).strftime("%Y%m%d")
    records = restate(landing, "SAV", date)
    _run(landing, data)
    rows = _query(
        data,
        "select version, status, is_current, rows_loaded, ok_md5 from audit_batch "
        "where sys = 'SAV' and biz_date = ? order by version",
        [START.replace(day=3)],
    )
    assert rows.drop("ok_md5").rows() == [
        (1, "superseded", False, rows["rows_loaded"][0]),
        (2, "loaded", True, rows["rows_loaded"][1]),
    ]
    v1 = raw_zone.part_path(data / "raw", "SAV", "TXN", date, 1, rows["ok_md5"][0])
    v2 = raw_zone.part_path(data / "raw", "SAV", "TXN", date, 2, rows["ok_md5"][1])
    assert v1.exists() and pl.read_parquet(v2).height == records == pl.read_parquet(v1).height - 1
    # a clean ingest of the re-delivered landing gives the same current raw zone
    clean = tmp_path / "clean"
    _run(landing, clean)
    assert pl.read_parquet(v2).equals(
        pl.read_parquet(raw_zone.part_path(clean / "raw", "SAV", "TXN", date, 2, rows["ok_md5"][1]))
    )


def test_out_of_order_and_late_arrivals(tmp_path):
    landing, data = tmp_path / "landing", tmp_path / "data"
    generate(landing, customers=300, days=4, start=START, seed=3, dirt="none")
    held = landing / "ACC_20260702.OK"
    kept = held.read_bytes()
    held.unlink()  # ACC's D arrives after D+1
    _run(landing, data)
    waiting = _query(
        data, "select status, reason from audit_batch where sys = 'ACC' and biz_date = '2026-07-02'"
    )
    assert waiting.rows() == [
        ("waiting", "waiting: data files present, no .OK yet; overdue: ACC 20260704 is complete")
    ]
    held.write_bytes(kept)
    _run(landing, data)
    late = _query(
        data,
        "select status, arrived_after from audit_batch where sys = 'ACC' and biz_date = '2026-07-02'",
    )
    assert late.rows() == [("loaded", START.replace(day=4))]


def test_a_failing_suite_is_a_failed_blocking_check_with_observed_values(clean_landing, tmp_path):
    landing = tmp_path / "landing"
    shutil.copytree(clean_landing, landing)
    date = START.strftime("%Y%m%d")
    cust = landing / f"SAV_CUST_{date}.dat"
    lines = cust.read_bytes().split(b"\n")
    fields = lines[0].split(b"|+|")
    fields[4] = b"9"  # gender outside its code set
    lines[0] = b"|+|".join(fields)
    cust.write_bytes(b"\n".join(lines))
    ok = landing / f"SAV_{date}.OK"
    ok.write_text(
        ok.read_text().replace(
            next(x for x in ok.read_text().splitlines() if x.startswith(cust.name)).split("|")[3],
            hashlib.md5(cust.read_bytes()).hexdigest(),
        )
    )
    result = run_ingest(landing, tmp_path / "data", dg.DagsterInstance.ephemeral())
    check = next(
        e
        for e in result.get_asset_check_evaluations()
        if e.asset_key.path == ["raw", "sav"] and e.check_name == "cust_suite"
    )
    assert not check.passed
    assert check.metadata["failed_errors"].value == ["gender.in_set"]
    assert check.metadata["observed"].value["gender.in_set"]["partial_unexpected_list"] == ["9"]
    # blocking: the step fails, so nothing downstream of raw/sav runs in this run
    assert not result.success


def test_sensor_requests_one_run_for_new_and_changed_ok_files(clean_landing, tmp_path):
    from dagster_project.defs.resources import WarehousePaths
    from dagster_project.defs.sensors import landing_ok_sensor

    landing = tmp_path / "landing"
    shutil.copytree(clean_landing, landing)
    paths = WarehousePaths(landing_dir=str(landing), data_dir=str(tmp_path / "data"))
    instance = dg.DagsterInstance.ephemeral()
    ctx = dg.build_sensor_context(instance=instance, resources={"paths": paths})
    first = landing_ok_sensor(ctx)
    assert first.tags["dagster/asset_partition_range_start"] == "20260701"
    assert first.tags["dagster/asset_partition_range_end"] == "20260706"
    ctx = dg.build_sensor_context(instance=instance, resources={"paths": paths}, cursor=ctx.cursor)
    assert isinstance(landing_ok_sensor(ctx), dg.SkipReason)
    restate(landing, "ACC", "20260703")  # a re-delivery: a new .OK for one past date
    ctx = dg.build_sensor_context(instance=instance, resources={"paths": paths}, cursor=ctx.cursor)
    again = landing_ok_sensor(ctx)
    assert again.tags["dagster/asset_partition_range_start"] == "20260703"
    assert again.tags["dagster/asset_partition_range_end"] == "20260703"
