"""Ingest throughput beside DuckDB's bare `read_csv` of the same rows in UTF-8.

    .venv/bin/python bench/bench_ingest.py [--sizes 100000 1000000] [--days 31] [--work DIR]

For each size: generate customers x days of extracts (`--dirt default`, kept in
`--work` and reused when present), then time

- ingest: `ingest.run.ingest` end to end over every batch: `.OK` checks (md5, counts,
  control totals), GB18030 decoding, parsing with the pinned dialect, quarantine,
  casting, Parquet raw zone, audit tables (2 worker processes);
- bare read: the same legacy files decoded to UTF-8 beforehand (not timed) and the CSV
  files as they are, read by DuckDB `read_csv` with explicit dialect and types into
  tables (2 threads), one call per entity.

Prints one Markdown table row per size. Target (bench/README.md): >= 1M rows/s
end to end and <= 2x the bare read.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import shutil
import time
from pathlib import Path

import duckdb

from contract.extracts import ENTITIES, LEGACY
from crmwh.synth.generate import generate
from ingest.run import ingest

DUCK_TYPES = {
    "str": "VARCHAR",
    "date": "DATE",
    "ts": "TIMESTAMP",
    "time": "VARCHAR",
    "amount": "DECIMAL(18,2)",
    "rate": "DECIMAL(10,4)",
    "decimal": "DECIMAL(18,6)",
    "int": "BIGINT",
}


def landing_for(work: Path, customers: int, days: int) -> Path:
    landing = work / f"{customers}x{days}" / "landing"
    if not (landing / "_truth" / "manifest.json").exists():
        shutil.rmtree(landing, ignore_errors=True)
        generate(landing, customers, days, dt.date(2026, 7, 1), 42, "default")
    return landing


def utf8_copy(landing: Path, dest: Path) -> None:
    """Legacy files decoded to UTF-8 (bad bytes replaced), CSV files as they are."""
    if dest.exists():
        return
    tmp = dest.with_name(dest.name + ".part")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for p in landing.iterdir():
        if p.suffix == ".dat":
            (tmp / p.name).write_bytes(p.read_bytes().decode("gb18030", "replace").encode())
        elif p.suffix == ".csv":
            shutil.copyfile(p, tmp / p.name)
    tmp.rename(dest)


def bare_read(utf8: Path, db: Path) -> int:
    db.unlink(missing_ok=True)
    con = duckdb.connect(str(db))
    con.execute("set threads = 2; set preserve_insertion_order = false")
    rows = 0
    for (sys, name), e in ENTITIES.items():
        files = sorted(str(p) for p in utf8.glob(f"{sys}_{name}_*.*") if p.stat().st_size)
        if not files:
            continue
        cols = ", ".join(f"'{c}': '{DUCK_TYPES[t]}'" for c, t in e.columns)
        q = "" if e.family is LEGACY else '"'  # RFC 4180: a quote is escaped by doubling
        con.execute(
            f"""
            create table {sys}_{name} as select * from read_csv(?,
                delim = '{e.family.separator}', quote = '{q}', escape = '{q}',
                header = {str(e.family.header).lower()}, columns = {{{cols}}},
                dateformat = '%Y%m%d', timestampformat = '%Y%m%d%H%M%S',
                ignore_errors = true, null_padding = false, strict_mode = false,
                auto_detect = false, new_line = '\\n')
        """,
            [files],
        )
        rows += con.execute(f"select count(*) from {sys}_{name}").fetchone()[0]
    con.close()
    return rows


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    p.add_argument("--days", type=int, default=31)
    p.add_argument("--work", type=Path, default=Path("/tmp/crmwh_bench"))
    args = p.parse_args()
    print(
        "| customers | days | rows in | MB | ingest s | rows/s | MB/s | bare read s | "
        "ingest / bare | quarantined | peak RSS GiB |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for n in args.sizes:
        landing = landing_for(args.work, n, args.days)
        out = landing.parent / "out"
        shutil.rmtree(out, ignore_errors=True)
        mb = sum(f.stat().st_size for f in landing.iterdir() if f.suffix in (".dat", ".csv")) / 1e6
        t = time.perf_counter()
        s = ingest(landing, out / "raw", out / "warehouse" / "work.duckdb", workers=2)
        wall = time.perf_counter() - t
        rows = s.count("rows_in")
        utf8 = landing.parent / "utf8"
        utf8_copy(landing, utf8)
        t = time.perf_counter()
        bare_rows = bare_read(utf8, out / "bare.duckdb")
        bare = time.perf_counter() - t
        rss = (
            max(
                resource.getrusage(r).ru_maxrss for r in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
            )
            / 2**20
        )
        print(
            f"| {n:,} | {args.days} | {rows:,} | {mb:,.0f} | {wall:.1f} | {rows / wall:,.0f} | "
            f"{mb / wall:.1f} | {bare:.1f} ({bare_rows:,} rows) | {wall / bare:.2f} | "
            f"{s.count('rows_quarantined'):,} | {rss:.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
