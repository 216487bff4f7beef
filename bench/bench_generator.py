"""Generator throughput: customers x 31 days of extracts, rows and MB per second.

    .venv/bin/python bench/bench_generator.py [--sizes 10000 100000 1000000] [--days 31]

Prints one Markdown table row per size (paste into bench/README.md). Target (bench/README.md):
1M customers x 31 days within 5 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import resource
import shutil
import tempfile
import time
from pathlib import Path

from crmwh.synth.generate import generate


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    p.add_argument("--days", type=int, default=31)
    p.add_argument("--out", type=Path, default=None, help="keep the extracts here")
    args = p.parse_args()
    print(f"# {platform.processor() or platform.machine()}, python {platform.python_version()}")
    print("| customers | days | wall s | rows | rows/s | MB | MB/s | peak RSS GiB |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for n in args.sizes:
        out = args.out / str(n) if args.out else Path(tempfile.mkdtemp(prefix=f"gen{n}_"))
        t = time.perf_counter()
        s = generate(out, n, args.days, dt.date(2026, 7, 1), 42, "default")
        wall = time.perf_counter() - t
        rows = sum(s.rows.values())
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        print(
            f"| {n:,} | {args.days} | {wall:.1f} | {rows:,} | {rows / wall:,.0f} | "
            f"{s.bytes / 1e6:,.0f} | {s.bytes / 1e6 / wall:.1f} | {rss:.1f} |",
            flush=True,
        )
        if not args.out:
            shutil.rmtree(out)


if __name__ == "__main__":
    main()
