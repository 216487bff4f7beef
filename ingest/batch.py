"""Check and read one batch (a system's files for one business date) in a worker process.

The batch is verified against its `.OK` (files listed, md5, record counts, control
totals). A batch that fails is rejected whole: nothing of it is staged, its files are
copied aside with the reason. A batch that passes is written as Parquet to a staging
folder; the parent process moves it into the raw zone and records it in the audit, so
that only one process ever writes the warehouse.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from contract.extracts import ENTITIES, Entity, cents_text
from ingest.landing import OkError, OkSignal, ok_path, parse_ok
from ingest.read import ParsedFile, Quarantined, parse_file


@dataclass
class FileResult:
    file: str
    entity: str
    bytes: int = 0
    md5_expected: str = ""
    md5_actual: str = ""
    records_expected: int = 0
    total_expected_cents: int = 0
    rows_in: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_rejected: int = 0
    total_cents: int = 0
    duplicate_keys: int = 0
    problem: str | None = None


@dataclass
class BatchResult:
    sys: str
    biz_date: str
    ok_md5: str
    version: int | None = None
    mode: str | None = None
    status: str = "loaded"  # loaded | rejected
    reason: str = ""
    files: list[FileResult] = field(default_factory=list)
    quarantined: list[tuple[str, str, Quarantined]] = field(default_factory=list)  # file, entity
    staged: Path | None = None  # {entity}/part-0.parquet under it
    seconds: float = 0.0

    @property
    def rows_in(self) -> int:
        return sum(f.rows_in for f in self.files)


def entity_of_file(name: str) -> Entity:
    sys, entity, _ = name.split("_", 2)
    return ENTITIES[(sys, entity)]


def _check_file(landing: Path, entry, result: FileResult) -> ParsedFile | None:
    path = landing / entry.file
    if not path.exists():
        result.problem = "file_missing: listed in the .OK but not delivered"
        return None
    buf = path.read_bytes()
    result.bytes, result.md5_actual = len(buf), hashlib.md5(buf).hexdigest()
    entity = entity_of_file(entry.file)
    parsed = parse_file(buf, entity)
    result.rows_in, result.total_cents = parsed.rows_in, parsed.total_cents
    if result.md5_actual != entry.md5:
        result.problem = (
            f"md5_mismatch: .OK says {entry.md5}, file has {result.md5_actual} ({len(buf)} bytes)"
        )
    elif not parsed.header_ok:
        result.problem = f"header_mismatch: expected {','.join(entity.column_names)}"
    elif parsed.rows_in != entry.records:
        result.problem = f"count_mismatch: .OK says {entry.records} records, file has {parsed.rows_in}"
    elif parsed.total_cents != entry.total_cents:
        result.problem = (
            f"total_mismatch: .OK says {cents_text(entry.total_cents)}, "
            f"file sums to {cents_text(parsed.total_cents)}"
        )
    if entity.keys and parsed.frame.height:
        keys = parsed.frame.select(entity.keys)
        result.duplicate_keys = keys.height - keys.n_unique()
    return parsed


def process_batch(landing: Path, raw_root: Path, sys: str, biz_date: str) -> BatchResult:
    """Verify, parse and stage one complete batch. Never touches the warehouse."""
    t0 = time.perf_counter()
    content = ok_path(landing, sys, biz_date).read_bytes()
    result = BatchResult(sys, biz_date, hashlib.md5(content).hexdigest())
    try:
        signal: OkSignal = parse_ok(content, sys, biz_date)
    except OkError as e:
        result.status, result.reason = "rejected", f"bad_ok: {e}"
        _keep_rejected(landing, raw_root, result, [])
        return result
    result.version, result.mode = signal.version, signal.mode
    parsed: dict[str, ParsedFile] = {}
    for entry in signal.entries:
        fr = FileResult(
            entry.file,
            entity_of_file(entry.file).name,
            md5_expected=entry.md5,
            records_expected=entry.records,
            total_expected_cents=entry.total_cents,
        )
        result.files.append(fr)
        p = _check_file(landing, entry, fr)
        if p is not None:
            parsed[entry.file] = p
    problems = [f"{f.file} {f.problem}" for f in result.files if f.problem]
    if problems:
        result.status, result.reason = "rejected", "; ".join(problems)
        for f in result.files:
            f.rows_rejected = f.rows_in
        _keep_rejected(landing, raw_root, result, [e.file for e in signal.entries])
    else:
        result.staged = _stage(raw_root, result, parsed)
    result.seconds = time.perf_counter() - t0
    return result


def _stage(raw_root: Path, result: BatchResult, parsed: dict[str, ParsedFile]) -> Path:
    staged = raw_root / "_staging" / f"{result.sys}_{result.biz_date}_{result.ok_md5[:12]}"
    shutil.rmtree(staged, ignore_errors=True)
    for f in result.files:
        p = parsed[f.file]
        f.rows_loaded, f.rows_quarantined = p.frame.height, len(p.quarantined)
        out = staged / f.entity.lower()
        out.mkdir(parents=True)
        p.frame.write_parquet(out / "part-0.parquet", compression="zstd", compression_level=1)
        result.quarantined += [(f.file, f.entity, q) for q in p.quarantined]
    return staged


def _keep_rejected(landing: Path, raw_root: Path, result: BatchResult, files: list[str]) -> None:
    """A rejected batch is kept as delivered, beside the raw zone, for audit and replay."""
    dest = (
        raw_root
        / "_rejected"
        / result.sys.lower()
        / f"biz_date={result.biz_date}"
        / (f"ok={result.ok_md5[:12]}")
    )
    dest.mkdir(parents=True, exist_ok=True)
    for name in [ok_path(landing, result.sys, result.biz_date).name, *files]:
        src = landing / name
        if src.exists():
            shutil.copyfile(src, dest / name)
