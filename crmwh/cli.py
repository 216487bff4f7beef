"""`crmwh`: one entry point for the warehouse's jobs."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
from pathlib import Path

DEFAULT_LANDING = Path("data/landing")


def _generate(args: argparse.Namespace) -> int:
    from crmwh.synth.generate import generate

    summary = generate(args.out, args.customers, args.days, args.start, args.seed, args.dirt)
    print(summary.text())
    return 0


def _run(args: argparse.Namespace) -> int:
    landing = Path(args.landing)
    if not landing.is_dir():
        print(f"crmwh run: no landing folder {landing}: run `crmwh generate` first", file=sys.stderr)
        return 2
    os.umask(0o027)  # data/ for its owner and group: the raw zone holds clear identities
    data = Path(args.data)
    from dagster_project.recovery import NotEnoughSpace, check_free_space

    try:
        check_free_space(data)
    except NotEnoughSpace as e:
        print(f"crmwh run: {e}", file=sys.stderr)
        return 1
    result = _pipeline(landing, data)
    if isinstance(result, int):
        return result
    return _report(result, landing, data)


def _restate(args: argparse.Namespace) -> int:
    """Recompute a closed month and every later one, on purpose (spec section 8)."""
    os.umask(0o027)
    from dagster_project.defs.resources import LockTimeout
    from dagster_project.recovery import warn
    from dagster_project.run import run_restatement

    try:
        result = run_restatement(args.data, args.period, args.reason, log=warn)
    except (ValueError, LockTimeout) as e:
        print(f"crmwh restate: {e}", file=sys.stderr)
        return 2 if isinstance(e, ValueError) else 1
    if not result.success:
        from crmwh.summary import failed_checks

        for line in failed_checks(result):
            print(f"quality check failed: {line}", file=sys.stderr)
        print(
            f"crmwh restate: the run {result.run_id} failed; the published marts are unchanged "
            "and the restatement stays requested: the next run (or `crmwh restate`) finishes it",
            file=sys.stderr,
        )
        return 1
    for event in result.get_asset_materialization_events():
        meta = event.materialization.metadata
        if "restated" in meta:
            print(
                f"crmwh restate: {args.period} onward recomputed and published "
                f"(restatement {meta['restated'].value}; closed months "
                f"{meta['closed_months'].value}); replaced rows in schema history"
            )
    return 0


def _pipeline(landing: Path, data: Path):
    """The pipeline, stoppable by SIGINT/SIGTERM: the result, or an exit code."""
    from dagster_project.defs.resources import LockTimeout, WarehousePaths
    from dagster_project.recovery import (
        Stopped,
        run_stoppable,
        stop_children_and_runs,
        to_terminal,
        warn,
    )
    from dagster_project.run import instance, run_pipeline

    dagster_instance = instance()
    say = to_terminal()
    try:
        return run_stoppable(
            lambda: run_pipeline(landing, data, dagster_instance, log=warn),
            lambda: stop_children_and_runs(WarehousePaths(), dagster_instance, say),
        )
    except Stopped as stopped:
        say(
            f"crmwh run: stopped by {stopped}: child processes ended, the run marked failed, "
            "the writer lock released; the published marts are those of the last complete "
            "run, and the next run picks up what this one left"
        )
        sys.stdout.flush()
        os._exit(128 + stopped.signum)  # the worker thread may be inside DuckDB: no unwinding
    except LockTimeout as e:
        warn(f"crmwh run: {e}")
        return 1


def _out_of_space(result) -> bool:
    """A step of the pipeline's runs failed on a full disk (ENOSPC, from Python or DuckDB)."""
    for run in (result.ingested, result.built, result.completed):
        for event in run.all_events if run is not None else []:
            if event.is_step_failure and "No space left" in event.step_failure_data.error.to_string():
                return True
    return False


