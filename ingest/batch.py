"""Check and read one batch (a system's files for one business date) in a worker process.

The batch is verified against its `.OK` (files listed, md5, record counts, control
totals) and the ingest limits (dbt/seeds/ingest_limits.csv): a regular file no larger
than `max_file_bytes` is hashed in chunks, with its longest line, before anything
parses it; only a file whose md5 matches is parsed, from a read-only mmap (no copy),
and any error while parsing rejects the batch, never the run. A batch that fails, or
whose share of quarantined records is above `max_quarantine_share`, is rejected whole:
nothing of it is staged, its files are copied aside with the reason. A batch that
passes is written as Parquet to a staging folder; the parent process moves it into the
raw zone and records it in the audit, so that only one process ever writes the warehouse.
"""

from __future__ import annotations

import errno
import hashlib
import mmap
import shutil
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from contract.extracts import ENTITIES, Entity, cents_text
from ingest.landing import OkError, OkSignal, ok_path, parse_ok
from ingest.limits import Limits, load_limits
from ingest.read import ParsedFile, Quarantined, parse_file

HASH_CHUNK = 8 << 20  # bytes hashed (and scanned for line ends) at a time


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
    mtime_ns: int | None = None
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


def hash_file(path: Path, max_line_bytes: int | None = None) -> tuple[str, int, int]:
    """(md5, bytes, longest line in bytes) of a file, read in chunks: bounded memory."""
    md5, size, longest, line = hashlib.md5(), 0, 0, 0  # `line`: bytes of the open line
    with path.open("rb") as f:
        while chunk := f.read(HASH_CHUNK):
            md5.update(chunk)
            size += len(chunk)
            if max_line_bytes is None:
                continue
            ends = np.flatnonzero(np.frombuffer(chunk, np.uint8) == 10)
            if len(ends):
                longest = max(longest, line + int(ends[0]), int(np.diff(ends).max(initial=0)) - 1)
                line = len(chunk) - int(ends[-1]) - 1
            else:
                line += len(chunk)
    return md5.hexdigest(), size, max(longest, line)


def _check_file(landing: Path, entry, result: FileResult, limits: Limits) -> ParsedFile | None:
    path = landing / entry.file
    try:
        st = path.lstat()  # the entry itself: a symlink is not followed
    except FileNotFoundError:
        result.problem = "file_missing: listed in the .OK but not delivered"
        return None
    result.bytes, result.mtime_ns = st.st_size, st.st_mtime_ns
    if not stat.S_ISREG(st.st_mode):
        what = "a symlink" if stat.S_ISLNK(st.st_mode) else "not a regular file"
        result.problem = f"not_a_regular_file: {entry.file} is {what}, not read"
        return None
    if st.st_size > limits.max_file_bytes:
        result.problem = f"too_large: {st.st_size} bytes, limit max_file_bytes {limits.max_file_bytes}"
        return None
    result.md5_actual, result.bytes, longest = hash_file(path, limits.max_line_bytes)
    if result.md5_actual != entry.md5:
        result.problem = (
            f"md5_mismatch: .OK says {entry.md5}, file has {result.md5_actual} ({result.bytes} bytes)"
        )
        return None
    if longest > limits.max_line_bytes:
        result.problem = (
            f"line_too_long: a line of {longest} bytes, limit max_line_bytes {limits.max_line_bytes}"
        )
        return None
    entity = entity_of_file(entry.file)
    try:
        parsed = _parse(path, entity)
    except Exception as e:  # a file that cannot be read rejects its batch, never the run
        raise_if_ours(e)
        result.problem = f"unreadable: {type(e).__name__}: {str(e)[:200]}"
        return None
    result.rows_in, result.total_cents = parsed.rows_in, parsed.total_cents
    if not parsed.header_ok:
        result.problem = f"header_mismatch: expected {','.join(entity.column_names)}"
    elif parsed.rows_in != entry.records:
        result.problem = f"count_mismatch: .OK says {entry.records} records, file has {parsed.rows_in}"
    elif parsed.total_cents != entry.total_cents:
        result.problem = (
            f"total_mismatch: .OK says {cents_text(entry.total_cents)}, "
            f"file sums to {cents_text(parsed.total_cents)}"
        )
    elif len(parsed.quarantined) > (
        limits.max_quarantine_share * parsed.rows_in + limits.quarantine_allowance
    ):
        share = len(parsed.quarantined) / parsed.rows_in
        result.problem = (
            f"quality: quarantine_share {len(parsed.quarantined)} of {parsed.rows_in} records "
            f"({share:.1%}) quarantined, limit max_quarantine_share "
            f"{limits.max_quarantine_share:.1%} + quarantine_allowance {limits.quarantine_allowance}"
        )
    if entity.keys and parsed.frame.height:
        keys = parsed.frame.select(entity.keys)
        result.duplicate_keys = keys.height - keys.n_unique()
    return parsed


