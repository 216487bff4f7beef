"""What a `crmwh run` does before and around its Dagster runs so that a killed run never
hangs, corrupts or litters the next one.

- **Ownership**: each Dagster run started here is tagged with the process that runs it
  (`crmwh/host`, `crmwh/pid`, `crmwh/pid_start`), and the process keeps a folder
  `data/warehouse/.runs/<host>-<pid>-<start>/` where its children record themselves
  (crmwh/lifeline.py). "No longer alive" is then decidable: that pid with that start time
  is gone.
- **Recovery** (`recover`, under the writer lock, before anything else): ends the recorded
  children of dead runs, marks their Dagster runs failed and frees their pool slots (the
  pool `warehouse` lives in the instance's storage: a dead run's slot is never given back,
  and the next run's step would wait for it forever), removes the temporary files a dead
  run leaves (`raw/_staging/`, `crm.duckdb.*.tmp`, half-written export versions, `.part`
  reports).
- **Stopping**: `run_stoppable` runs the pipeline in a worker thread so that SIGINT and
  SIGTERM reach the main thread even while Dagster waits (it swallows interrupts outside a
  step); the main thread then ends the children, marks the run failed, and exits non-zero,
  which releases the writer lock.
- **Preflight**: free space on the data folder's filesystem (`CRMWH_MIN_FREE_MB`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import dagster as dg

from crmwh.lifeline import alive, start_ticks
from dagster_project.defs.ingest import WAREHOUSE_POOL
from dagster_project.defs.resources import WarehousePaths

HOST_TAG, PID_TAG, START_TAG = "crmwh/host", "crmwh/pid", "crmwh/pid_start"
UNFINISHED = [
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]
MIN_FREE_MB = 1024  # default of CRMWH_MIN_FREE_MB: below it a run does not start
Log = Callable[[str], object]


def owner_tags() -> dict[str, str]:
    """Tags naming the process that runs a Dagster run (what recovery checks)."""
    pid = os.getpid()
    return {HOST_TAG: socket.gethostname(), PID_TAG: str(pid), START_TAG: start_ticks(pid) or "0"}


def _runs_dir(paths: WarehousePaths) -> Path:
    return paths.warehouse.parent / ".runs"


@contextlib.contextmanager
def run_record(paths: WarehousePaths) -> Iterator[Path]:
    """This process's folder under `.runs/`, where its children record themselves
    (`CRMWH_RUN_DIR`); removed when the run ends normally."""
    tags = owner_tags()
    folder = _runs_dir(paths) / f"{tags[HOST_TAG]}-{tags[PID_TAG]}-{tags[START_TAG]}"
    folder.mkdir(parents=True, exist_ok=True)
    before = {k: os.environ.get(k) for k in ("CRMWH_RUN_DIR", "CRMWH_RUN_PID")}
    os.environ["CRMWH_RUN_DIR"], os.environ["CRMWH_RUN_PID"] = str(folder), tags[PID_TAG]
    try:
        yield folder
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        shutil.rmtree(folder, ignore_errors=True)


def _owner_alive(host: str, pid: str, ticks: str) -> bool:
    if host != socket.gethostname():
        return True  # another machine's process: not ours to judge
    if int(pid) == os.getpid() and (start_ticks(os.getpid()) or "0") == ticks:
        return True
    return alive(int(pid), None if ticks == "0" else ticks)


def _kill(pid: int, ticks: str | None) -> bool:
    """SIGKILL the process `pid` started at `ticks` if it still runs; wait until it is gone."""
    if not alive(pid, ticks):
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while alive(pid, ticks) and time.monotonic() < deadline:
        time.sleep(0.05)
    return True


def end_children(folder: Path) -> list[int]:
    """Kill the children recorded in a run's folder; the pids killed."""
    killed = []
    for child in sorted(folder.glob("child-*")):
        _, pid, ticks = child.name.split("-", 2)
        if _kill(int(pid), None if ticks == "0" else ticks):
            killed.append(int(pid))
    return killed


def _dead_run_folders(paths: WarehousePaths) -> list[Path]:
    out = []
    for folder in sorted(_runs_dir(paths).glob("*-*-*")):
        host, pid, ticks = folder.name.rsplit("-", 2)
        if not _owner_alive(host, pid, ticks):
            out.append(folder)
    return out


def fail_dead_runs(instance: dg.DagsterInstance, log: Log, only_pid: int | None = None) -> list[str]:
    """Mark failed the unfinished Dagster runs of dead processes of this host (or of
    `only_pid`, when this process stops), and free their slots in the pool; also free slots
    still claimed by finished runs. The run ids handled."""
    host = socket.gethostname()
    runs = instance.get_runs(filters=dg.RunsFilter(statuses=UNFINISHED, tags={HOST_TAG: host}))
    done = []
    for run in runs:
        pid, ticks = run.tags.get(PID_TAG), run.tags.get(START_TAG, "0")
        if pid is None:
            continue
        if only_pid is not None:
            if int(pid) != only_pid:
                continue
        elif _owner_alive(host, pid, ticks):
            continue
        why = "its process stopped" if only_pid else f"its process (pid {pid} on {host}) is gone"
        instance.report_run_failed(run, message=f"crmwh: run marked failed: {why}")
        done.append(run.run_id)
    storage = instance.event_log_storage
    if storage.supports_global_concurrency_limits:
        info = storage.get_concurrency_info(WAREHOUSE_POOL)
        holders = {s.run_id for s in info.claimed_slots} | {p.run_id for p in info.pending_steps}
        for run_id in holders:
            run = instance.get_run_by_id(run_id)
            if run_id in done or run is None or run.is_finished:
                storage.free_concurrency_slots_for_run(run_id)
                log(f"recovery: freed the slot of run {run_id} in the pool {WAREHOUSE_POOL}")
    if only_pid is not None:
        for run_id in done:
            log(f"run {run_id} marked failed: stopped")
    return done


