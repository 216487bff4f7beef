"""Parquet exports for BI: one folder tree per organisation, masked, swapped in atomically.

Layout (under `data/exports`, a symlink to the current version folder):

    orgs/<root>/<child>/.../<org_id>/<mart>/<partition>=<value>/data.parquet
    manifest.json

Folders nest along the organisation tree (`core.dim_org.org_path`) and each row is stored
once, in the folder of its own organisation (`MARTS` says which column that is; a row
without one goes to the root's folder), so the folder of X holds exactly the rows of X's
subtree and a branch can be handed its subtree alone (docs/orchestration.md). Partitions
are hive-style (`period=YYYYMM` for monthly marts, `as_of_date=YYYY-MM-DD` for daily ones);
the partition column lives in the path only, as hive readers expect.

Rows come from the published file (the audited marts), never from work; work is read for
the organisation tree only. No key and no keyed hash of an identity number leaves in an
export: a branch matches its own lists through the data team (`crmwh match`). Every string
column is scanned for clear identities before anything is swapped in.

A run writes a new folder `exports_versions/<UTC stamp>_<run_id[:8]>/` (beside `exports`),
then replaces the `exports` symlink in one `os.replace`. The two previous versions are kept
so a reader that resolved the old link finishes reading; older ones are deleted.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import re
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from marts.masking import find_clear_identity_arrow, mask_value
from marts.publish import fsync_path

log = logging.getLogger(__name__)

KEEP_PREVIOUS = 2  # versions kept besides the current one


@dataclass(frozen=True)
class MartExport:
    org_column: str | None  # the row's organisation; None: every row in the root's folder
    partition: str | None  # hive partition column: `period` (monthly) or a date (daily)
    # Marts without an organisation column may borrow one: (table, join keys, column).
    org_from: tuple[str, tuple[str, ...], str] | None = None


# Decided per mart from its columns: monthly marts carry `period` (YYYYMM), daily ones one
# business date. mart_contribution_score has no organisation: it takes the party's home
# organisation of the same month from mart_customer_contribution.
MARTS: dict[str, MartExport] = {
    "mart_alerts": MartExport("org_id", "as_of_date"),
    "mart_balance_band_stats": MartExport("org_id", "period"),
    "mart_contribution_score": MartExport(
        "home_org_id",
        "period",
        org_from=("mart_customer_contribution", ("party_id", "period"), "home_org_id"),
    ),
    "mart_customer_360": MartExport("home_org_id", "as_of_date"),
    "mart_customer_contribution": MartExport("home_org_id", "period"),
    "mart_manager_kpi": MartExport("org_id", "period"),
    "mart_team_kpi": MartExport("org_id", "period"),
    "mart_top_corporate": MartExport("org_id", "period"),
    "mart_vip_daily": MartExport("home_org_id", "as_of_date"),
    "mart_vip_tier": MartExport("home_org_id", "period"),
}
# Types of the partition values, for readers (hive discovery would read 202607 as a number).
PARTITION_TYPES = {"period": pa.string(), "as_of_date": pa.date32()}
_SAFE = re.compile(r"[A-Za-z0-9_-]+")


@dataclass
class ExportResult:
    files: int
    rows: dict[str, int]  # rows per mart
    seconds: float
    version: Path  # the version folder `exports` now points to
    unplaced: dict[str, int] = field(default_factory=dict)  # rows put in the root's folder


def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _ident(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def _spec(mart: str, columns: list[str]) -> MartExport:
    if mart in MARTS:
        return MARTS[mart]
    # A mart added later still exports, by the same rule; add it to MARTS to make it explicit.
    org = next((c for c in ("org_id", "home_org_id") if c in columns), None)
    part = next((c for c in ("period", "as_of_date") if c in columns), None)
    log.warning("%s is not in marts.exports.MARTS: exporting by %s / %s", mart, org, part)
    return MartExport(org, part)


def org_paths(con: duckdb.DuckDBPyConnection) -> tuple[pa.Table, str]:
    """org_id -> org_path from work's dim_org, checked to be safe folder names; the root."""
    rows = con.execute("select org_id, org_path, parent_org_id from w.core.dim_org").fetchall()
    roots = [org for org, _, parent in rows if parent is None]
    if len(roots) != 1:
        raise ValueError(f"core.dim_org has {len(roots)} roots, the export tree needs one")
    for org, path, _ in rows:
        parts = path.split("/")
        if parts[-1] != org or not all(_SAFE.fullmatch(p) for p in parts):
            raise ValueError(f"core.dim_org: org {org!r} has a path {path!r} unfit for folders")
    root_path = next(path for org, path, _ in rows if org == roots[0])
    return pa.table({"org_id": [r[0] for r in rows], "org_path": [r[1] for r in rows]}), root_path


