"""Ingest every complete batch of a landing folder into the raw zone and the audit.

Batches are checked and parsed in worker processes (GB18030 decoding is CPU-bound
Python); this process alone moves their Parquet into the raw zone and writes the
warehouse, so DuckDB only ever has one writer. Re-running is a no-op for a delivery
already decided (same `.OK` md5); a new delivery of a date is processed again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import multiprocessing
import os
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from contract.extracts import ENTITIES
from ingest import audit, raw_zone
from ingest.audit import to_date
from ingest.batch import BatchResult, process_batch
from ingest.landing import Arrival, scan

DAY_ENTITIES_WITH_KEYS = [e for e in ENTITIES.values() if e.snapshot == "day" and e.keys]


@dataclass
class IngestSummary:
    results: list[BatchResult] = field(default_factory=list)
    unchanged: int = 0
    waiting: list[tuple[str, str, str]] = field(default_factory=list)  # sys, date, reason
    ignored: list[BatchResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def loaded(self) -> list[BatchResult]:
        return [r for r in self.results if r.status == "loaded"]

    @property
    def rejected(self) -> list[BatchResult]:
        return [r for r in self.results if r.status == "rejected"]

    def count(self, attr: str) -> int:
        return sum(getattr(f, attr) for r in self.results for f in r.files)

    def text(self) -> str:
        lines = [
            f"ingest: {len(self.loaded)} batches loaded, {len(self.rejected)} rejected, "
            f"{len(self.ignored)} ignored (stale version), {self.unchanged} unchanged, "
            f"{len(self.waiting)} waiting or missing, in {self.seconds:.1f} s",
            f"  rows in {self.count('rows_in'):,} = loaded {self.count('rows_loaded'):,} + "
            f"quarantined {self.count('rows_quarantined'):,} + "
            f"in rejected batches {self.count('rows_rejected'):,}",
        ]
        lines += [f"  rejected {r.sys} {r.biz_date}: {r.reason}" for r in self.rejected[:10]]
        lines += [f"  waiting {s} {d}: {why}" for s, d, why in self.waiting[:10]]
        return "\n".join(lines)


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def _todo(
    con, arrivals: dict[tuple[str, str], Arrival], dates: set[str] | None, systems: set[str] | None
) -> tuple[list[tuple[str, str, int]], int]:
    todo, unchanged = [], 0
    for (sys, d), arr in sorted(arrivals.items()):
        if (dates is not None and d not in dates) or (systems is not None and sys not in systems):
            continue
        if not arr.complete:
            continue
        if _md5(arr.ok_path) in audit.decided(con, sys, d):
            unchanged += 1
            continue
        size = sum((arr.ok_path.parent / f).stat().st_size for f in arr.data_files)
        todo.append((sys, d, size))
    return todo, unchanged


def pending_dates(landing: Path, warehouse: Path) -> list[str]:
    """Business dates with a delivery not yet decided, or a waiting batch not yet recorded:
    what a run has to look at (a run over every landed date would redo nothing)."""
    arrivals = scan(Path(landing))
    if not Path(warehouse).exists():
        return sorted({d for _, d in arrivals})
    with duckdb.connect(str(warehouse), read_only=True) as con:
        decided = {
            (s, d.strftime("%Y%m%d"), m)
            for s, d, m in con.execute(
                "select sys, biz_date, ok_md5 from audit_batch where ok_md5 is not null"
            ).fetchall()
        }
        waiting = {
            (s, d.strftime("%Y%m%d"))
            for s, d in con.execute(
                "select sys, biz_date from audit_batch where status = 'waiting'"
            ).fetchall()
        }
    out = set()
    for (sys, d), arr in arrivals.items():
        if arr.complete and (sys, d, _md5(arr.ok_path)) not in decided:
            out.add(d)
        elif not arr.complete and (sys, d) not in waiting:
            out.add(d)
    return sorted(out)


def _process_all(landing: Path, raw_root: Path, todo, workers: int, on_result) -> None:
    """Check and parse batches in worker processes; `on_result` gets each as it finishes."""
    if workers <= 1 or len(todo) <= 1:
        for s, d, _ in todo:
            on_result(process_batch(landing, raw_root, s, d))
        return
    # biggest first, so that the workers finish together; spawn, not fork: polars is
    # threaded; one polars thread per worker, since the workers already fill the cores
    ordered = sorted(todo, key=lambda t: -t[2])
    ctx = multiprocessing.get_context("spawn")
    before = os.environ.get("POLARS_MAX_THREADS")
    os.environ["POLARS_MAX_THREADS"] = "1"
    try:
        # workers die with this process (a killed run leaves no orphan writing _staging/)
        from crmwh.lifeline import die_with_parent

        with ProcessPoolExecutor(
            max_workers=workers, mp_context=ctx, initializer=die_with_parent
        ) as pool:
            futures = [pool.submit(process_batch, landing, raw_root, s, d) for s, d, _ in ordered]
            for f in as_completed(futures):
                on_result(f.result())
    finally:
        if before is None:
            os.environ.pop("POLARS_MAX_THREADS", None)
        else:
            os.environ["POLARS_MAX_THREADS"] = before


def default_workers() -> int:
    return int(os.environ.get("CRMWH_INGEST_WORKERS", min(2, os.cpu_count() or 1)))


@dataclass
class _AuditRows:
    """What a run writes to the audit, collected as batches finish, written in one
    transaction at the end (the Parquet is already in place: readers follow the audit)."""

    current: dict[tuple[str, str], int]  # the audit as the run began
    first_seen: dict[tuple[str, str], dt.datetime]
    newest: dict[str, str]
    batches: list[dict] = field(default_factory=list)
    files: list[dict] = field(default_factory=list)
    quarantine: list[dict] = field(default_factory=list)
    now: dt.datetime = field(default_factory=dt.datetime.now)

    @classmethod
    def load(cls, con) -> _AuditRows:
        current = audit.current(con)
        first_seen = {
            (s, d.strftime("%Y%m%d")): t
            for s, d, t in con.execute(
                "select sys, biz_date, first_seen_at from audit_batch where status = 'waiting'"
            ).fetchall()
        }
        newest: dict[str, str] = {}
        for s, d in current:
            newest[s] = max(newest.get(s, d), d)
        return cls(current, first_seen, newest)


def ingest(
    landing: Path,
    raw_root: Path,
    warehouse: Path,
    dates: Iterable[str] | None = None,
    systems: Iterable[str] | None = None,
    workers: int | None = None,
    run_id: str = "",
) -> IngestSummary:
    """Ingest the complete batches of `dates` (all when None) and refresh the audit."""
    t0 = dt.datetime.now()
    landing, raw_root = Path(landing), Path(raw_root)
    summary = IngestSummary()
    arrivals = scan(landing)
    con = audit.connect(Path(warehouse))
    try:
        todo, summary.unchanged = _todo(
            con,
            arrivals,
            None if dates is None else set(dates),
            None if systems is None else set(systems),
        )
        rows = _AuditRows.load(con)

        def on_result(r: BatchResult) -> None:
            _decide(raw_root, r, rows, run_id)
            (summary.ignored if r.status == "ignored" else summary.results).append(r)

        _process_all(landing, raw_root, todo, workers or default_workers(), on_result)
        _write(con, rows)
        summary.results.sort(key=lambda r: (r.biz_date, r.sys))
        summary.waiting = _record_waiting(con, arrivals)
        _refresh_duplicates(con, raw_root, {(r.sys, r.biz_date) for r in summary.loaded})
    finally:
        con.close()
    summary.seconds = (dt.datetime.now() - t0).total_seconds()
    return summary


def _decide(raw_root: Path, r: BatchResult, rows: _AuditRows, run_id: str) -> None:
    """Move a loaded batch into the raw zone and collect its audit rows."""
    cur = rows.current.get((r.sys, r.biz_date))
    if r.status == "loaded" and cur is not None and r.version < cur:
        r.status, r.reason = "ignored", f"version {r.version} is older than the current {cur}"
        raw_zone.discard(r.staged)
    if r.status == "loaded":
        raw_zone.promote(r.staged, raw_root, r.sys, r.biz_date, r.version)
    date, files, now = to_date(r.biz_date), r.files, rows.now
    newest = rows.newest.get(r.sys)
    rows.batches.append(
        {
            "sys": r.sys,
            "biz_date": date,
            "version": r.version,
            "mode": r.mode,
            "ok_md5": r.ok_md5,
            "status": r.status,
            "is_current": r.status == "loaded",
            "reason": r.reason or None,
            "files": len(files),
            "rows_in": sum(f.rows_in for f in files),
            "rows_loaded": sum(f.rows_loaded for f in files),
            "rows_quarantined": sum(f.rows_quarantined for f in files),
            "rows_rejected": sum(f.rows_rejected for f in files),
            "first_seen_at": rows.first_seen.get((r.sys, r.biz_date), now),
            "processed_at": now,
            "arrived_after": to_date(newest) if newest and newest > r.biz_date else None,
            "run_id": run_id,
        }
    )
    rows.files += [
        {
            "sys": r.sys,
            "biz_date": date,
            "version": r.version,
            "ok_md5": r.ok_md5,
            "file": f.file,
            "entity": f.entity,
            "bytes": f.bytes,
            "md5_expected": f.md5_expected,
            "md5_actual": f.md5_actual,
            "records_expected": f.records_expected,
            "rows_in": f.rows_in,
            "rows_loaded": f.rows_loaded,
            "rows_quarantined": f.rows_quarantined,
            "rows_rejected": f.rows_rejected,
            "total_expected": f.total_expected_cents / 100,
            "total_actual": f.total_cents / 100,
            "duplicate_keys": f.duplicate_keys,
            "problem": f.problem,
        }
        for f in files
    ]
    if r.status == "loaded":
        rows.quarantine += [
            {
                "sys": r.sys,
                "entity": entity,
                "biz_date": date,
                "version": r.version,
                "ok_md5": r.ok_md5,
                "file": file,
                "line": q.line,
                "lines": q.lines,
                "reason": q.reason,
                "detail": q.detail,
                "raw_text": q.raw.decode(
                    "gb18030" if file.endswith(".dat") else "utf-8", errors="backslashreplace"
                ),
                "raw_bytes": q.raw,
                "quarantined_at": now,
            }
            for file, entity, q in r.quarantined
        ]


def _write(con, rows: _AuditRows) -> None:
    """One transaction: older versions superseded, waiting rows replaced, new rows in."""
    if not rows.batches:
        return
    loaded = [(b["sys"], b["biz_date"]) for b in rows.batches if b["status"] == "loaded"]
    decided = [(b["sys"], b["biz_date"]) for b in rows.batches]
    con.execute("begin")
    for table, keys, sql in [
        (
            "_loaded",
            loaded,
            "update audit_batch set is_current = false, status = 'superseded' "
            "from _loaded k where audit_batch.sys = k.sys "
            "and audit_batch.biz_date = k.biz_date and is_current",
        ),
        (
            "_decided",
            decided,
            "delete from audit_batch using _decided k where audit_batch.sys = k.sys "
            "and audit_batch.biz_date = k.biz_date "
            "and audit_batch.status in ('waiting', 'missing')",
        ),
    ]:
        if keys:
            frame = pl.DataFrame(keys, schema={"sys": pl.String, "biz_date": pl.Date}, orient="row")
            con.register(table, frame.to_arrow())
            con.execute(sql)
            con.unregister(table)
    audit.insert_frame(con, "audit_batch", pl.DataFrame(rows.batches, infer_schema_length=None))
    audit.insert_frame(con, "audit_file", pl.DataFrame(rows.files, infer_schema_length=None))
    if rows.quarantine:
        audit.insert_frame(
            con, "quarantine_rows", pl.DataFrame(rows.quarantine, infer_schema_length=None)
        )
    con.execute("commit")


def _record_waiting(con, arrivals: dict[tuple[str, str], Arrival]) -> list[tuple[str, str, str]]:
    """Batches with data but no `.OK` (waiting), and dates with nothing inside a system's
    delivered range (missing). Overdue when a later date of the system is complete."""
    complete: dict[str, list[str]] = {}
    for (sys, d), a in arrivals.items():
        if a.complete:
            complete.setdefault(sys, []).append(d)
    loaded = dict(
        con.execute(
            "select sys || strftime(biz_date, '%Y%m%d'), status from audit_batch where is_current"
        ).fetchall()
    )
    out = []
    for sys, days in complete.items():
        first, last = min(days), max(days)
        d = to_date(first)
        while (key := d.strftime("%Y%m%d")) <= last:
            if (sys, key) not in arrivals and sys + key not in loaded:
                out.append((sys, key, f"missing: nothing delivered; {sys} {last} is complete"))
            d += dt.timedelta(days=1)
    for (sys, d), a in arrivals.items():
        if not a.complete and sys + d not in loaded:
            later = [x for x in complete.get(sys, []) if x > d]
            why = "waiting: data files present, no .OK yet"
            if later:
                why += f"; overdue: {sys} {max(later)} is complete"
            out.append((sys, d, why))
    out.sort(key=lambda t: (t[1], t[0]))
    now = dt.datetime.now()
    con.execute("begin")
    seen = {
        (s, d.strftime("%Y%m%d")): t
        for s, d, t in con.execute(
            "select sys, biz_date, first_seen_at from audit_batch where status in ('waiting', 'missing')"
        ).fetchall()
    }
    con.execute("delete from audit_batch where status in ('waiting', 'missing')")
    audit.insert_frame(
        con,
        "audit_batch",
        pl.DataFrame(
            [
                {
                    "sys": s,
                    "biz_date": to_date(d),
                    "status": why.split(":")[0],
                    "is_current": False,
                    "reason": why,
                    "first_seen_at": seen.get((s, d), now),
                    "processed_at": now,
                }
                for s, d, why in out
            ],
            schema_overrides={"reason": pl.String},
        ),
    )
    con.execute("commit")
    return out


def _refresh_duplicates(con, raw_root: Path, touched: set[tuple[str, str]]) -> None:
    """Recompute `duplicate_keys` for the dates a new current version can affect (D, D+1)."""
    if not touched:
        return
    cur = audit.current(con)
    for entity in DAY_ENTITIES_WITH_KEYS:
        targets = sorted({d for s, d0 in touched if s == entity.system for d in (d0, _shift(d0, 1))})
        if not targets:
            continue
        need = sorted({x for d in targets for x in (d, _shift(d, -1))})
        sys = entity.system
        paths = [
            str(raw_zone.part_path(raw_root, sys, entity.name, d, cur[(sys, d)]))
            for d in need
            if (sys, d) in cur
        ]
        key = entity.keys[0]
        con.execute("begin")
        con.execute(
            "delete from duplicate_keys where sys = ? and entity = ? and biz_date in "
            "(select unnest(?::date[]))",
            [entity.system, entity.name, [to_date(d) for d in targets]],
        )
        if paths:
            con.execute(
                f"""
                insert into duplicate_keys
                with k as (
                    select {key} as key, strptime(biz_date, '%Y%m%d')::date as d, _line
                    from read_parquet(?, hive_partitioning = true,
                                      hive_types = {{'biz_date': varchar, 'version': integer}})
                ),
                firsts as (select key, d, min(_line) as first_line from k group by key, d)
                select ? as sys, ? as entity, k.key, k.d, k._line,
                       coalesce(p.d, f.d), coalesce(p.first_line, f.first_line)
                from k
                join firsts f on f.key = k.key and f.d = k.d
                left join firsts p on p.key = k.key and p.d = k.d - interval 1 day
                where k.d in (select unnest(?::date[]))
                  and (p.key is not null or k._line > f.first_line)
            """,
                [paths, entity.system, entity.name, [to_date(d) for d in targets]],
            )
        con.execute("commit")


def _shift(d: str, days: int) -> str:
    return (to_date(d) + dt.timedelta(days=days)).strftime("%Y%m%d")


def reject_failed_batches(warehouse: Path, raw_root: Path, failed: dict[tuple[str, str], str]) -> None:
    """Reject whole the current batches `(sys, 'YYYYMMDD') -> reason` that failed a quality
    suite after loading, as the contract rejects a batch failing its `.OK`: the delivery is
    recorded `rejected` (its rows counted as rejected, its Parquet kept for the record), and
    the version it replaced, if any, is current again. A re-delivery (a new `.OK`) is
    ingested as usual."""
    if not failed:
        return
    con = audit.connect(Path(warehouse))
    try:
        con.execute("begin")
        for (sys, d), reason in sorted(failed.items()):
            date = to_date(d)
            (md5,) = con.execute(
                "select ok_md5 from audit_batch where sys = ? and biz_date = ? and is_current",
                [sys, date],
            ).fetchone() or (None,)
            if md5 is None:
                continue
            for table, extra in (
                ("audit_batch", ", status = 'rejected', is_current = false, reason = $reason"),
                ("audit_file", ", problem = $reason"),
            ):
                con.execute(
                    f"update {table} set rows_rejected = rows_rejected + rows_loaded, "
                    f"rows_loaded = 0 {extra} where sys = $sys and biz_date = $date "
                    "and ok_md5 = $md5",
                    {"sys": sys, "date": date, "md5": md5, "reason": reason},
                )
            con.execute(
                """
                update audit_batch set status = 'loaded', is_current = true
                where sys = $sys and biz_date = $date and status = 'superseded'
                  and version = (select max(version) from audit_batch where sys = $sys
                                 and biz_date = $date and status = 'superseded')
            """,
                {"sys": sys, "date": date},
            )
        con.execute("commit")
        _refresh_duplicates(con, Path(raw_root), set(failed))
    finally:
        con.close()