def _report(result, landing: Path, data: Path) -> int:
    import dagster as dg

    from crmwh.summary import core_summary, failed_checks, marts_summary, where_to_look
    from dagster_project.recovery import free_mb, min_free_mb
    from ingest.report import audit_report

    work = data / "warehouse" / "work.duckdb"
    if result.recovered:
        print(f"crmwh run: recovered from a dead run: {len(result.recovered)} things cleared")
    if not result.success and (_out_of_space(result) or free_mb(data) < min(min_free_mb(), 64)):
        print(
            f"crmwh run: the filesystem of {data.resolve()} is full ({free_mb(data):.0f} MB free): "
            "the run failed; the published marts are unchanged. Free some space and run again.",
            file=sys.stderr,
        )
        return 1
    if result.ingested is None:
        print(f"crmwh run: no new delivery in {landing} since the last run")
    if work.exists():
        print(audit_report(work))
    for run in (result.ingested, result.built):
        for line in failed_checks(run):
            print(f"quality check failed: {line}", file=sys.stderr)
    if result.ingested is not None and not result.ingested.success:
        print(
            f"crmwh run: the ingest run {result.ingested.run_id} failed (a batch failing its "
            "quality suite is rejected: see audit_batch); nothing was published",
            file=sys.stderr,
        )
        return 1
    if result.completed is not None:
        ok = result.completed.success
        print(
            f"crmwh run: the last publish had no complete exports or lineage: "
            f"{'completed' if ok else 'still incomplete'} by run {result.completed.run_id}",
            file=sys.stdout if ok else sys.stderr,
        )
        if not ok:
            return 1
    if result.built is None:
        print("crmwh run: nothing to build: every loaded date is published")
        return 0
    if not result.built.success:
        print(_build_failure(result.built, data / "warehouse" / "crm.duckdb"), file=sys.stderr)
        return 1
    models = len({e.asset_key for e in result.built.get_asset_materialization_events()})
    tests = result.built.get_asset_check_evaluations()
    passed = sum(t.passed for t in tests)
    # distribution checks that failed only warn (DECISIONS.md): counted apart, not as failures
    warned = sum(not t.passed and t.severity == dg.AssetCheckSeverity.WARN for t in tests)
    print(
        f"build: {models} assets materialised, {passed}/{len(tests)} checks passed"
        + (f", {warned} warned (see GX Data Docs)" if warned else "")
    )
    print(core_summary(work))
    print(marts_summary(data / "warehouse" / "crm.duckdb"))
    print(where_to_look(data))
    return 0


def _build_failure(run, published: Path) -> str:
    """What a failed build changed, said truthfully: the published file is swapped by one
    step; the exports, lineage and readers' folders after it each keep their previous
    version when they fail (the next `crmwh run` completes them)."""
    from dagster_project.defs.pending import published_run_id

    failures = []
    for e in run.all_events:
        if e.is_step_failure and e.step_failure_data.error is not None:
            error = e.step_failure_data.error
            while error.cause is not None:  # the error the step's own code raised
                error = error.cause
            failures.append(f"{e.step_key}: {error.message.strip()}")
    why = "".join(f"\n  {f}" for f in failures)
    if published_run_id(published) == run.run_id:
        return (
            f"crmwh run: the build run {run.run_id} published the marts (data/warehouse/"
            "crm.duckdb) but a later step failed; what failed keeps its previous version "
            f"and the next `crmwh run` completes it:{why}"
        )
    return f"crmwh run: the build run {run.run_id} failed; the published marts are unchanged:{why}"


def _where(args: argparse.Namespace) -> int:
    from crmwh.summary import where_to_look

    print(where_to_look(Path(args.data)))
    return 0


def _docs(args: argparse.Namespace) -> int:
    """dbt docs (every model's lineage and column descriptions) of the warehouse in --data:
    `static_index.html`, one page with the manifest and catalog inside, opens from disk (a
    browser will not fetch index.html's JSON over file://); index.html is for `dbt docs serve`."""
    import os
    import shutil
    import subprocess

    data = Path(args.data).resolve()
    project = Path(__file__).resolve().parents[1] / "dbt"
    target = data / "docs" / "dbt"
    target.mkdir(parents=True, exist_ok=True)
    parsed = project / "target" / "partial_parse.msgpack"
    if parsed.exists():  # dbt re-parses the whole project without it (~10 s)
        shutil.copyfile(parsed, target / parsed.name)
    dbt = Path(sys.executable).parent / "dbt"
    cmd = [
        str(dbt),
        "docs",
        "generate",
        "--static",
        "--quiet",
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project),
        "--target-path",
        str(target),
    ]
    done = subprocess.run(cmd, env={**os.environ, "CRMWH_DATA": str(data)})
    if done.returncode == 0:
        print(
            f"dbt docs: {target / 'static_index.html'} (open it in a browser; or serve "
            f"{target / 'index.html'} with: {dbt} docs serve --project-dir {project} "
            f"--profiles-dir {project} --target-path {target})"
        )
    return done.returncode