def _scan(mart: str, table: pa.Table) -> None:
    for name in table.column_names:
        col = table[name]
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            hits = find_clear_identity_arrow(col)
            if hits:
                raise ValueError(
                    f"export aborted: {mart}.{name} holds {len(hits)} clear identity "
                    f"number(s) or mobile(s), e.g. {mask_value(hits[0])}"
                )


def _mart_table(con: duckdb.DuckDBPyConnection, mart: str, spec: MartExport, root_path: str) -> pa.Table:
    """The mart with `__org_path` and `__part` first, sorted so each output file is a run."""
    org = f"m.{_ident(spec.org_column)}" if spec.org_column else "null"
    joins = ""
    if spec.org_from:
        src, keys, col = spec.org_from
        on = " and ".join(f"b.{_ident(k)} = m.{_ident(k)}" for k in keys)
        joins += f" left join p.marts.{_ident(src)} b on {on}"
        org = f"b.{_ident(col)}"
        extra = f", b.{_ident(col)} as {_ident(spec.org_column)}"
    else:
        extra = ""
    if spec.partition is None:
        part = "''"
    elif spec.partition == "period":
        part = f"m.{_ident(spec.partition)}::varchar"
    else:
        part = f"strftime(m.{_ident(spec.partition)}, '%Y-%m-%d')"
    sql = f"""
        select coalesce(o.org_path, {_sql_str(root_path)}) as __org_path,
               coalesce({part}, '__HIVE_DEFAULT_PARTITION__') as __part,
               o.org_path is null as __unplaced, m.*{extra}
        from p.marts.{_ident(mart)} m{joins}
        left join orgs o on o.org_id = {org}
        order by all"""
    return con.sql(sql).to_arrow_table()


def write_parquet(path: Path, table: pa.Table) -> tuple[int, str]:
    buf = pa.BufferOutputStream()
    pq.write_table(table, buf)
    data = buf.getvalue().to_pybytes()
    if not path.parent.is_dir():
        path.parent.mkdir(parents=True)
    with open(path, "wb") as f:
        f.write(data)
    return len(data), hashlib.sha256(data).hexdigest()


def fsync_tree(root: Path) -> None:
    """Files and folders on disk before the swap points readers at them; fsync releases
    the GIL, so a few threads overlap the waits."""
    paths = [os.path.join(d, n) for d, _, files in os.walk(root) for n in [*files, "."]]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(fsync_path, paths))


def swap_link(exports: Path, target: Path) -> None:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    if exports.exists() and not exports.is_symlink():
        # An older layout kept a real folder here: keep it beside, never delete it.
        aside = exports.with_name(f"{exports.name}.legacy-{stamp}")
        log.warning("moving the real folder %s aside to %s", exports, aside)
        os.rename(exports, aside)
    tmp_link = exports.with_name(f".{exports.name}.{target.name}.link")
    with contextlib.suppress(FileNotFoundError):
        tmp_link.unlink()
    os.symlink(os.path.relpath(target, exports.parent), tmp_link)
    os.replace(tmp_link, exports)
    fsync_path(exports.parent)


def prune_versions(versions: Path, current: Path) -> None:
    done = sorted(p for p in versions.iterdir() if p.is_dir() and not p.name.startswith("."))
    for old in done[: -(KEEP_PREVIOUS + 1)]:
        if old.resolve() != current.resolve():
            shutil.rmtree(old)


