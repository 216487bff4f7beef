"""The whole pipeline as a bank runs it: a full build of 31 days, then a daily run of one more.

    .venv/bin/python bench/bench_pipeline.py [--customers 10000 | --sizes 10000 100000 1000000]
        [--start 2026-03-01] [--days 31] [--seed 42] [--dirt default] [--work bench/.work]
        [--max-rss-gib 20] [--record]

For each size: `crmwh generate` of days + 1 dates (timed, cached under --work with its
measure), then in a fresh folder, each a `crmwh run` process with its own DAGSTER_HOME:

- build: the first `--days` dates land, `crmwh run` (ingest to published marts, exports,
  lineage, readers' folders);
- daily: the next date's files land (held back until now), `crmwh run` again.

Per phase (Dagster step: STEP_START to STEP_SUCCESS/FAILURE in the run's event log): wall
time, rows (what the step reports: rows in for ingest, rows written for publish, exports and
readers), rows/s and the peak RSS of the process tree while the step ran (the `crmwh run`
process and every descendant, dbt included, summed, sampled every 0.2 s); the command's wall
time; rows in the Dagster event log (event_logs) of each run; sizes of the files the run
leaves. A run whose tree passes --max-rss-gib is stopped (the machine must never meet the
OOM killer). Targets: bench/README.md "Design targets".
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.metadata
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

import psutil
from bench_daily_run import CRMWH, ROOT, link_dates, pipeline_code, yyyymmdd

# Dagster step keys (op names) -> phases, in pipeline order; other steps go to "other steps"
STEP_PHASE = {
    "ingest_batches": "ingest",
    **{g: g for g in ("dbt_inputs", "dbt_daily", "dbt_tables", "dbt_monthly")},
    "mart_suites": "GX checks",
    "published__warehouse": "publish",
    "published__exports": "exports",
    "published__lineage": "lineage",
    "published__readers": "readers",
}
PHASES = [*STEP_PHASE.values(), "other steps"]
# materialisations whose metadata says how many rows a phase handled
ROWS_FROM = {
    "warehouse/audit": ("ingest", "rows_in"),
    "published/warehouse": ("publish", "rows"),
    "published/exports": ("exports", "rows"),
    "published/readers": ("readers", "rows"),
}
VERSIONS = ["dagster", "dbt-core", "dbt-duckdb", "duckdb", "polars", "great-expectations"]
GiB = 2**30
SECTION = "## The pipeline end to end: full build of a month, then a daily run"


class Event(NamedTuple):
    step_key: str | None
    kind: str  # Dagster event type: STEP_START, STEP_SUCCESS, ...
    timestamp: float


class Window(NamedTuple):
    step_key: str
    start: float
    end: float
    outcome: str  # STEP_SUCCESS, STEP_FAILURE, or "unfinished" (the run stopped)


def step_windows(events: Iterable[Event]) -> list[Window]:
    """Each step execution from its STEP_START to its STEP_SUCCESS or STEP_FAILURE; a step
    still open at the last event (a killed run) ends there, unfinished."""
    open_, windows, last = {}, [], None
    for e in events:
        last = e.timestamp if last is None else max(last, e.timestamp)
        if e.kind == "STEP_START":
            open_[e.step_key] = e.timestamp
        elif e.kind in ("STEP_SUCCESS", "STEP_FAILURE") and e.step_key in open_:
            windows.append(Window(e.step_key, open_.pop(e.step_key), e.timestamp, e.kind))
    windows += [Window(k, t, last, "unfinished") for k, t in open_.items()]
    return sorted(windows, key=lambda w: w.start)


def phase_of(step_key: str) -> str:
    return STEP_PHASE.get(step_key, "other steps")


def total_rows(value) -> int:
    """Rows in a metadata value: a count, or counts nested in dicts (per table, per folder)."""
    if isinstance(value, dict):
        return sum(total_rows(v) for v in value.values())
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def phase_rows(materializations: Iterable[tuple[str, dict]]) -> dict[str, int]:
    """Rows per phase from (asset key, metadata) of a run's materialisations; an asset
    materialised per date carries its run's totals each time: the last one counts."""
    last = {key: meta for key, meta in materializations if key in ROWS_FROM}
    rows = {}
    for key, meta in last.items():
        phase, field = ROWS_FROM[key]
        rows[phase] = rows.get(phase, 0) + total_rows(meta.get(field))
    return rows