def _match(args: argparse.Namespace) -> int:
    """A branch's list (ID numbers, mobiles) to party ids, for the parties of its own
    subtree only (marts/match.py); the request is recorded for auditors."""
    from dagster_project.defs.resources import LockTimeout, writer_lock
    from dagster_project.recovery import warn
    from marts.match import MatchError, match_list

    work = Path(args.data) / "warehouse" / "work.duckdb"
    if not work.exists():
        print(f"crmwh match: no warehouse at {work}: run `crmwh run` first", file=sys.stderr)
        return 2
    try:
        with writer_lock(work, warn):  # it records the request in the work file
            result = match_list(work, args.list, args.org)
    except (MatchError, OSError, LockTimeout) as e:
        print(f"crmwh match: {e}", file=sys.stderr)
        return 1 if isinstance(e, LockTimeout) else 2
    if args.out:
        with open(args.out, "w", encoding="utf-8", newline="") as f:
            result.write_csv(f)
    else:
        result.write_csv(sys.stdout)
    counts = ", ".join(f"{n} {what}" for what, n in sorted(result.counts().items()))
    print(
        f"crmwh match: {len(result.answers)} rows for organisation {result.org_id}: {counts} "
        f"(request {result.request_id}, recorded in meta.match_requests)",
        file=sys.stderr,
    )
    return 0


def _notebooks(args: argparse.Namespace) -> int:
    """The analyst notebooks executed on the published warehouse, as HTML in --out."""
    from crmwh.notebooks import NotebooksFailed, render

    try:
        pages = render(Path(args.data), Path(args.out))
    except NotebooksFailed as e:
        for failure in e.failures:
            error = re.sub(r"\x1b\[[0-9;]*m", "", failure.error)  # no terminal colours
            where = f"cell {failure.cell}: {failure.first_line}" if failure.cell else "no cell ran"
            print(
                f"crmwh notebooks: {failure.source.name} failed at {where}\n    {error}", file=sys.stderr
            )
        print(f"{len(e.pages)} notebooks rendered, {len(e.failures)} failed", file=sys.stderr)
        return 1
    print(f"{len(pages)} notebooks: {Path(args.out) / 'index.html'}")
    return 0


def _ui(args: argparse.Namespace) -> int:
    """The Dagster UI on the project's definitions and its embedded storage."""
    import os

    from dagster_project.run import instance

    os.environ["CRMWH_LANDING"] = str(Path(args.landing).resolve())
    os.environ["CRMWH_DATA"] = str(Path(args.data).resolve())
    instance()  # DAGSTER_HOME with the project's dagster.yaml
    dagster = Path(sys.executable).parent / "dagster"
    cmd = [
        str(dagster),
        "dev",
        "-m",
        "dagster_project.definitions",
        "-h",
        args.host,
        "-p",
        str(args.port),
    ]
    print(
        "Dagster UI: http://{}:{}  (DAGSTER_HOME={})".format(
            args.host, args.port, os.environ["DAGSTER_HOME"]
        )
    )
    os.execv(cmd[0], cmd)


def _realism(args: argparse.Namespace) -> int:
    """The figures a banker checks first (marts/realism.py); exit 1 when one is out of bounds."""
    from marts.realism import realism

    work = Path(args.data) / "warehouse" / "work.duckdb"
    if not work.exists():
        print(f"crmwh realism: no warehouse at {work}: run `crmwh run` first", file=sys.stderr)
        return 2
    result = realism(work)
    print(result.report())
    return 1 if result.failed else 0