def export_marts(
    published: Path, work: Path, exports: Path, run_id: str, code_version: str | None = None
) -> ExportResult:
    """Export every published mart as Parquet per organisation and swap `exports` to it.

    Raises (and leaves `exports` as it was) when a string column holds a clear ID number or
    mobile, when the org tree cannot be made into folders, or on any I/O error."""
    t0 = time.perf_counter()
    published, work, exports = Path(published), Path(work), Path(exports)
    versions = exports.parent / f"{exports.name}_versions"
    versions.mkdir(parents=True, exist_ok=True)
    created = dt.datetime.now(dt.UTC)
    name = f"{created.strftime('%Y%m%dT%H%M%S.%fZ')}_{run_id[:8]}"
    final = versions / name
    tmp = versions / f".{name}.tmp"
    for stale in versions.glob(".*.tmp"):  # left by a killed run (one writer at a time)
        shutil.rmtree(stale, ignore_errors=True)
    con = duckdb.connect()
    try:
        con.execute(f"attach {_sql_str(str(published))} as p (read_only)")
        con.execute(f"attach {_sql_str(str(work))} as w (read_only)")
        orgs, root_path = org_paths(con)
        con.register("orgs", orgs)
        meta = dict(
            zip(
                ("published_run_id", "published_code_version"),
                con.execute("select run_id, code_version from p.meta.published").fetchone()
                or (None, None),
            )
        )
        marts = [
            r[0]
            for r in con.execute(
                "select table_name from duckdb_tables() where database_name = 'p' "
                "and schema_name = 'marts' order by 1"
            ).fetchall()
        ]
        files: list[dict] = []
        rows: dict[str, int] = {}
        unplaced: dict[str, int] = {}
        specs: dict[str, MartExport] = {}
        for mart in marts:
            columns = [
                r[0]
                for r in con.execute(
                    "select column_name from duckdb_columns() where database_name = 'p' and "
                    "schema_name = 'marts' and table_name = ? order by column_index",
                    [mart],
                ).fetchall()
            ]
            spec = specs[mart] = _spec(mart, columns)
            table = _mart_table(con, mart, spec, root_path)
            data = table.drop_columns(
                ["__org_path", "__part", "__unplaced"] + ([spec.partition] if spec.partition else [])
            )
            _scan(mart, data)
            rows[mart] = table.num_rows
            unplaced[mart] = pc.sum(table["__unplaced"]).as_py() or 0
            if not table.num_rows:
                continue
            runs = pc.run_end_encode(
                pc.binary_join_element_wise(table["__org_path"], table["__part"], "\x00")
            ).combine_chunks()
            start = 0
            for end, run_key in zip(runs.run_ends.to_pylist(), runs.values.to_pylist()):
                org_path, part = run_key.split("\x00")
                rel = Path("orgs", *org_path.split("/"), mart)
                if spec.partition:
                    rel /= f"{spec.partition}={part}"
                rel /= "data.parquet"
                size, sha = write_parquet(tmp / rel, data.slice(start, end - start))
                files.append(
                    {
                        "path": rel.as_posix(),
                        "mart": mart,
                        "org_id": org_path.split("/")[-1],
                        "partition": part or None,
                        "rows": end - start,
                        "bytes": size,
                        "sha256": sha,
                    }
                )
                start = end
        manifest = {
            "run_id": run_id,
            "code_version": code_version or meta["published_code_version"],
            **meta,
            "created_at": created.isoformat(),
            "root_org_path": root_path,
            "orgs": dict(zip(orgs["org_id"].to_pylist(), orgs["org_path"].to_pylist())),
            "marts": {
                m: {"rows": rows[m], "org_column": specs[m].org_column, "partition": specs[m].partition}
                for m in marts
            },
            "files": files,
        }
        tmp.mkdir(parents=True, exist_ok=True)
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
        fsync_tree(tmp)
        os.rename(tmp, final)
        swap_link(exports, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        con.close()
    prune_versions(versions, final)
    return ExportResult(
        files=len(files),
        rows=rows,
        seconds=time.perf_counter() - t0,
        version=final,
        unplaced={m: n for m, n in unplaced.items() if n},
    )


def mart_files(exports: Path, mart: str, org_id: str | None = None) -> list[Path]:
    """The Parquet files of a mart, for the whole bank or one organisation's subtree.
    Resolves the `exports` link once, so a swap while reading does not mix versions."""
    version = Path(exports).resolve()
    base = version / "orgs"
    if org_id is not None:
        orgs = json.loads((version / "manifest.json").read_text())["orgs"]
        base = base.joinpath(*orgs[org_id].split("/"))
    return sorted(p for p in base.rglob("data.parquet") if mart in p.relative_to(base).parts)


def mart_dataset(exports: Path, mart: str, org_id: str | None = None) -> ds.Dataset:
    """A pyarrow dataset over a mart (or one organisation's subtree of it), with the
    partition column typed (period as text, dates as dates)."""
    files = mart_files(exports, mart, org_id)
    part = MARTS[mart].partition if mart in MARTS else None
    partitioning = (
        ds.partitioning(pa.schema([(part, PARTITION_TYPES.get(part, pa.string()))]), flavor="hive")
        if part
        else None
    )
    return ds.dataset([str(f) for f in files], format="parquet", partitioning=partitioning)