def tree_rss(root: psutil.Process) -> int:
    """Resident memory of a process and all its descendants, summed."""
    total = 0
    for p in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            total += p.memory_info().rss
    return total


def stop_tree(proc: subprocess.Popen) -> None:
    """SIGTERM to the process and its descendants, SIGKILL to what is left after 10 s. The
    process itself is reaped by Popen (psutil would take its exit code)."""
    root = psutil.Process(proc.pid)
    children = root.children(recursive=True)
    for p in [*children, root]:
        with contextlib.suppress(psutil.NoSuchProcess):
            p.terminate()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)
    _, alive = psutil.wait_procs(children, timeout=1)
    for p in [*alive, *([root] if proc.poll() is None else [])]:
        with contextlib.suppress(psutil.NoSuchProcess):
            p.kill()


def run_sampled(
    cmd: list[str], env: dict, log: Path, interval: float = 0.2, limit: int | None = None
) -> dict:
    """Run cmd (output to log) sampling its tree's RSS every interval: wall, return code,
    pid, start (epoch), samples [(epoch, bytes)], peak; the tree is stopped above limit."""
    since, samples, over = time.time(), [], False
    t = time.perf_counter()
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        root = psutil.Process(proc.pid)
        while proc.poll() is None:
            with contextlib.suppress(psutil.NoSuchProcess):
                samples.append((time.time(), tree_rss(root)))
                if limit and samples[-1][1] > limit and not over:
                    over = True
                    print(f"stopping {cmd[:2]}: {samples[-1][1] / GiB:.1f} GiB", flush=True)
                    stop_tree(proc)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=interval)
    wall = time.perf_counter() - t
    return {
        "wall": wall,
        "returncode": proc.returncode,
        "pid": proc.pid,
        "since": since,
        "samples": samples,
        "peak": max((s for _, s in samples), default=0),
        "stopped": over,
    }


def peak_in(samples: list[tuple[float, int]], windows: Iterable[Window]) -> int:
    """The highest sample taken inside any of these windows."""
    spans = list(windows)
    return max((s for t, s in samples if any(w.start <= t <= w.end for w in spans)), default=0)


def dagster_runs(home: Path, pid: int, since: float) -> list[dict]:
    """The Dagster runs one `crmwh run` process made (tagged with its pid): job, status,
    rows in event_logs, step windows and (asset key, metadata) of materialisations."""
    import dagster as dg

    runs = []
    created = dt.datetime.fromtimestamp(since - 1, dt.UTC)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        found = instance.get_runs(dg.RunsFilter(tags={"crmwh/pid": str(pid)}, created_after=created))
        for run in reversed(found):  # oldest first
            logs = instance.all_logs(run.run_id)
            events = [
                Event(e.step_key, e.dagster_event.event_type_value, e.timestamp)
                for e in logs
                if e.dagster_event is not None
            ]
            mats = [
                (
                    m.asset_key.to_user_string(),
                    {k: v.value for k, v in m.metadata.items()},
                )
                for e in logs
                if e.dagster_event is not None and e.dagster_event.is_step_materialization
                for m in [e.dagster_event.event_specific_data.materialization]
            ]
            runs.append(
                {
                    "job": run.job_name,
                    "status": run.status.value,
                    "event_rows": len(logs),
                    "windows": step_windows(events),
                    "materializations": mats,
                }
            )
    return runs


def folder_bytes(path: Path) -> int:
    """Bytes of a file or of every file under a folder (symlinks followed once: published/
    is a link to its current version)."""
    if path.is_file():
        return path.stat().st_size
    if not path.exists():
        return 0
    return sum(f.stat().st_size for f in path.resolve().rglob("*") if f.is_file() and not f.is_symlink())


def file_sizes(data: Path) -> dict[str, int]:
    return {
        "work.duckdb": folder_bytes(data / "warehouse" / "work.duckdb"),
        "crm.duckdb": folder_bytes(data / "warehouse" / "crm.duckdb"),
        "raw": folder_bytes(data / "raw"),
        "exports": folder_bytes(data / "exports"),
        "published": folder_bytes(data / "published"),
    }


