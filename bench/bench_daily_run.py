"""The cost of a one-date daily run as history grows, beside rebuilding the month.

    .venv/bin/python bench/bench_daily_run.py [--customers 10000] [--history 40 400]
        [--start 2025-10-01] [--seed 42] [--dirt default] [--work bench/.work]
        [--repeat 1] [--rebuild] [--record]

Generates a landing of max(history) + 2 days once (cached under --work). For each history
length H it builds a warehouse over the first H dates with one `crmwh run` (cached with its
Dagster storage; rebuilt with --rebuild or when the pipeline's code changed), then, each
time on a fresh copy of it:

- daily: date H+1's batches land, then `crmwh run`;
- month: the first date of date H's month is re-delivered by every system (next version,
  the TXN file's last record removed, as tests/helpers.py `restate`), then `crmwh run`:
  it rebuilds that date through date H.

Every run is a `crmwh run` process with its own DAGSTER_HOME, as a bank runs it. Step times
come from the runs' Dagster event logs; "Dagster overhead" is the wall time outside the
steps (process start, imports, recovery, run setup and events, the printed summary), "outside
runs" the part of it before, between and after the runs. Peak RSS: the process tree, summed.
Targets (bench/README.md, issue 17), at 10,000 customers: daily(400) <= 1.2 x daily(40), and
a daily run <= 1/10 of rebuilding its month.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import psutil

from crmwh.synth.files import DataFile, ok_text
from crmwh.synth.generate import generate

ROOT = Path(__file__).resolve().parents[1]
CRMWH = str(Path(sys.executable).parent / "crmwh")
CODE = "contract crmwh dagster_project dbt expectations ingest marts requirements.lock".split()
# Dagster step keys (op names) -> columns; other steps are summed under "other"
STEPS = {
    "ingest_batches": "ingest",
    **{g: g for g in ("dbt_inputs", "dbt_daily", "dbt_tables", "dbt_monthly", "mart_suites")},
    "published__warehouse": "publish",
    "published__exports": "exports",
    "published__lineage": "lineage",
}
COLUMNS = [*dict.fromkeys(STEPS.values()), "other"]


def yyyymmdd(start: dt.date, day: int) -> str:
    return f"{start + dt.timedelta(day):%Y%m%d}"


def date_of(path: Path) -> str:
    """`SAV_TXN_20260601.dat`, `SAV_20260601.OK` -> `20260601`."""
    return path.name.rsplit("_", 1)[-1].split(".")[0]


def link_dates(src: Path, dest: Path, dates: set[str] | None = None) -> None:
    """Hard-link every file of these business dates (data files and `.OK`; all: None) into dest."""
    dest.mkdir(parents=True, exist_ok=True)
    for p in src.iterdir():
        if p.is_file() and (dates is None or date_of(p) in dates):
            os.link(p, dest / p.name)


def copy_folder(src: Path, dest: Path) -> Path:
    """A copy of landing (hard links), data and dagster_home; the original stays as it is."""
    shutil.rmtree(dest, ignore_errors=True)
    link_dates(src / "landing", dest / "landing")
    for sub in ("data", "dagster_home"):
        shutil.copytree(
            src / sub, dest / sub, symlinks=True, ignore=shutil.ignore_patterns("tmp", "*.wal")
        )
    return dest


def generated(a: argparse.Namespace) -> Path:
    """The folder of one generation (max(history) + 2 days), generated once."""
    days = max(a.history) + 2
    gen = a.work / f"gen-{a.customers}x{days}-{a.start:%Y%m%d}-s{a.seed}-{a.dirt}"
    if not (gen / "landing" / "_truth" / "manifest.json").exists():
        shutil.rmtree(gen, ignore_errors=True)
        print(generate(gen / "landing", a.customers, days, a.start, a.seed, a.dirt).text(), flush=True)
    return gen


def pipeline_code() -> str:
    """A hash of the pipeline's tracked files as they are in the working tree."""
    names = subprocess.run(
        ["git", "ls-files", "-z", "--", *CODE], cwd=ROOT, capture_output=True, check=True
    )
    h = hashlib.sha256()
    for name in filter(None, names.stdout.split(b"\0")):
        if (ROOT / name.decode()).is_file():
            h.update(name + (ROOT / name.decode()).read_bytes())
    return h.hexdigest()[:16]


