"""Faults: `crmwh run` killed (SIGKILL) at each stage, a held writer lock, a stopped run,
a full disk. Real processes (`python -m crmwh.cli run`), a real SQLite Dagster instance (so
the pool `warehouse` is enforced), small data.

The kills are chained to keep the module short: a run is killed at stage 1; the next run
must get past what it left (no hang: every run has a timeout) and is killed at stage 2; ...
the last run completes. By default the chain kills in two of the four dbt groups (daily:
windowed, incremental; monthly: the open months rebuilt whole); `CRMWH_FAULTS=all` kills in each of them
(each dbt stage costs a restart of the build). After each kill no process of the killed
run may be left; at the end no temporary file is, and the published marts equal a clean run
of the same landing folder (EXCEPT ALL both ways on every mart), with exports and lineage of
the published run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest
from helpers import mart_differences

from crmwh.synth.generate import generate
from dagster_project.defs.pending import (
    exports_run_id,
    lineage_run_id,
    published_run_id,
    readers_run_id,
)

ROOT = Path(__file__).resolve().parents[1]
START = dt.date(2026, 6, 27)  # crosses a month end: the monthly marts have a month to build
DAYS = 6
RUN_TIMEOUT_S = 480  # a run that takes longer hangs (a full rebuild on 2 busy cores takes ~4 min)
ALL_STAGES = os.environ.get("CRMWH_FAULTS") == "all"  # a kill in every dbt group


def _generate(out: Path, days: int = DAYS) -> Path:
    generate(out, customers=200, days=days, start=START, seed=21, dirt="none")
    return out


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    return _generate(tmp_path_factory.mktemp("faults_landing"))


@pytest.fixture(scope="module")
def clean(landing, tmp_path_factory):
    """A clean run of the landing folder, started at once in the background: the chain's
    reference, and the published warehouse the disk-full test starts from. (folder, run)"""
    root = tmp_path_factory.mktemp("faults_clean")
    run = Run(landing, root / "data", root / "home", root / "run")
    yield root / "data", run
    if run.proc.poll() is None:
        run.proc.kill()
        run.proc.wait()


class Run:
    """One `crmwh run` subprocess with its own output files."""

    def __init__(self, landing: Path, data: Path, home: Path, log: Path, **env: str):
        self.stdout, self.stderr = log.with_suffix(".out"), log.with_suffix(".err")
        self.seen: dict[int, float] = {}  # pid -> create time of every descendant seen
        self.commands: dict[int, str] = {}  # pid -> its command line
        home.mkdir(parents=True, exist_ok=True)
        environ = {
            **os.environ,
            "DAGSTER_HOME": str(home),
            "PYTHONPATH": str(ROOT),
            "CRMWH_MIN_FREE_MB": "64",
            **env,
        }
        with self.stdout.open("wb") as out, self.stderr.open("wb") as err:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "crmwh.cli",
                    "run",
                    "--landing",
                    str(landing),
                    "--data",
                    str(data),
                ],
                cwd=ROOT,
                env=environ,
                stdout=out,
                stderr=err,
            )
        self.started = time.monotonic()

    def output(self) -> str:
        return self.stdout.read_text(errors="replace") + self.stderr.read_text(errors="replace")

    def _note_children(self) -> None:
        try:
            for child in psutil.Process(self.proc.pid).children(recursive=True):
                if child.pid not in self.seen:
                    self.seen[child.pid] = child.create_time()
                    self.commands[child.pid] = " ".join(child.cmdline())
        except psutil.Error:
            pass

    def kill_when(self, ready: Callable[[Run], bool], what: str) -> None:
        """SIGKILL the run when `ready(run)`; fail if it ends or hangs first. Then no process
        it started may be alive."""
        while not ready(self):
            self._note_children()
            if self.proc.poll() is not None:
                pytest.fail(f"the run ended (exit {self.proc.returncode}) before {what}:\n{self.tail()}")
            if time.monotonic() - self.started > RUN_TIMEOUT_S:
                self.proc.kill()
                pytest.fail(f"no {what} after {RUN_TIMEOUT_S} s:\n{self.tail()}")
            time.sleep(0.02)
        self._note_children()
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        deadline = time.monotonic() + 10
        while (left := self.orphans()) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not left, f"killed during {what}: processes left {left}"

    def orphans(self) -> list[str]:
        out = []
        for pid, created in self.seen.items():
            try:
                p = psutil.Process(pid)
                if p.create_time() == created and p.status() != psutil.STATUS_ZOMBIE:
                    out.append(f"{pid} {' '.join(p.cmdline())[:120]}")
            except psutil.Error:
                pass
        return out

    def finish(self, timeout: float = RUN_TIMEOUT_S) -> int:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            pytest.fail(f"the run hung for {timeout} s:\n{self.tail()}")

    def tail(self, n: int = 30) -> str:
        return "\n".join(self.output().splitlines()[-n:])


# --- when to kill ---------------------------------------------------------------------------


def _staging(data: Path) -> Callable[[Run], bool]:
    """A batch is being staged by an ingest worker."""
    staging = data / "raw" / "_staging"
    return lambda run: staging.is_dir() and any(staging.iterdir())


def _after_ingest_workers(run: Run) -> bool:
    """The ingest workers have come and gone, dbt has not started: the run is writing and
    checking the batches (the raw Great Expectations suites). Half a second later, to be
    inside it."""
    workers = [p for p, cmd in run.commands.items() if "spawn_main" in cmd]
    if not workers or _alive_any(workers) or "Running with dbt" in run.output():
        return False
    time.sleep(0.5)
    return True


def _alive_any(pids: list[int]) -> bool:
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                return True
        except psutil.Error:
            pass
    return False


def _dbt_group(n: int) -> Callable[[Run], bool]:
    """The n-th dbt call of the run (1 inputs, 2 daily, 3 tables, 4 monthly) builds a model."""

    def ready(run: Run) -> bool:
        calls = run.stdout.read_text(errors="replace").split("Running with dbt=")
        return len(calls) > n and " START " in calls[n]

    return ready


def _file(folder: Path, pattern: str) -> Callable[[Run], bool]:
    return lambda run: folder.is_dir() and any(folder.glob(pattern))


def _new_export(data: Path) -> Callable[[Run], bool]:
    """The exports are swapped in: the run goes on to the lineage."""
    versions = data / "exports_versions"

    def ready(run: Run) -> bool:
        if not versions.is_dir():
            return False
        new = [
            v for v in versions.iterdir() if not v.name.startswith(".") and v.stat().st_mtime > run.wall
        ]
        return bool(new)

    return ready


# --- comparing -------------------------------------------------------------------------------


def _temp_files(data: Path) -> list[Path]:
    patterns = [
        "raw/_staging",
        "warehouse/*.tmp",
        "warehouse/*.tmp.wal",
        "exports_versions/.*.tmp",
        "published_versions/.*.tmp",
        "docs/*.part",
    ]
    return [p for pat in patterns for p in data.glob(pat) if not p.is_dir() or any(p.iterdir())]


def test_killed_at_every_stage_then_recovered_equals_a_clean_run(landing, clean, tmp_path):
    t0 = time.monotonic()
    data, home = tmp_path / "data", tmp_path / "dagster_home"
    clean_data, clean_run = clean
    stages = [
        ("ingest", _staging(data)),
        ("the raw checks", _after_ingest_workers),
        *[
            (f"dbt {group}", _dbt_group(n))
            for n, group in enumerate(("inputs", "daily", "tables", "monthly"), 1)
            if ALL_STAGES or group in ("daily", "monthly")
        ],
        ("publish", _file(data / "warehouse", "crm.duckdb.*.tmp")),
        ("exports", _file(data / "exports_versions", ".*.tmp")),
        ("lineage", _new_export(data)),
    ]
    timings = {}
    for i, (stage, ready) in enumerate(stages):
        run = Run(landing, data, home, tmp_path / f"run{i}")
        run.wall = time.time()
        run.kill_when(ready, stage)
        timings[stage] = round(time.monotonic() - run.started, 1)
    published = data / "warehouse" / "crm.duckdb"
    # the kills during exports and lineage came after the swap: the publish is incomplete
    assert published_run_id(published) is not None
    assert lineage_run_id(data / "docs") != published_run_id(published)

    last = Run(landing, data, home, tmp_path / "last")
    assert last.finish() == 0, last.tail()
    timings["last"] = round(time.monotonic() - last.started, 1)
    assert "completed by run" in last.output(), last.tail()
    assert clean_run.finish() == 0, clean_run.tail()

    run_id = published_run_id(published)
    assert exports_run_id(data / "exports") == run_id
    assert lineage_run_id(data / "docs") == run_id
    assert readers_run_id(data / "published") == run_id  # killed before them: completed too
    assert mart_differences(published, clean_data / "warehouse" / "crm.duckdb") == {}
    assert _temp_files(data) == []
    assert not list((data / "warehouse" / ".runs").glob("*")), "a run record was left"
    # the raw zone and the work file are for their owner (and group), not the world
    for path in (data / "raw", data / "warehouse" / "work.duckdb", data / "warehouse"):
        assert not path.stat().st_mode & stat.S_IROTH, path
    print(f"\nfault chain: {timings}, total {time.monotonic() - t0:.0f} s")


# --- a held lock, a stopped run ----------------------------------------------------------------

HOLD = """
import sys, time
from pathlib import Path
from dagster_project.defs.resources import writer_lock
with writer_lock(Path(sys.argv[1]), run_id="held-by-test"):
    print("held", flush=True)
    time.sleep(600)