def _parse(path: Path, entity: Entity) -> ParsedFile:
    """Parse from a read-only mmap: the pages are the file's, nothing is copied whole."""
    with path.open("rb") as f:
        if path.stat().st_size == 0:
            return parse_file(b"", entity)
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            return parse_file(buf, entity)


# the warehouse's own trouble (a full disk, no memory, no file handles), not the delivery's:
# the run fails and the batch is tried again by the next one, never recorded as rejected
OUR_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.ENOMEM, errno.EMFILE, errno.ENFILE}


def raise_if_ours(e: Exception) -> None:
    if isinstance(e, MemoryError) or (isinstance(e, OSError) and e.errno in OUR_ERRNOS):
        raise e
    if "No space left on device" in str(e) or "os error 28" in str(e):  # polars' IO errors
        raise e


def process_batch(
    landing: Path, raw_root: Path, sys: str, biz_date: str, limits: Limits | None = None
) -> BatchResult:
    """Verify, parse and stage one complete batch. Never touches the warehouse, never
    raises for what a delivery holds: anything wrong rejects the batch with its reason."""
    t0 = time.perf_counter()
    limits = limits or load_limits()
    path = ok_path(landing, sys, biz_date)
    if path.stat().st_size > limits.max_line_bytes:  # a .OK is a few lines: never read a huge one
        result = BatchResult(sys, biz_date, hash_file(path)[0], status="rejected")
        result.reason = f"bad_ok: {path.stat().st_size} bytes, over max_line_bytes"
        _keep_rejected(landing, raw_root, result, [])
        return result
    content = path.read_bytes()
    result = BatchResult(sys, biz_date, hashlib.md5(content).hexdigest())
    try:
        _verify(landing, raw_root, result, content, limits)
    except Exception as e:  # a failure of ours on a hostile file: still this batch only
        raise_if_ours(e)
        result.status, result.reason = "rejected", f"unreadable: {type(e).__name__}: {str(e)[:200]}"
        result.staged = None
        for f in result.files:
            f.rows_rejected, f.rows_loaded, f.rows_quarantined = f.rows_in, 0, 0
        result.quarantined = []
        _keep_rejected(landing, raw_root, result, [f.file for f in result.files])
    result.seconds = time.perf_counter() - t0
    return result


def _verify(landing: Path, raw_root: Path, result: BatchResult, content: bytes, limits) -> None:
    try:
        signal: OkSignal = parse_ok(content, result.sys, result.biz_date)
    except OkError as e:
        result.status, result.reason = "rejected", f"bad_ok: {e}"
        _keep_rejected(landing, raw_root, result, [])
        return
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
        p = _check_file(landing, entry, fr, limits)
        if p is not None:
            parsed[entry.file] = p
    problems = [f"{f.file} {f.problem}" for f in result.files if f.problem]
    if problems:
        # a content threshold first names its kind: `quality: ...` as a failed suite does
        if all(f.problem.startswith("quality:") for f in result.files if f.problem):
            reason = "quality: " + "; ".join(p.replace(" quality: ", " ", 1) for p in problems)
        else:
            reason = "; ".join(problems)
        result.status, result.reason = "rejected", reason
        for f in result.files:
            f.rows_rejected = f.rows_in
        _keep_rejected(landing, raw_root, result, [e.file for e in signal.entries])
    else:
        result.staged = _stage(raw_root, result, parsed)


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
        try:
            regular = stat.S_ISREG(src.lstat().st_mode)
        except FileNotFoundError:
            continue
        if regular:  # a symlink is never followed, nor copied
            shutil.copyfile(src, dest / name, follow_symlinks=False)