def crmwh_run(folder: Path, env: dict) -> dict:
    """`crmwh run` on folder/landing and folder/data (DAGSTER_HOME folder/dagster_home):
    wall time and the peak RSS of its process tree, sampled every 0.2 s."""
    env = {**env, "DAGSTER_HOME": str(folder / "dagster_home")}
    cmd = [CRMWH, "run", "--landing", str(folder / "landing"), "--data", str(folder / "data")]
    since, peak = time.time(), 0
    t = time.perf_counter()
    with open(folder / "run.log", "w") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        root = psutil.Process(proc.pid)
        while proc.poll() is None:
            with contextlib.suppress(psutil.NoSuchProcess):
                tree = [root, *root.children(recursive=True)]
                peak = max(peak, sum(p.memory_info().rss for p in tree))
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=0.2)
    wall = time.perf_counter() - t
    if proc.returncode:
        sys.exit(f"crmwh run failed ({proc.returncode}): see {folder / 'run.log'}")
    return {"wall": wall, "rss": peak / 2**30, **run_events(folder / "dagster_home", proc.pid, since)}


def run_events(home: Path, pid: int, since: float) -> dict:
    """Step durations (STEP_START to STEP_SUCCESS/FAILURE), events and time inside the runs
    of one `crmwh run` process, from its Dagster event log."""
    steps, events, inside, window = {}, 0, 0.0, ""
    created = dt.datetime.fromtimestamp(since, dt.UTC)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs(dg.RunsFilter(tags={"crmwh/pid": str(pid)}, created_after=created))
        for run in runs:
            logs = [e for e in instance.all_logs(run.run_id) if e.dagster_event is not None]
            events += len(logs)
            inside += logs[-1].timestamp - logs[0].timestamp
            started = {}
            for e in logs:
                if e.dagster_event.event_type_value == "STEP_START":
                    started[e.step_key] = e.timestamp
                elif e.dagster_event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE"):
                    steps[e.step_key] = steps.get(e.step_key, 0) + e.timestamp - started.pop(e.step_key)
            if run.job_name == "build_job":  # the business dates it built
                first, last = (
                    run.tags.get(f"dagster/asset_partition_range_{k}") for k in ("start", "end")
                )
                window = first if first == last else f"{first}–{last}"
    return {"steps": steps, "events": events, "inside": inside, "window": window}


def built_history(gen: Path, h: int, a: argparse.Namespace, env: dict) -> Path:
    """The warehouse of the first h dates, built once per pipeline code and kept aside as
    gen/history-h. Every run happens in the same folder gen/run, so dbt finds the parse
    state it saved there (keyed by the data folder's path), as a bank's daily run does."""
    hist, code = gen / f"history-{h}", pipeline_code()
    marker = hist / "complete.json"
    if not a.rebuild and marker.exists() and json.loads(marker.read_text())["code"] == code:
        return hist
    shutil.rmtree(gen / "run", ignore_errors=True)
    link_dates(gen / "landing", gen / "run" / "landing", {yyyymmdd(a.start, i) for i in range(h)})
    r = crmwh_run(gen / "run", env)
    print(f"built {h} days of history in {r['wall']:.1f} s ({hist})", flush=True)
    copy_folder(gen / "run", hist)
    marker.write_text(json.dumps({"code": code, "wall": r["wall"]}))
    return hist


def replace_file(path: Path, content: bytes) -> None:
    """A new file, never written through a hard link into the cached landing."""
    path.unlink(missing_ok=True)
    path.write_bytes(content)


def restate(landing: Path, ok_file: Path) -> None:
    """Re-deliver a batch as its next version with its TXN file's last record removed
    (tests/helpers.py `restate`)."""
    header, *lines = ok_file.read_text().splitlines()
    _, sys_, date, version, mode = header.split("|")
    files = []
    for line in lines:
        name, count, total, _ = line.split("|")
        content, count, cents = (landing / name).read_bytes(), int(count), round(float(total) * 100)
        if "_TXN_" in name and count > 1:
            body = content.rstrip(b"\n").rsplit(b"\n", 1)
            content, count = body[0] + b"\n", count - 1
            cents -= round(float(body[1].split(b"|+|")[5].decode()) * 100)
            replace_file(landing / name, content)
        files.append(DataFile(name, content, count, cents))
    replace_file(ok_file, ok_text(sys_, date, int(version) + 1, mode, files))


def measure(kind: str, gen: Path, hist: Path, h: int, a: argparse.Namespace, env: dict) -> dict:
    """One run on a fresh copy of the h-day warehouse: the next date lands (daily), or the
    first date of date h's month is restated (month)."""
    folder, last = copy_folder(hist, gen / "run"), a.start + dt.timedelta(h - 1)
    first = max(last.replace(day=1), a.start)
    if kind == "daily":
        link_dates(gen / "landing", folder / "landing", {yyyymmdd(a.start, h)})
    else:
        for ok_file in sorted((folder / "landing").glob(f"*_{first:%Y%m%d}.OK")):
            restate(folder / "landing", ok_file)
    return {"h": h, "kind": kind, "month_dates": (last - first).days + 1, **crmwh_run(folder, env)}


