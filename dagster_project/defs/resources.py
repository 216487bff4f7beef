"""Where the warehouse lives. Defaults are the project's folders under the working
directory; `CRMWH_LANDING` and `CRMWH_DATA` (read when a run starts) override them, so
others can run their own landing folders through the same definitions."""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

_held: dict[Path, int] = {}  # lock file -> depth, for this process
LOCK_TIMEOUT_S = 1800.0  # default of CRMWH_LOCK_TIMEOUT: how long a run waits for a live holder
LOCK_POLL_S = 0.5


class LockTimeout(RuntimeError):
    """The writer lock stayed held by a live process for longer than CRMWH_LOCK_TIMEOUT."""


def lock_timeout() -> float:
    return float(os.environ.get("CRMWH_LOCK_TIMEOUT") or LOCK_TIMEOUT_S)


def lock_holder(warehouse: Path) -> dict:
    """Who holds (or last held) the writer lock: pid, run id, host, since; {} if unknown."""
    return _holder_at(Path(warehouse).parent / ".writer.lock")


def _holder_at(path: Path) -> dict:
    try:
        return json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        return {}


def _describe(holder: dict) -> str:
    if not holder:
        return "a process that did not say who it is"
    run = f", run {holder['run_id']}" if holder.get("run_id") else ""
    return f"pid {holder.get('pid')} on {holder.get('host')}{run}, since {holder.get('since')}"


def _record(fd: int, run_id: str | None) -> None:
    """Name the holder in the lock file (the lock is the flock, not the content)."""
    holder = {
        "pid": os.getpid(),
        "run_id": run_id,
        "host": socket.gethostname(),
        "since": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(holder).encode(), 0)


def note_run(warehouse: Path, run_id: str) -> None:
    """Add the Dagster run now writing to the record of a lock this process holds."""
    path = Path(warehouse).parent / ".writer.lock"
    if path in _held:
        fd = os.open(path, os.O_WRONLY)
        try:
            _record(fd, run_id)
        finally:
            os.close(fd)


@contextmanager
def writer_lock(
    warehouse: Path, log: Callable[[str], object] = print, run_id: str | None = None
) -> Iterator[None]:
    """One writer on the warehouse folder at a time, across processes: DuckDB allows one
    writing process per file, and a second run would fail on its lock instead of waiting.
    An exclusive `flock` on `warehouse/.writer.lock`, waited for (the second run queues) at
    most `CRMWH_LOCK_TIMEOUT` seconds, then `LockTimeout` naming the holder; the file records
    the holder (pid, run id, host, since) while held. Re-entrant within a process (a run
    holds it while its steps take it again). The kernel drops a dead holder's flock."""
    path = Path(warehouse).parent / ".writer.lock"
    if path in _held:
        _held[path] += 1
        try:
            yield
        finally:
            _held[path] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o640)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            _wait(fd, path, log)
        _record(fd, run_id)
        _held[path] = 1
        yield
    finally:
        _held.pop(path, None)
        os.close(fd)  # releases the lock


def _wait(fd: int, path: Path, log: Callable[[str], object]) -> None:
    timeout = lock_timeout()
    holder = _holder_at(path)
    log(
        f"another run is writing {path.parent} ({_describe(holder)}): waiting for it to "
        f"finish, at most {timeout:.0f} s (CRMWH_LOCK_TIMEOUT)"
    )
    deadline = time.monotonic() + timeout
    while True:
        time.sleep(LOCK_POLL_S)  # a poll, not a blocking flock: a signal can stop the wait
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise LockTimeout(
                    f"the writer lock {path} is still held after {timeout:.0f} s "
                    f"(CRMWH_LOCK_TIMEOUT) by {_describe(_holder_at(path))}"
                ) from None


class WarehousePaths(dg.ConfigurableResource):
    landing_dir: str = ""  # empty: $CRMWH_LANDING, else data/landing
    data_dir: str = ""  # empty: $CRMWH_DATA, else data

    @property
    def landing(self) -> Path:
        return Path(self.landing_dir or os.environ.get("CRMWH_LANDING", "data/landing")).resolve()

    @property
    def data(self) -> Path:
        return Path(self.data_dir or os.environ.get("CRMWH_DATA", "data")).resolve()

    @property
    def raw(self) -> Path:
        return self.data / "raw"

    @property
    def warehouse(self) -> Path:
        """The file runs write (ingest audit, every dbt schema); readers never open it."""
        return self.data / "warehouse" / "work.duckdb"

    @property
    def published(self) -> Path:
        """The file readers open (read-only): the checked marts, replaced in one step."""
        return self.data / "warehouse" / "crm.duckdb"

    def writer_lock(self, log: Callable[[str], object] = print, run_id: str | None = None):
        return writer_lock(self.warehouse, log, run_id)

    @property
    def exports(self) -> Path:
        return self.data / "exports"

    @property
    def readers(self) -> Path:
        """The readers' published forms per role and organisation (marts/access.py)."""
        return self.data / "published"

    @property
    def docs(self) -> Path:
        return self.data / "docs"