def measured_run(folder: Path, env: dict, limit: int) -> dict:
    """`crmwh run` on folder/landing and folder/data (DAGSTER_HOME folder/dagster_home):
    per phase seconds, rows and peak RSS; the command's wall, events, file sizes."""
    env = {**env, "DAGSTER_HOME": str(folder / "dagster_home")}
    cmd = [CRMWH, "run", "--landing", str(folder / "landing"), "--data", str(folder / "data")]
    r = run_sampled(cmd, env, folder / "run.log", limit=limit)
    runs = dagster_runs(folder / "dagster_home", r["pid"], r["since"])
    windows = [w for run in runs for w in run["windows"]]
    phases = {}
    for phase in PHASES:
        mine = [w for w in windows if phase_of(w.step_key) == phase]
        if mine:
            phases[phase] = {
                "seconds": sum(w.end - w.start for w in mine),
                "peak": peak_in(r["samples"], mine),
                "failed": any(w.outcome != "STEP_SUCCESS" for w in mine),
            }
    for phase, n in phase_rows(m for run in runs for m in run["materializations"]).items():
        phases.setdefault(phase, {"seconds": 0.0, "peak": 0, "failed": False})["rows"] = n
    ok = r["returncode"] == 0 and not r["stopped"]
    return {
        "wall": r["wall"],
        "peak": r["peak"],
        "ok": ok,
        "returncode": r["returncode"],
        "phases": phases,
        "events": {run["job"]: run["event_rows"] for run in runs},
        "sizes": file_sizes(folder / "data"),
        "log": str(folder / "run.log"),
    }


def generated(a: argparse.Namespace, customers: int, env: dict, limit: int) -> tuple[Path, dict]:
    """The landing of days + 1 dates, from `crmwh generate` (timed once, kept with its measure)."""
    days = a.days + 1
    gen = a.work / f"gen-{customers}x{days}-{a.start:%Y%m%d}-s{a.seed}-{a.dirt}"
    marker = gen / "generated.json"
    if marker.exists() and (gen / "landing" / "_truth" / "manifest.json").exists():
        return gen, {**json.loads(marker.read_text()), "cached": True}
    shutil.rmtree(gen, ignore_errors=True)
    gen.mkdir(parents=True)
    cmd = [CRMWH, "generate", "--out", str(gen / "landing"), "--customers", str(customers)]
    cmd += ["--days", str(days), "--start", a.start.isoformat(), "--seed", str(a.seed)]
    r = run_sampled(cmd + ["--dirt", a.dirt], env, gen / "generate.log", limit=limit)
    if r["returncode"] or r["stopped"]:
        sys.exit(f"crmwh generate failed ({r['returncode']}): see {gen / 'generate.log'}")
    rows = data_rows(gen / "landing")
    measure = {"wall": r["wall"], "peak": r["peak"], "days": days, "rows": rows}
    marker.write_text(json.dumps(measure))
    return gen, {**measure, "cached": False}


def data_rows(landing: Path) -> int:
    """Records written, from the `.OK` files' counts (`name|count|total|md5` lines)."""
    rows = 0
    for ok in landing.glob("*.OK"):
        rows += sum(int(line.split("|")[1]) for line in ok.read_text().splitlines()[1:] if line)
    return rows


def measure_size(a: argparse.Namespace, customers: int, env: dict) -> dict:
    limit = int(a.max_rss_gib * GiB)
    gen, generation = generated(a, customers, env, limit)
    print(f"{customers:,} customers: generation {generation['wall']:.1f} s", flush=True)
    folder = gen / "run"
    shutil.rmtree(folder, ignore_errors=True)
    link_dates(gen / "landing", folder / "landing", {yyyymmdd(a.start, i) for i in range(a.days)})
    result = {"customers": customers, "generation": generation, "code": pipeline_code()}
    result["build"] = measured_run(folder, env, limit)
    print(f"  build: {result['build']['wall']:.1f} s, ok={result['build']['ok']}", flush=True)
    if result["build"]["ok"]:  # a build that published nothing leaves no warehouse to add to
        link_dates(gen / "landing", folder / "landing", {yyyymmdd(a.start, a.days)})
        result["daily"] = measured_run(folder, env, limit)
        print(f"  daily: {result['daily']['wall']:.1f} s, ok={result['daily']['ok']}", flush=True)
    (gen / "result.json").write_text(json.dumps(result, indent=1))
    return result


def fmt_s(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds:.1f}"


def fmt_rows(rows: int | None, seconds: float | None) -> tuple[str, str]:
    if not rows:
        return "", ""
    rate = f"{rows / seconds:,.0f}" if seconds else ""
    return f"{rows:,}", rate


