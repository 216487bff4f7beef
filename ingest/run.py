"""Ingest every complete batch of a landing folder into the raw zone and the audit.

Batches are checked and parsed in worker processes (GB18030 decoding is CPU-bound
Python); this process alone moves their Parquet into the raw zone and writes the
warehouse, so DuckDB only ever has one writer. Re-running is a no-op for a delivery
already decided (same `.OK` md5); a new delivery of a date is processed again.

A delivery's verdict is committed with it, in one transaction: the checks of the files
(batch.py), the volume of FULL snapshots against the previous one, and the quality
`gate` (the Great Expectations suites, given by the caller) all run on the staged
Parquet before the audit records anything. A run stopped at any moment leaves either
nothing recorded (the next run redoes the delivery) or a delivery with its verdict.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import stat
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from contract.extracts import ENTITIES
from ingest import audit, raw_zone
from ingest.audit import to_date
from ingest.batch import BatchResult, _keep_rejected, hash_file, process_batch
from ingest.landing import Arrival, Stray, survey
from ingest.limits import Limits, load_limits

DAY_ENTITIES_WITH_KEYS = [e for e in ENTITIES.values() if e.snapshot == "day" and e.keys]


@dataclass
class IngestSummary:
    results: list[BatchResult] = field(default_factory=list)
    unchanged: int = 0
    waiting: list[tuple[str, str, str]] = field(default_factory=list)  # sys, date, reason
    ignored: list[BatchResult] = field(default_factory=list)
    strays: list[Stray] = field(default_factory=list)  # landing entries outside any batch
    changed: list[dict] = field(default_factory=list)  # loaded files changed since (new)
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
        if self.strays:
            lines.append(f"  {len(self.strays)} landing entries outside any batch (audit_landing):")
            lines += [f"    {x.reason} {x.name!r}: {x.detail}" for x in self.strays[:10]]
        lines += [
            f"  changed_after_load {c['sys']} {c['biz_date']:%Y%m%d} {c['file']}: md5 "
            f"{c['md5_at_load']} at load, {c['md5_now']} now"
            for c in self.changed[:10]
        ]
        return "\n".join(lines)


def _md5(path: Path) -> str:
    return hash_file(path)[0]


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
    arrivals = survey(Path(landing))[0]
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


Gate = Callable[[list[BatchResult]], dict[tuple[str, str], str]]


def ingest(
    landing: Path,
    raw_root: Path,
    warehouse: Path,
    dates: Iterable[str] | None = None,
    systems: Iterable[str] | None = None,
    workers: int | None = None,
    run_id: str = "",
    gate: Gate | None = None,
    date_range: tuple[str, str] | None = None,
    limits: Limits | None = None,
) -> IngestSummary:
    """Ingest the complete batches of `dates` (all when None) and refresh the audit.

    `gate(batches)` judges the batches that passed every other check, on their staged
    Parquet (`BatchResult.staged`), and returns `(sys, date) -> reason` of those it
    rejects, before anything is recorded. `date_range` (first, last `YYYYMMDD`): the
    business dates that can exist; a batch dated outside is recorded in `audit_landing`
    (`bad_date`), not read."""
    t0 = dt.datetime.now()
    landing, raw_root = Path(landing), Path(raw_root)
    limits = limits or load_limits()
    summary = IngestSummary()
    arrivals, strays = survey(landing)
    arrivals = _outside(landing, arrivals, strays, date_range)
    con = audit.connect(Path(warehouse))
    try:
        raw_zone.migrate_flat_versions(raw_root, con)  # a raw zone from before the ok= level
        todo, summary.unchanged = _todo(
            con,
            arrivals,
            None if dates is None else set(dates),
            None if systems is None else set(systems),
        )
        rows = _AuditRows.load(con)
        results: list[BatchResult] = []
        _process_all(landing, raw_root, todo, workers or default_workers(), results.append)
        results.sort(key=lambda r: (r.biz_date, r.sys))
        try:
            _judge(con, landing, raw_root, results, rows, gate, limits)
        except BaseException:  # nothing recorded: the next run redoes these deliveries
            for r in results:
                raw_zone.discard(r.staged)
            raise
        for r in results:
            _decide(raw_root, r, rows, run_id)
            (summary.ignored if r.status == "ignored" else summary.results).append(r)
        # the deliveries, their verdicts and their repeated keys: one transaction
        _write(con, rows, lambda: _refresh_duplicates(con, raw_root, _touched(summary)))
        summary.waiting = _record_waiting(con, arrivals)
        summary.strays = _record_landing(con, strays, rows.now)
        summary.changed = _record_changed(con, landing, rows.now)
    finally:
        con.close()
    summary.seconds = (dt.datetime.now() - t0).total_seconds()
    return summary


def _outside(
    landing: Path, arrivals: dict[tuple[str, str], Arrival], strays: list[Stray], date_range
) -> dict[tuple[str, str], Arrival]:
    """Arrivals dated inside `date_range`; the files of the others become strays."""
    if date_range is None:
        return arrivals
    first, last = date_range
    kept = {}
    for key, arr in arrivals.items():
        if first <= arr.biz_date <= last:
            kept[key] = arr
            continue
        when = "after the last" if arr.biz_date > last else "before the first"
        why = f"{arr.biz_date} is {when} business date ({first}..{last}): not read"
        paths = [arr.ok_path] if arr.ok_path else []
        for p in paths + [landing / name for name in arr.data_files]:
            st = p.lstat()
            strays.append(
                Stray(p.name, "bad_date", why, st.st_size, dt.datetime.fromtimestamp(st.st_mtime))
            )
    return kept


def _reject(landing: Path, raw_root: Path, r: BatchResult, reason: str) -> None:
    """Reject a staged batch whole: its rows count as rejected, its files are kept aside."""
    raw_zone.discard(r.staged)
    r.staged, r.status, r.reason, r.quarantined = None, "rejected", reason, []
    for f in r.files:
        f.rows_rejected, f.rows_loaded, f.rows_quarantined = f.rows_in, 0, 0
    _keep_rejected(landing, raw_root, r, [f.file for f in r.files])


def _judge(con, landing, raw_root, results, rows, gate, limits: Limits) -> None:
    """The verdicts that need more than the batch itself: a stale version is ignored, a
    FULL snapshot is compared with the previous one, then the quality gate."""
    previous = _full_snapshots(con)
    for r in results:
        if r.status != "loaded":
            continue
        cur = rows.current.get((r.sys, r.biz_date))
        if cur is not None and r.version < cur:
            r.status, r.reason = "ignored", f"version {r.version} is older than the current {cur}"
            raw_zone.discard(r.staged)
            r.staged = None
            continue
        if why := _volume(r, previous, limits):
            _reject(landing, raw_root, r, why)
            continue
        for f in r.files:
            if _is_full_snapshot(r, f.entity):
                previous.setdefault((r.sys, f.entity), {})[r.biz_date] = f.rows_in
    candidates = [r for r in results if r.status == "loaded"]
    if gate is not None and candidates:
        verdicts = gate(candidates)
        for r in candidates:
            if why := verdicts.get((r.sys, r.biz_date)):
                _reject(landing, raw_root, r, why)


def _is_full_snapshot(r: BatchResult, entity: str) -> bool:
    """A file holding every row of its entity: a `full` entity, or CUST/ACCT of a FULL batch."""
    snapshot = ENTITIES[(r.sys, entity)].snapshot
    return snapshot == "full" or (snapshot == "delta" and r.mode == "FULL")


def _full_snapshots(con) -> dict[tuple[str, str], dict[str, int]]:
    """(sys, entity) -> {date: records} of the current FULL snapshot files."""
    out: dict[tuple[str, str], dict[str, int]] = {}
    for sys, entity, d, mode, n in con.execute(
        "select f.sys, f.entity, strftime(f.biz_date, '%Y%m%d'), b.mode, f.rows_in "
        "from audit_file f join audit_batch b using (sys, biz_date, ok_md5) where b.is_current"
    ).fetchall():
        snapshot = ENTITIES[(sys, entity)].snapshot if (sys, entity) in ENTITIES else None
        if snapshot == "full" or (snapshot == "delta" and mode == "FULL"):
            out.setdefault((sys, entity), {})[d] = n
    return out


def _volume(r: BatchResult, previous: dict, limits: Limits) -> str | None:
    """Why a FULL snapshot file of `r` is not believable: empty, or much smaller than the
    previous current one (on or before its date) of the same entity."""
    problems = []
    for f in r.files:
        if not _is_full_snapshot(r, f.entity):
            continue
        if f.rows_in == 0:
            problems.append(f"{f.file} is an empty FULL snapshot")
            continue
        before = {d: n for d, n in previous.get((r.sys, f.entity), {}).items() if d <= r.biz_date}
        if not before:
            continue
        n = before[max(before)]
        if n >= limits.min_full_snapshot_rows and f.rows_in < limits.min_full_snapshot_ratio * n:
            problems.append(
                f"{f.file} holds {f.rows_in} records, the previous FULL snapshot "
                f"({max(before)}) {n}: below min_full_snapshot_ratio {limits.min_full_snapshot_ratio}"
            )
    return "volume: " + "; ".join(problems) if problems else None


def _decide(raw_root: Path, r: BatchResult, rows: _AuditRows, run_id: str) -> None:
    """Move a loaded batch into the raw zone and collect its audit rows."""
    if r.status == "loaded":
        raw_zone.promote(r.staged, raw_root, r.sys, r.biz_date, r.version, r.ok_md5)
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
            "mtime_ns": f.mtime_ns,
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


def _touched(summary: IngestSummary) -> set[tuple[str, str]]:
    return {(r.sys, r.biz_date) for r in summary.loaded}


def _write(con, rows: _AuditRows, before_commit: Callable[[], None]) -> None:
    """One transaction: older versions superseded, waiting rows replaced, new rows in,
    then `before_commit` (which reads the new state)."""
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
    before_commit()
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


def _record_landing(con, strays: list[Stray], now: dt.datetime) -> list[Stray]:
    """Every stray entry of the landing folder, first and last seen (entries gone since
    keep their last sighting: the record of what was delivered)."""
    con.execute("begin")
    for x in strays:
        updated = con.execute(
            "update audit_landing set last_seen_at = ?, detail = ?, bytes = ?, modified_at = ? "
            "where file = ? and reason = ? returning 1",
            [now, x.detail, x.size, x.mtime, x.name, x.reason],
        ).fetchall()
        if not updated:
            con.execute(
                "insert into audit_landing values (?, ?, ?, ?, ?, ?, ?)",
                [x.name, x.reason, x.detail, x.size, x.mtime, now, now],
            )
    con.execute("commit")
    return strays


def _record_changed(con, landing: Path, now: dt.datetime) -> list[dict]:
    """Files of current deliveries whose bytes changed since they were loaded, under the
    same `.OK` (a new `.OK` is a new delivery). Cheap: a file is hashed again only when
    its size or modification time differs from what was recorded."""
    rows = con.execute("""
        select f.sys, f.biz_date, f.version, f.ok_md5, f.file, f.md5_actual, f.bytes, f.mtime_ns,
               c.bytes_now, c.mtime_ns_now
        from audit_file f join audit_batch b using (sys, biz_date, ok_md5)
        left join changed_after_load c using (ok_md5, file)
        where b.is_current and f.mtime_ns is not null
    """).fetchall()
    found, seen = [], []
    for sys, d, version, ok_md5, file, md5, size, mtime, c_size, c_mtime in rows:
        try:
            st = (landing / file).lstat()
        except FileNotFoundError:
            continue  # gone from the landing folder: the bank's to clean up
        if (st.st_size, st.st_mtime_ns) in ((size, mtime), (c_size, c_mtime)):
            if (st.st_size, st.st_mtime_ns) == (c_size, c_mtime):
                seen.append((ok_md5, file))
            continue
        now_md5 = hash_file(landing / file)[0] if stat.S_ISREG(st.st_mode) else "not a regular file"
        if now_md5 == md5:  # touched, not changed: remember the new time, hash no more
            con.execute(
                "update audit_file set mtime_ns = ?, bytes = ? where ok_md5 = ? and file = ?",
                [st.st_mtime_ns, st.st_size, ok_md5, file],
            )
            continue
        found.append(
            {
                "sys": sys,
                "biz_date": d,
                "version": version,
                "ok_md5": ok_md5,
                "file": file,
                "md5_at_load": md5,
                "md5_now": now_md5,
                "bytes_now": st.st_size,
                "mtime_ns_now": st.st_mtime_ns,
                "first_seen_at": now,
                "last_seen_at": now,
            }
        )
    con.execute("begin")
    for ok_md5, file in seen:
        con.execute(
            "update changed_after_load set last_seen_at = ? where ok_md5 = ? and file = ?",
            [now, ok_md5, file],
        )
    for c in found:  # a file changed again replaces its earlier sighting
        con.execute(
            "delete from changed_after_load where ok_md5 = ? and file = ?", [c["ok_md5"], c["file"]]
        )
    audit.insert_frame(con, "changed_after_load", pl.DataFrame(found, infer_schema_length=None))
    con.execute("commit")
    return found


def _refresh_duplicates(con, raw_root: Path, touched: set[tuple[str, str]]) -> None:
    """Recompute `duplicate_keys` for the dates a new current version can affect (D, D+1),
    inside the caller's transaction (the one recording the deliveries)."""
    if not touched:
        return
    cur = audit.current_deliveries(con)
    for entity in DAY_ENTITIES_WITH_KEYS:
        targets = sorted({d for s, d0 in touched if s == entity.system for d in (d0, _shift(d0, 1))})
        if not targets:
            continue
        need = sorted({x for d in targets for x in (d, _shift(d, -1))})
        sys = entity.system
        paths = [
            str(raw_zone.part_path(raw_root, sys, entity.name, d, *cur[(sys, d)]))
            for d in need
            if (sys, d) in cur
        ]
        key = entity.keys[0]
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
                                      hive_types = {{'biz_date': varchar, 'version': integer,
                                                    'ok': varchar}})
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


def _shift(d: str, days: int) -> str:
    return (to_date(d) + dt.timedelta(days=days)).strftime("%Y%m%d")