"""


@pytest.fixture
def held_lock(tmp_path):
    data = tmp_path / "data"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(data / "warehouse" / "work.duckdb")],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    yield data, holder.pid
    holder.kill()
    holder.wait()


def test_a_held_lock_fails_the_run_after_the_timeout_naming_the_holder(landing, held_lock, tmp_path):
    data, holder = held_lock
    record = json.loads((data / "warehouse" / ".writer.lock").read_text())
    assert record["pid"] == holder and record["run_id"] == "held-by-test" and record["since"]
    run = Run(landing, data, tmp_path / "home", tmp_path / "run", CRMWH_LOCK_TIMEOUT="3")
    assert run.finish(120) == 1, run.tail()
    err = run.stderr.read_text()
    assert f"pid {holder}" in err and "held-by-test" in err and "CRMWH_LOCK_TIMEOUT" in err, err


def test_sigterm_stops_a_waiting_run(landing, held_lock, tmp_path):
    data, _ = held_lock
    run = Run(landing, data, tmp_path / "home", tmp_path / "run")
    deadline = time.monotonic() + 120
    while "waiting for it to finish" not in run.stderr.read_text():
        assert run.proc.poll() is None and time.monotonic() < deadline, run.tail()
        time.sleep(0.1)
    run._note_children()
    run.proc.send_signal(signal.SIGTERM)
    assert run.finish(20) == 128 + signal.SIGTERM
    assert "stopped by SIGTERM" in run.stderr.read_text()
    assert not run.orphans()


def test_sigterm_stops_a_running_build_and_the_next_run_recovers(landing, tmp_path):
    data, home = tmp_path / "data", tmp_path / "home"
    run = Run(landing, data, home, tmp_path / "run")
    ready = _dbt_group(1)
    while not ready(run):
        run._note_children()
        assert run.proc.poll() is None and time.monotonic() - run.started < RUN_TIMEOUT_S, run.tail()
        time.sleep(0.05)
    run._note_children()
    run.proc.send_signal(signal.SIGTERM)
    assert run.finish(20) == 128 + signal.SIGTERM, run.tail()
    assert "stopped by SIGTERM" in run.stderr.read_text(), run.tail()
    deadline = time.monotonic() + 10
    while run.orphans() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not run.orphans()
    # its Dagster run is marked failed, its pool slot freed: the next run is not held up
    import dagster as dg

    os.environ["DAGSTER_HOME"] = str(home)
    try:
        with dg.DagsterInstance.get() as instance:
            runs = instance.get_runs()
            assert runs and all(r.is_finished for r in runs), [(r.run_id, r.status) for r in runs]
            claimed = instance.event_log_storage.get_concurrency_info("warehouse").claimed_slots
            assert not claimed
    finally:
        os.environ.pop("DAGSTER_HOME", None)


# --- a full disk -------------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=96m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def test_a_full_disk_fails_cleanly_and_leaves_the_published_file(landing, clean, small_disk, tmp_path):
    data = small_disk / "data"
    # below the free-space minimum: refused before anything is written
    refused = Run(landing, data, tmp_path / "home", tmp_path / "refused", CRMWH_MIN_FREE_MB="1024")
    assert refused.finish(60) == 1
    assert "MB free" in refused.stderr.read_text() and "CRMWH_MIN_FREE_MB" in refused.stderr.read_text()
    assert not data.exists()

    clean_data, clean_run = clean  # a published warehouse, copied onto the small disk
    assert clean_run.finish() == 0, clean_run.tail()
    shutil.copytree(clean_data, data, symlinks=True)
    published = data / "warehouse" / "crm.duckdb"
    before = _md5(published)
    # a new day arrives; the disk fills while the run writes
    more = _generate(tmp_path / "landing_more", DAYS + 1)
    filler = small_disk / "filler"
    free = shutil.disk_usage(small_disk).free
    with filler.open("wb") as f:
        f.write(b"\0" * max(0, free - 3 * 2**20))
    run = Run(more, data, tmp_path / "home", tmp_path / "full", CRMWH_MIN_FREE_MB="1")
    assert run.finish() != 0, run.tail()
    assert "is full" in run.stderr.read_text(), run.tail()
    assert _md5(published) == before
    assert _temp_files(data) == []
