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
    oks = sorted(landing.glob("*.OK"))
    # Ingest and the dbt layers arrive with the next issues; until then `run` reports
    # what has arrived, so the demo shows the landing folder's state.
    print(f"crmwh run: {len(oks)} complete batches in {landing} "
          f"({len(list(landing.glob('*.dat')))} legacy and {len(list(landing.glob('*.csv')))} "
          "CSV data files); the ingest and dbt stages are not built yet.")
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
    r.set_defaults(func=_run)

    args = parser.parse_args(argv)
    if getattr(args, "customers", 1) < 1 or getattr(args, "days", 1) < 1:
        parser.error("--customers and --days must be at least 1")
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