def remove_temp_files(paths: WarehousePaths) -> list[Path]:
    """What only a dead (or stopped) run leaves: staged batches, unfinished published
    files, half-written export versions and reports. Only under the writer lock."""
    wh = paths.warehouse.parent
    found = [
        paths.raw / "_staging",
        *wh.glob(f"{paths.published.name}.*.tmp"),
        *wh.glob(f"{paths.published.name}.*.tmp.wal"),
        *(paths.exports.parent / f"{paths.exports.name}_versions").glob(".*.tmp"),
        *paths.exports.parent.glob(f".{paths.exports.name}.*.link"),
        *paths.docs.glob("*.part"),
    ]
    removed = []
    for path in found:
        if path == paths.raw / "_staging" and path.is_dir() and not any(path.iterdir()):
            path.rmdir()  # an ingest leaves it empty: nothing to report
            continue
        if path.is_symlink() or path.is_file():
            path.unlink(missing_ok=True)
        elif path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            continue
        removed.append(path)
    return removed


def recover(paths: WarehousePaths, instance: dg.DagsterInstance, log: Log = print) -> list[str]:
    """Clear what dead runs left; call holding the writer lock. What was done, one line each."""
    done: list[str] = []
    for folder in _dead_run_folders(paths):
        for pid in end_children(folder):
            done.append(f"ended process {pid} left by the dead run {folder.name}")
        shutil.rmtree(folder, ignore_errors=True)
    done += [f"marked run {r} failed: its process is gone" for r in fail_dead_runs(instance, log)]
    done += [f"removed {p}" for p in remove_temp_files(paths)]
    for line in done:
        log(f"recovery: {line}")
    return done


# --- preflight ----------------------------------------------------------------------------


class NotEnoughSpace(RuntimeError):
    pass


def min_free_mb() -> float:
    return float(os.environ.get("CRMWH_MIN_FREE_MB") or MIN_FREE_MB)


def free_mb(data: Path) -> float:
    """Free space (MB) on the filesystem that holds `data` (or would: its first parent)."""
    probe = Path(data).resolve()
    while not probe.exists():
        probe = probe.parent
    return shutil.disk_usage(probe).free / 2**20


def check_free_space(data: Path) -> None:
    need, free = min_free_mb(), free_mb(data)
    if free < need:
        raise NotEnoughSpace(
            f"only {free:,.0f} MB free on the filesystem of {Path(data).resolve()}; a run needs "
            f"at least {need:,.0f} MB (CRMWH_MIN_FREE_MB): free some space and run again"
        )


# --- stopping on a signal -----------------------------------------------------------------


class Stopped(BaseException):
    """SIGINT or SIGTERM reached a running `crmwh run`."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def run_stoppable(work: Callable[[], object], on_stop: Callable[[], object]):
    """`work()` in a worker thread; SIGINT/SIGTERM in the main thread call `on_stop()` (end
    children, mark the run failed) and raise `Stopped`. The caller exits the process: the
    worker thread may still be inside DuckDB, and only the process's exit ends it (and
    releases the writer lock)."""
    result: dict[str, object] = {}

    def target() -> None:
        try:
            result["value"] = work()
        except BaseException as e:  # re-raised in the main thread
            result["error"] = e

    def handler(signum, _frame):
        raise Stopped(signum)

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    thread = threading.Thread(target=target, name="crmwh-run", daemon=True)
    try:
        thread.start()
        while thread.is_alive():
            thread.join(0.2)
    except Stopped:
        for s in previous:  # a second signal while stopping must not interrupt the clean-up
            signal.signal(s, signal.SIG_IGN)
        on_stop()
        raise
    finally:
        if thread.is_alive() is False:
            for s, h in previous.items():
                signal.signal(s, h)
    if "error" in result:
        raise result["error"]  # type: ignore[misc]
    return result.get("value")


def stop_children_and_runs(paths: WarehousePaths, instance: dg.DagsterInstance, log: Log) -> None:
    """What a stopping run does before it exits: end its recorded children and every other
    child process, mark its Dagster runs failed and free their slots."""
    folder = os.environ.get("CRMWH_RUN_DIR")
    if folder:
        end_children(Path(folder))  # only those: Dagster's log capture is a child too
    fail_dead_runs(instance, log, only_pid=os.getpid())
    if folder:
        shutil.rmtree(folder, ignore_errors=True)


def warn(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def to_terminal() -> Log:
    """A writer to this process's stderr as it is now: during a run Dagster captures the
    process's file descriptors 1 and 2 through a child process, which a stop may outlive."""
    fd = os.dup(2)
    return lambda message: os.write(fd, (message + "\n").encode())
