"""The ingest's verdicts are committed with the deliveries: a gate that fails leaves
nothing recorded (the next run redoes the batches), a gate that rejects a batch records
it rejected in the same commit that loads the others; FULL snapshots are compared with
the previous one."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from helpers import START

from crmwh.synth.generate import generate
from ingest.batch import BatchResult, FileResult
from ingest.limits import Limits
from ingest.run import _volume, ingest


def _status(warehouse: Path) -> dict[tuple[str, str], str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select sys, strftime(biz_date, '%Y%m%d'), status from audit_batch where ok_md5 is not null"
        ).fetchall()
    return {(s, d): st for s, d, st in rows}


def test_a_failing_gate_records_nothing_and_a_rejecting_one_commits_its_verdict(tmp_path):
    landing, raw, wh = tmp_path / "landing", tmp_path / "raw", tmp_path / "work.duckdb"
    generate(landing, customers=100, days=2, start=START, seed=3, dirt="none")

    def crash(batches):  # a run stopped while the suites run
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ingest(landing, raw, wh, workers=1, gate=crash)
    assert _status(wh) == {}
    assert not list((raw / "_staging").glob("*")) and not list(raw.glob("sav/*"))

    day = START.strftime("%Y%m%d")
    seen: list[tuple[str, str]] = []

    def gate(batches: list[BatchResult]):
        seen.extend((r.sys, r.biz_date) for r in batches)
        assert all(r.staged is not None and r.staged.is_dir() for r in batches)
        return {("CRM", day): "quality: MANAGER failed status.in_set"}

    summary = ingest(landing, raw, wh, workers=1, gate=gate)
    status = _status(wh)
    assert set(seen) == set(status) and len(status) == 18  # 9 systems x 2 days
    assert status.pop(("CRM", day)) == "rejected"
    assert set(status.values()) == {"loaded"}
    assert [r.reason for r in summary.rejected] == ["quality: MANAGER failed status.in_set"]
    assert not list(raw.glob(f"crm/*/biz_date={day}"))  # nothing of it in the raw zone


def _full(rows: int, previous: dict) -> str | None:
    r = BatchResult("CRM", "20260705", "0" * 32, version=1, mode="FULL")
    r.files = [FileResult("CRM_MANAGER_20260705.csv", "MANAGER", rows_in=rows)]
    return _volume(r, {("CRM", "MANAGER"): previous}, Limits())


def test_full_snapshots_that_are_empty_or_shrank_are_rejected():
    assert _full(0, {}) == "volume: CRM_MANAGER_20260705.csv is an empty FULL snapshot"
    assert _full(60, {"20260704": 100}) is None
    assert "below min_full_snapshot_ratio 0.5" in _full(40, {"20260704": 100, "20260601": 10})
    assert _full(40, {"20260706": 100}) is None  # a later date is not the previous one
    assert _full(5, {"20260704": 19}) is None  # the previous one is too small to compare


def test_a_raw_zone_from_before_the_ok_level_is_moved_under_it(tmp_path):
    from ingest import audit, raw_zone

    raw = tmp_path / "raw"
    old = raw / "sav" / "txn" / "biz_date=20260701" / "version=2"
    old.mkdir(parents=True)
    (old / raw_zone.PART).write_bytes(b"parquet")
    con = audit.connect(tmp_path / "work.duckdb")
    con.execute("""
        insert into audit_batch (sys, biz_date, version, ok_md5, status, is_current, processed_at)
        values ('SAV', '2026-07-01', 2, 'aaaaaaaaaaaaXX', 'superseded', false, '2026-07-02 01:00'),
               ('SAV', '2026-07-01', 2, 'bbbbbbbbbbbbXX', 'loaded', true, '2026-07-03 01:00'),
               ('SAV', '2026-07-01', 2, 'ccccccccccccXX', 'rejected', false, '2026-07-04 01:00')""")
    # the last delivery with Parquet wrote the file: a rejected .OK (no Parquet) did not
    assert raw_zone.migrate_flat_versions(raw, con) == 1
    assert (old / "ok=bbbbbbbbbbbb" / raw_zone.PART).read_bytes() == b"parquet"
    assert not (old / raw_zone.PART).exists()
    assert raw_zone.migrate_flat_versions(raw, con) == 0
    con.close()


def test_a_full_disk_fails_the_ingest_and_rejects_no_delivery(tmp_path, monkeypatch):
    """Writing the raw zone on a full disk is the warehouse's trouble, not the delivery's:
    the ingest fails and records nothing (a batch recorded rejected would count as decided
    for ever); with space again, the next ingest loads it. The disk fills when the staged
    Parquet is written (the fault injected there, where a full disk shows first)."""
    import errno
    import os

    import polars as pl

    landing, raw, wh = tmp_path / "landing", tmp_path / "raw", tmp_path / "work.duckdb"
    generate(landing, customers=100, days=1, start=START, seed=3, dirt="none")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with monkeypatch.context() as m:
        m.setattr(pl.DataFrame, "write_parquet", full)
        with pytest.raises(OSError, match="No space left"):
            ingest(landing, raw, wh, workers=1)
    if wh.exists():
        assert "rejected" not in _status(wh).values()
    ingest(landing, raw, wh, workers=1)
    assert set(_status(wh).values()) == {"loaded"}
