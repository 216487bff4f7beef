"""Child processes that die with the run that started them, and are recorded so the next
run can end any that did not.

A `crmwh run` sets `CRMWH_RUN_DIR` (a folder of `data/warehouse/.runs/`, see
dagster_project/recovery.py) and `CRMWH_RUN_PID`; its children (ingest workers, the dbt
launcher) call `die_with_parent()`: on Linux the kernel sends them SIGKILL when the thread
that started them exits, so a killed run's dbt can never go on writing the work file. Each
child also leaves a file `child-<pid>-<start>` in the run's folder: where the parent-death
signal cannot be set (another OS) or came too late, recovery ends what is recorded.

Standard library only: the dbt launcher runs this before dbt's imports.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from pathlib import Path

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def start_ticks(pid: int) -> str | None:
    """A process's start time in clock ticks since boot (/proc/<pid>/stat field 22): with
    the pid, it names one process (pids are reused); None when it is gone or not Linux."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def alive(pid: int, ticks: str | None) -> bool:
    """The process `pid` started at `ticks` still runs (not a later process with its pid)."""
    now = start_ticks(pid)
    if now is None:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return ticks is None and not Path("/proc").is_dir()
    state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    return state != "Z" and (ticks is None or now == ticks)


def die_with_parent() -> None:
    """SIGKILL this process when its parent (thread) exits; exit now if the parent is
    already gone (it died between the fork and this call). Also records this process."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    parent = os.environ.get("CRMWH_RUN_PID")
    if parent and os.getppid() != int(parent) and not _is_descendant_of(int(parent)):
        os._exit(1)
    record_child(os.getpid())


def _is_descendant_of(pid: int) -> bool:
    """Our parent chain reaches `pid` (a grandchild: dbt's own workers, spawn helpers)."""
    current = os.getppid()
    for _ in range(8):
        if current == pid:
            return True
        try:
            stat = Path(f"/proc/{current}/stat").read_text()
        except OSError:
            return False
        current = int(stat.rsplit(")", 1)[1].split()[1])
        if current <= 1:
            return False
    return False


def record_child(pid: int) -> None:
    folder = os.environ.get("CRMWH_RUN_DIR")
    if not folder or not Path(folder).is_dir():
        return
    try:
        Path(folder, f"child-{pid}-{start_ticks(pid) or 0}").touch()
    except OSError:
        pass  # a record is a second line of defence, never a reason to fail the work


def exec_dbt(argv: list[str]) -> None:
    """The dbt launcher: die with the parent, then become the real dbt (same pid)."""
    die_with_parent()
    real = os.environ.get("CRMWH_DBT_REAL") or str(Path(sys.executable).parent / "dbt")
    os.execv(real, [real, *argv])