def phase_cells(run: dict | None, phase: str) -> list[str]:
    if run is None or phase not in run["phases"]:
        return ["", "", "", ""]
    p = run["phases"][phase]
    secs = fmt_s(p["seconds"]) + (" (failed)" if p["failed"] else "")
    return [secs, *fmt_rows(p.get("rows"), p["seconds"]), f"{p['peak'] / GiB:.2f}" if p["peak"] else ""]


def phase_table(result: dict) -> str:
    """One size: a line per phase, the build's and the daily run's columns side by side."""
    build, daily = result["build"], result.get("daily")
    head = [
        "phase",
        *(f"{k} {c}" for k in ("build", "daily") for c in ("s", "rows", "rows/s", "peak GiB")),
    ]
    lines = ["| " + " | ".join(head) + " |", "| --- |" + " ---: |" * (len(head) - 1)]
    g = result["generation"]
    gen_cells = [fmt_s(g["wall"]), *fmt_rows(g["rows"], g["wall"]), f"{g['peak'] / GiB:.2f}"]
    lines.append(f"| generate ({g['days']} days) | " + " | ".join(gen_cells + [""] * 4) + " |")
    for phase in PHASES:
        cells = phase_cells(build, phase) + phase_cells(daily, phase)
        if any(cells):
            lines.append(f"| {phase} | " + " | ".join(cells) + " |")

    def outside(run: dict | None) -> list[str]:
        if run is None:
            return [""] * 4
        steps = sum(p["seconds"] for p in run["phases"].values())
        return [fmt_s(run["wall"] - steps), "", "", ""]

    def total(run: dict | None) -> list[str]:
        if run is None:
            return ["not run (the build failed)", "", "", ""]
        ok = "" if run["ok"] else f" (exit {run['returncode']})"
        return [f"**{run['wall']:.1f}**{ok}", "", "", f"**{run['peak'] / GiB:.2f}**"]

    lines.append(
        "| outside the steps (start-up, Dagster, recovery) | "
        + " | ".join(outside(build) + outside(daily))
        + " |"
    )
    lines.append("| **`crmwh run`, whole command** | " + " | ".join(total(build) + total(daily)) + " |")

    def events(run: dict | None) -> str:
        if run is None:
            return ""
        return (
            ", ".join(f"{job} {n:,}" for job, n in run["events"].items())
            + f" (total {sum(run['events'].values()):,})"
        )

    sizes = " · ".join(
        f"{k} {v / GiB:.2f} GiB" if v >= GiB / 10 else f"{k} {v / 2**20:.0f} MB"
        for k, v in (daily or build)["sizes"].items()
    )
    return (
        "\n".join(lines)
        + f"\n\nDagster event_logs rows: build {events(build)}; daily {events(daily)}."
        + f"\nFiles after the {'daily run' if daily else 'build'}: {sizes}."
    )


def verdict(ok: bool, judged: bool = True) -> str:
    if not judged:
        return "met here, judged at 1M" if ok else "**missed** (already at this size)"
    return "met" if ok else "**missed**"


def targets(result: dict) -> str:
    """Each design target this bench measures, with its value, met or missed. Targets set at
    1M customers are judged there; below it a value already over the target is missed."""
    at_1m = result["customers"] >= 1_000_000
    g, build, daily = result["generation"], result["build"], result.get("daily")
    lines = ["| target | measured | verdict |", "| --- | --- | --- |"]
    gen_1m = g["wall"] * g["days"] / 31  # the generator target is for 31 days
    lines.append(
        f"| generator: 1M × 31 days ≤ 300 s | {g['wall']:.1f} s for {g['days']} days "
        f"({gen_1m:.1f} s per 31) | {verdict(gen_1m <= 300, at_1m)} |"
    )
    ing = build["phases"].get("ingest", {})
    if ing.get("rows") and ing.get("seconds"):
        rate = ing["rows"] / ing["seconds"]
        lines.append(
            f"| ingest ≥ 1M rows/s end to end | {rate:,.0f} rows/s (the Dagster step, checks "
            f"included) | {verdict(rate >= 1e6)} |"
        )
    built = verdict(build["ok"] and build["wall"] <= 600, at_1m)
    lines.append(
        f"| full build of {result['days']} days ≤ 600 s | {build['wall']:.1f} s"
        f"{'' if build['ok'] else ' (failed)'} | {built} |"
    )
    if daily:
        day = verdict(daily["ok"] and daily["wall"] <= 60, at_1m)
        lines.append(f"| daily run ≤ 60 s | {daily['wall']:.1f} s | {day} |")
        share = daily["wall"] / build["wall"]
        lines.append(
            f"| daily run ≤ 1/10 of rebuilding its month | {share:.2f} of the {result['days']}-day "
            f"build | {verdict(share <= 0.1)} |"
        )
    peaks = [g["peak"], build["peak"], *([daily["peak"]] if daily else [])]
    lines.append(
        f"| peak memory ≤ 12 GiB at every step | {max(peaks) / GiB:.2f} GiB (generate "
        f"{g['peak'] / GiB:.2f}, build {build['peak'] / GiB:.2f}"
        + (f", daily {daily['peak'] / GiB:.2f}" if daily else "")
        + f") | {verdict(max(peaks) <= 12 * GiB)} |"
    )
    return "\n".join(lines)


