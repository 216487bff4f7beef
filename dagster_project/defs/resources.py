"""Where the warehouse lives. Defaults are the project's folders under the working
directory; `CRMWH_LANDING` and `CRMWH_DATA` (read when a run starts) override them, so
others can run their own landing folders through the same definitions."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

_held: dict[Path, int] = {}  # lock file -> depth, for this process


@contextmanager
def writer_lock(warehouse: Path, log: Callable[[str], object] = print) -> Iterator[None]:
    """One writer on the warehouse folder at a time, across processes: DuckDB allows one
    writing process per file, and a second run would fail on its lock instead of waiting.
    An exclusive `flock` on `warehouse/.writer.lock`, waited for (the second run queues);
    re-entrant within a process (a run holds it while its steps take it again)."""
    path = Path(warehouse).parent / ".writer.lock"
    if path in _held:
        _held[path] += 1
        try:
            yield
        finally:
            _held[path] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log(f"another run is writing {path.parent}: waiting for it to finish")
            fcntl.flock(fd, fcntl.LOCK_EX)
        _held[path] = 1
        yield
    finally:
        _held.pop(path, None)
        os.close(fd)  # releases the lock


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

    def writer_lock(self, log: Callable[[str], object] = print):
        return writer_lock(self.warehouse, log)

    @property
    def exports(self) -> Path:
        return self.data / "exports"

    @property
    def docs(self) -> Path:
        return self.data / "docs"