def _codegen(args: argparse.Namespace) -> int:
    """The dbt files generated from the contract: write them, or (--check) list those that differ."""
    from contract import dbt_codegen

    if args.check:
        stale = dbt_codegen.check()
        for path in stale:
            print(f"crmwh codegen: {path} differs from what contract/ gives", file=sys.stderr)
        if stale:
            print("crmwh codegen: run `crmwh codegen` (make codegen) and commit", file=sys.stderr)
        return 1 if stale else 0
    changed = dbt_codegen.write()
    for path in changed:
        print(f"wrote {path}")
    if not changed:
        print("crmwh codegen: every generated file is up to date")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="crmwh", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    g = sub.add_parser("generate", help="write synthetic core-system extracts into a landing folder")
    g.add_argument("--out", type=Path, default=DEFAULT_LANDING)
    g.add_argument("--customers", type=int, default=10_000)
    g.add_argument("--days", type=int, default=120)
    g.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2026, 7, 1))
    g.add_argument("--seed", type=int, default=42)
    g.add_argument("--dirt", choices=["none", "default", "heavy"], default="default")
    g.set_defaults(func=_generate)

    r = sub.add_parser("run", help="run the pipeline over every batch in the landing folder")
    r.add_argument("--landing", type=Path, default=DEFAULT_LANDING)
    r.add_argument(
        "--data",
        type=Path,
        default=Path("data"),
        help="where raw/, warehouse/ and exports/ go (default: data)",
    )
    r.set_defaults(func=_run)

    s = sub.add_parser(
        "restate",
        help="recompute a closed month and every later one (after a late or restated batch)",
    )
    s.add_argument("--period", required=True, help="the first closed month to restate, YYYYMM")
    s.add_argument("--reason", help="why (kept in meta.restatements)")
    s.add_argument("--data", type=Path, default=Path("data"))
    s.set_defaults(func=_restate)

    w = sub.add_parser("where", help="where the published marts, exports and docs are")
    w.add_argument("--data", type=Path, default=Path("data"))
    w.set_defaults(func=_where)

    d = sub.add_parser("docs", help="write the dbt docs of the warehouse to DATA/docs/dbt")
    d.add_argument("--data", type=Path, default=Path("data"))
    d.set_defaults(func=_docs)

    m = sub.add_parser(
        "match",
        help="a branch's list of ID numbers or mobiles to party ids, for the parties of "
        "the organisation's subtree only (run by the data team)",
    )
    m.add_argument(
        "--list",
        type=Path,
        required=True,
        help="CSV with a header: id_type,id_no and/or mobile (docs/customers.md)",
    )
    m.add_argument("--org", required=True, help="the requesting organisation's org_id")
    m.add_argument("--data", type=Path, default=Path("data"))
    m.add_argument("--out", type=Path, help="the answer as CSV (default: standard output)")
    m.set_defaults(func=_match)

    n = sub.add_parser("notebooks", help="execute the analyst notebooks and render them to HTML")
    n.add_argument("--data", type=Path, default=Path("data"))
    n.add_argument("--out", type=Path, default=Path("data/reports"))
    n.set_defaults(func=_notebooks)

    u = sub.add_parser("ui", help="start the Dagster UI (dagster dev) on the project's definitions")
    u.add_argument("--landing", type=Path, default=DEFAULT_LANDING)
    u.add_argument("--data", type=Path, default=Path("data"))
    u.add_argument("--host", default="127.0.0.1")
    u.add_argument("--port", type=int, default=3000)
    u.set_defaults(func=_ui)

    k = sub.add_parser(
        "realism", help="check the figures a banker looks at first (risk cost, cards, alerts)"
    )
    k.add_argument("--data", type=Path, default=Path("data"))
    k.set_defaults(func=_realism)

    c = sub.add_parser(
        "codegen",
        help="write the dbt sources, staging column lists and "
        "staging YAML from the extract contract (contract/)",
    )
    c.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 and list the generated files that differ",
    )
    c.set_defaults(func=_codegen)

    args = parser.parse_args(argv)
    if getattr(args, "customers", 1) < 1 or getattr(args, "days", 1) < 1:
        parser.error("--customers and --days must be at least 1")
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