def table(results: list[dict]) -> str:
    head = ["history days", "run", "dates built", "wall s", *COLUMNS]
    head += ["Dagster overhead (outside runs)", "events", "peak RSS GiB"]
    lines = ["| " + " | ".join(head) + " |", "| ---: | --- | --- |" + " ---: |" * (len(head) - 3)]
    for r in results:
        cols = {c: 0.0 for c in COLUMNS}
        for step, s in r["steps"].items():
            cols[STEPS.get(step, "other")] += s
        overhead = r["wall"] - sum(cols.values())
        cells = [r["h"], r["kind"], r["window"], *(f"{x:.1f}" for x in (r["wall"], *cols.values()))]
        cells += [
            f"{overhead:.1f} ({r['wall'] - r['inside']:.1f})",
            f"{r['events']:,}",
            f"{r['rss']:.2f}",
        ]
        lines.append("| " + " | ".join(map(str, cells)) + " |")
    return "\n".join(lines)


def ratios(results: list[dict], customers: int) -> str:
    wall = {(r["h"], r["kind"]): r["wall"] for r in results}
    hs = sorted({r["h"] for r in results})
    growth = wall[hs[-1], "daily"] / wall[hs[0], "daily"]
    share = [wall[h, "daily"] / wall[h, "month"] for h in hs]
    dates = {r["h"]: r["month_dates"] for r in results}
    lines = [
        f"- daily({h}) / daily({hs[0]}): {wall[h, 'daily'] / wall[hs[0], 'daily']:.2f}" for h in hs[1:]
    ]
    lines += [f"- daily({h}) / month rebuild({h}, {dates[h]} dates): {s:.2f}" for h, s in zip(hs, share)]
    judged = customers >= 10_000  # the targets are set at 10,000 customers

    def verdict(ok: bool) -> str:
        return ("met" if ok else "missed") if judged else "not judged below 10,000 customers"

    lines.append(
        f"\nReading: at {customers:,} customers a daily run after {hs[-1]} days costs {growth:.2f}× one "
        f"after {hs[0]} (target ≤ 1.2: {verdict(growth <= 1.2)}), and {min(share):.2f}–{max(share):.2f} "
        f"of rebuilding its month (target ≤ 0.10: {verdict(max(share) <= 0.1)})."
    )
    return "\n".join(lines)


def record(text: str) -> None:
    """Append under "## Daily run as history grows" in bench/README.md (the section added
    if missing), before the next section."""
    readme, heading = ROOT / "bench" / "README.md", "## Daily run as history grows"
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
    p.add_argument("--history", type=int, nargs="+", default=[40, 400])
    p.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2025, 10, 1))
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--dirt", choices=["none", "default", "heavy"], default="default")
    p.add_argument("--work", type=Path, default=ROOT / "bench" / ".work")
    p.add_argument("--repeat", type=int, default=1, help="runs per measurement; the median is kept")
    p.add_argument("--rebuild", action="store_true", help="rebuild the cached history warehouses")
    p.add_argument("--record", action="store_true", help="append the result to bench/README.md")
    a = p.parse_args()
    a.work, a.history = a.work.resolve(), sorted(set(a.history))
    t0 = time.perf_counter()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRMWH_", "DAGSTER_"))}
    last = a.start + dt.timedelta(max(a.history) + 1)
    if last > dt.date.today():  # partitions end today unless told otherwise
        env["CRMWH_LAST_DATE"] = last.isoformat()
    gen = generated(a)
    results = []
    for h in a.history:
        hist = built_history(gen, h, a, env)
        for kind in ("daily", "month"):
            runs = sorted(
                (measure(kind, gen, hist, h, a, env) for _ in range(a.repeat)), key=lambda r: r["wall"]
            )
            results.append(runs[len(runs) // 2])
            print(
                f"{kind} after {h} days: {results[-1]['wall']:.1f} s; steps "
                + ", ".join(f"{k} {v:.1f}" for k, v in results[-1]["steps"].items()),
                flush=True,
            )
    text = f"{table(results)}\n\n{ratios(results, a.customers)}"
    print(f"\n{text}\n\n(bench wall {time.perf_counter() - t0:.0f} s)")
    if a.record:
        cmd = shlex.join(
            [".venv/bin/python", str(Path(sys.argv[0]).resolve().relative_to(ROOT)), *sys.argv[1:]]
        )
        machine = f"{os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB"
        days = " and ".join(map(str, a.history))
        record(
            f"### {dt.date.today()}: {a.customers:,} customers, history {days} days\n\n"
            f"Command: `{cmd}` (machine: {machine}; median of {a.repeat}).\n\n{text}"
        )


if __name__ == "__main__":
    main()