def machine() -> str:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    mem = psutil.virtual_memory()
    return (
        f"{os.cpu_count()} cores, {mem.total / GiB:.0f} GiB ({mem.available / GiB:.0f} available), "
        f"load average {load} at the start, {platform.system()} {platform.release()}"
    )


def versions() -> str:
    def v(name: str) -> str:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return "?"

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return f"commit {commit}, Python {platform.python_version()}, " + ", ".join(
        f"{name} {v(name)}" for name in VERSIONS
    )


def report(results: list[dict], a: argparse.Namespace, started: str, load: str) -> str:
    cmd = shlex.join(
        [".venv/bin/python", str(Path(sys.argv[0]).resolve().relative_to(ROOT)), *sys.argv[1:]]
    )
    parts = [
        f"### {dt.date.today()}: the pipeline end to end at "
        + ", ".join(f"{r['customers']:,}" for r in results)
        + f" customers × {a.days} days + 1",
        f"Command: `{cmd}` (started {started}; {load}; {versions()}). Landing "
        f"{a.start}, {a.days} days + 1 held back, seed {a.seed}, dirt {a.dirt}.",
    ]
    for r in results:
        cached = (
            " (generation cached from an earlier run of the bench)" if r["generation"]["cached"] else ""
        )
        parts += [f"#### {r['customers']:,} customers{cached}", phase_table(r), targets(r)]
    return "\n\n".join(parts)


def record(text: str, heading: str = SECTION) -> None:
    """Append under heading in bench/README.md (the section added at the end if missing),
    before the next section."""
    readme = ROOT / "bench" / "README.md"
    doc = readme.read_text()
    if heading not in doc:
        doc = doc.rstrip("\n") + f"\n\n{heading}\n"
    at = doc.find("\n## ", doc.index(heading) + len(heading)) + 1 or len(doc)
    rest = "\n" + doc[at:] if doc[at:] else ""
    readme.write_text(doc[:at].rstrip("\n") + "\n\n" + text.strip() + "\n" + rest)


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--customers", type=int, default=10_000)
    p.add_argument("--sizes", type=int, nargs="+", help="several sizes, smallest first")
    p.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2026, 3, 1))
    p.add_argument(
        "--days", type=int, default=31, help="dates of the full build (one more is generated)"
    )
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--dirt", choices=["none", "default", "heavy"], default="default")
    p.add_argument("--work", type=Path, default=ROOT / "bench" / ".work")
    p.add_argument("--max-rss-gib", type=float, default=20.0, help="stop a process tree above this")
    p.add_argument("--record", action="store_true", help="append the result to bench/README.md")
    a = p.parse_args()
    a.work = a.work.resolve()
    sizes = sorted(set(a.sizes or [a.customers]))
    started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    load = machine()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRMWH_", "DAGSTER_"))}
    if "CRMWH_IDENTITY_KEY" in os.environ:  # party ids are keyed: keep the caller's key
        env["CRMWH_IDENTITY_KEY"] = os.environ["CRMWH_IDENTITY_KEY"]
    last = a.start + dt.timedelta(a.days)
    if last > dt.date.today():  # partitions end today unless told otherwise
        env["CRMWH_LAST_DATE"] = last.isoformat()
    results = []
    for n in sizes:
        results.append({**measure_size(a, n, env), "days": a.days})
    text = report(results, a, started, load)
    print("\n" + text)
    if a.record:
        record(text)


if __name__ == "__main__":
    main()
