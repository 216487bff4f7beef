"""`crmwh`: one entry point for the warehouse's jobs."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

DEFAULT_LANDING = Path("data/landing")


def _generate(args: argparse.Namespace) -> int:
    from ingest.synth.generate import generate

    summary = generate(args.out, args.customers, args.days, args.start, args.seed, args.dirt)
    print(summary.text())
    return 0


def _run(args: argparse.Namespace) -> int:
    landing = Path(args.landing)
    if not landing.is_dir():
        print(f"crmwh run: no landing folder {landing}: run `crmwh generate` first", file=sys.stderr)
        return 2
    from crmwh.summary import core_summary, marts_summary
    from dagster_project.run import new_dates, run_dbt, run_ingest
    from ingest.report import audit_report

    data = Path(args.data)
    dates = new_dates(landing, data)
    result = run_ingest(landing, data, dates=dates) if dates else None
    if result is None:
        print(f"crmwh run: no new delivery in {landing} since the last run")
    print(audit_report(data / "warehouse" / "work.duckdb"))
    failed_checks = [
        f"{e.asset_key.to_user_string()}: {e.check_name}"
        for e in (result.get_asset_check_evaluations() if result else []) if not e.passed
    ]
    if failed_checks:
        print("quality checks failed: " + "; ".join(failed_checks), file=sys.stderr)
    if result is not None and not result.success:
        print(f"crmwh run: the Dagster run {result.run_id} failed", file=sys.stderr)
        return 1
    built = run_dbt(data, dates=dates)
    if built is None:
        return 0
    if not built.success:
        print(f"crmwh run: the dbt run {built.run_id} failed", file=sys.stderr)
        return 1
    models = len({e.asset_key for e in built.get_asset_materialization_events()})
    tests = built.get_asset_check_evaluations()
    passed = sum(t.passed for t in tests)
    print(f"dbt: {models} models and seeds built, {passed}/{len(tests)} tests passed")
    print(core_summary(data / "warehouse" / "work.duckdb"))
    print(marts_summary(data / "warehouse" / "work.duckdb"))
    print(f"raw zone: {data / 'raw'}; warehouse: {data / 'warehouse' / 'crm.duckdb'}")
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
    r.add_argument("--data", type=Path, default=Path("data"),
                   help="where raw/, warehouse/ and exports/ go (default: data)")
    r.set_defaults(func=_run)

    args = parser.parse_args(argv)
    if getattr(args, "customers", 1) < 1 or getattr(args, "days", 1) < 1:
        parser.error("--customers and --days must be at least 1")
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
