"""Readers' published forms: per role and organisation, only their rows and columns.

The seeds `access_roles` and `access_columns` (dbt/seeds/_access__seeds.yml) say, for each
role, which organisations get a folder (`org_level`), which rows a folder holds (`org_scope`:
the whole bank or the organisation's subtree), which schemas, and what each column becomes
(clear, masked, hashed, absent). From the published whole-bank file (identities already
masked and scanned) a run writes:

    data/published -> published_versions/<UTC stamp>_<run8>/    (symlink, swapped atomically)
    data/published_versions/<version>/<role>/<org_id>/
        crm.duckdb      the role's tables, in the storage format DuckDB 1.x reads
        parquet/<mart>/<period=YYYYMM | as_of_date=YYYY-MM-DD>/data.parquet
        manifest.json   this folder's files only (rows, bytes, sha256)

Folders are 0750 and files 0640, owned by the role's operating-system group (seed
`os_group`, e.g. crmwh_branch_manager_20000) when it exists: giving a person that group is
giving them the folder; the folders above are 0711 (passable, not listable), so a group
sees its own folder only. Every file is scanned for clear identities before the swap; any
error leaves the previous version in place.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import grp
import json
import logging
import os
import shutil
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from marts.exports import MARTS, fsync_tree, org_paths, prune_versions, swap_link, write_parquet
from marts.masking import KEYED_HASH_SQL, identity_key, set_key_variables
from marts.publish import READER_STORAGE, fsync_path, scan_published

log = logging.getLogger(__name__)

SCHEMAS = ("marts", "meta", "history", "quality", "lineage")
BANK_ONLY = {"quality", "lineage"}  # about the whole bank: no organisation to filter by
ACCESS = ("clear", "masked", "hashed", "absent")
DIR_MODE, FILE_MODE, PASS_MODE = 0o750, 0o640, 0o711


@dataclass(frozen=True)
class Role:
    name: str
    org_scope: str  # bank | subtree
    org_level: int
    schemas: tuple[str, ...]
    os_group: str


@dataclass
class Policy:
    roles: list[Role]
    # (role, table_name, column_name) -> access; table_name "schema.table" or "*"
    rules: dict[tuple[str, str, str], str]

    def access(self, role: str, table: str, column: str) -> str:
        """The most specific rule: (table, column), (table, *), (*, column), (*, *);
        absent when none covers the column."""
        for key in ((table, column), (table, "*"), ("*", column), ("*", "*")):
            if (role, *key) in self.rules:
                return self.rules[(role, *key)]
        return "absent"


@dataclass
class RolesResult:
    folders: dict[str, dict[str, int]]  # "<role>/<org>" -> rows per table
    version: Path
    seconds: float
    missing_groups: list[str] = field(default_factory=list)


def load_policy(con: duckdb.DuckDBPyConnection, db: str = "w") -> Policy:
    """The roles and column rules from the work file's seeds, checked."""
    roles = [
        Role(name, scope, int(level), tuple(schemas.split()), group)
        for name, scope, level, schemas, group in con.execute(
            f"select role, org_scope, org_level, schemas, os_group from {db}.seeds.access_roles "
            "order by role"
        ).fetchall()
    ]
    for r in roles:
        bad = [s for s in r.schemas if s not in SCHEMAS]
        if bad or not r.schemas:
            raise ValueError(f"access_roles: role {r.name} lists unknown schemas {bad or '(none)'}")
        if r.org_scope == "subtree" and BANK_ONLY & set(r.schemas):
            raise ValueError(
                f"access_roles: role {r.name} of scope subtree cannot hold "
                f"{sorted(BANK_ONLY & set(r.schemas))} (whole-bank tables)"
            )
        if r.org_scope not in ("bank", "subtree"):
            raise ValueError(f"access_roles: role {r.name} has org_scope {r.org_scope!r}")
    rules = {
        (role, table, column): access
        for role, table, column, access in con.execute(
            f"select role, table_name, column_name, access from {db}.seeds.access_columns"
        ).fetchall()
    }
    for (role, table, column), access in rules.items():
        if access not in ACCESS:
            raise ValueError(f"access_columns: {role} {table}.{column} has access {access!r}")
    return Policy(roles, rules)


def _ident(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _column_sql(name: str, dtype: str, access: str) -> str | None:
    c = f"m.{_ident(name)}"
    if access == "clear":
        return c
    if access == "absent":
        return None
    if access == "hashed":  # same value, same hash, in every table of the file
        h = KEYED_HASH_SQL.format(x=f"cast({c} as varchar)")
        return f"case when {c} is null then null else 'HM' || left({h}, 20) end as {_ident(name)}"
    if dtype != "VARCHAR":
        raise ValueError(f"access_columns: only text can be masked, {name} is {dtype}")
    return (
        f"case when {c} is null then null else left({c}, 1) || "
        f"repeat('*', greatest(length({c}) - 1, 0)) end as {_ident(name)}"
    )


def _in_subtree(column: str, org_path: str) -> str:
    p = _sql_str(org_path)
    return (
        f"{column} in (select org_id from orgs where org_path = {p} "
        f"or starts_with(org_path, {p} || '/'))"
    )


def _row_filter(table: str, role: Role, org_path: str) -> str | None:
    """The WHERE clause of a subtree role's rows of a mart (or its history), '' for every
    row, None when the table has no organisation to filter by (left out of the file)."""
    if role.org_scope == "bank":
        return ""
    spec = MARTS.get(table)
    if spec is None or spec.org_column is None:
        return None
    if spec.org_from:
        src, keys, col = spec.org_from
        on = " and ".join(f"b.{_ident(k)} = m.{_ident(k)}" for k in keys)
        return (
            f"where exists (select 1 from p.marts.{_ident(src)} b where {on} "
            f"and {_in_subtree('b.' + _ident(col), org_path)})"
        )
    return f"where {_in_subtree('m.' + _ident(spec.org_column), org_path)}"


def _copy_table(
    con: duckdb.DuckDBPyConnection, policy: Policy, role: Role, schema: str, table: str, org_path: str
) -> int | None:
    """One published table into the role's file with its rows and columns; None when the
    role sees none of it."""
    # history.<mart> holds a mart's replaced rows: the mart's rules and organisation apply
    rule_table = f"marts.{table}" if schema == "history" else f"{schema}.{table}"
    cols = con.execute(
        "select column_name, data_type, comment from duckdb_columns() where database_name = 'p' "
        "and schema_name = ? and table_name = ? order by column_index",
        [schema, table],
    ).fetchall()
    select = [
        (name, sql, comment)
        for name, dtype, comment in cols
        if (sql := _column_sql(name, dtype, policy.access(role.name, rule_table, name)))
    ]
    where = _row_filter(table, role, org_path) if schema in ("marts", "history") else ""
    if not select or where is None:
        return None
    target = f"{schema}.{_ident(table)}"
    con.execute(
        f"create table {target} as select {', '.join(s for _, s, _ in select)} "
        f"from p.{schema}.{_ident(table)} m {where}"
    )
    comment = con.execute(
        "select comment from duckdb_tables() where database_name = 'p' and schema_name = ? "
        "and table_name = ?",
        [schema, table],
    ).fetchone()[0]
    if comment:
        con.execute(f"comment on table {target} is {_sql_str(comment)}")
    for name, _, ccomment in select:
        if ccomment:
            con.execute(f"comment on column {target}.{_ident(name)} is {_sql_str(ccomment)}")
    return con.execute(f"select count(*) from {target}").fetchone()[0]


def _lineage(con: duckdb.DuckDBPyConnection, lineage_json: Path) -> dict[str, int]:
    """The lineage report (marts/lineage.py) as tables: what an auditor traces."""
    doc = json.loads(Path(lineage_json).read_text())
    con.execute("create schema lineage")
    header = pa.table({"item": list(doc["header"]), "value": [str(v) for v in doc["header"].values()]})
    columns = pa.table(
        {
            k: v
            for k, v in zip(
                ("mart", "column_name", "description", "lineage", "sources", "models"),
                zip(
                    *[
                        (
                            mart,
                            col,
                            c.get("description"),
                            c.get("lineage"),
                            json.dumps(c.get("sources", []), ensure_ascii=False),
                            "\n".join(c.get("models", [])),
                        )
                        for mart, m in doc["marts"].items()
                        for col, c in m.get("columns", {}).items()
                    ]
                ),
                strict=True,
            )
        }
    )
    batches = pa.Table.from_pylist(
        [{**b, "restated": ", ".join(b.get("restated", []))} for b in doc["batches"]]
    )
    rows = {}
    for name, t in (("header", header), ("columns", columns), ("batches", batches)):
        con.register(f"__{name}", t)
        con.execute(f"create table lineage.{name} as select * from __{name}")
        con.unregister(f"__{name}")
        rows[f"lineage.{name}"] = t.num_rows
    con.execute(
        "comment on table lineage.columns is 'Every published mart column traced to its "
        "source files and fields (docs/lineage.md): sources as JSON, models one per line.'"
    )
    return rows


def _role_file(
    path: Path,
    published: Path,
    policy: Policy,
    role: Role,
    org_path: str,
    orgs: pa.Table,
    key: bytes,
    lineage_json: Path | None,
) -> dict[str, int]:
    con = duckdb.connect(str(path), config={"storage_compatibility_version": READER_STORAGE})
    try:
        set_key_variables(con, key)
        con.execute(f"attach {_sql_str(str(published))} as p (read_only)")
        con.register("orgs", orgs)
        rows: dict[str, int] = {}
        for schema in role.schemas:
            if schema == "lineage":
                if lineage_json is None or not Path(lineage_json).exists():
                    raise FileNotFoundError(
                        f"role {role.name} holds lineage, but the report {lineage_json} is missing"
                    )
                rows.update(_lineage(con, lineage_json))
                continue
            con.execute(f"create schema if not exists {schema}")
            for (table,) in con.execute(
                "select table_name from duckdb_tables() where database_name = 'p' "
                "and schema_name = ? order by 1",
                [schema],
            ).fetchall():
                n = _copy_table(con, policy, role, schema, table, org_path)
                if n is not None:
                    rows[f"{schema}.{table}"] = n
        con.execute("detach p")
        # a role's file is read by its group: the same last line of defence as the bank's
        scan_published(con, what=f"publishing {role.name}/{path.parent.name}")
        con.execute("checkpoint")
    finally:
        con.close()
    return rows


def _parquet(db: Path, folder: Path) -> list[dict]:
    """The role file's marts as Parquet, hive-partitioned as the exports are."""
    files = []
    con = duckdb.connect(str(db), read_only=True)
    try:
        marts = [
            r[0]
            for r in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'marts' order by 1"
            ).fetchall()
        ]
        for mart in marts:
            spec = MARTS.get(mart)
            cols = [d[0] for d in con.execute(f"select * from marts.{_ident(mart)} limit 0").description]
            part = spec.partition if spec and spec.partition in cols else None
            if part == "period":
                key = f"{_ident(part)}::varchar"
            elif part:
                key = f"strftime({_ident(part)}, '%Y-%m-%d')"
            else:
                key = "''"
            table = con.sql(
                f"select coalesce({key}, '__HIVE_DEFAULT_PARTITION__') as __part, * "
                f"from marts.{_ident(mart)} order by all"
            ).to_arrow_table()
            if not table.num_rows:
                continue
            data = table.drop_columns(["__part"] + ([part] if part else []))
            runs = pc.run_end_encode(table["__part"]).combine_chunks()
            start = 0
            for end, value in zip(runs.run_ends.to_pylist(), runs.values.to_pylist()):
                rel = Path("parquet", mart) / (f"{part}={value}" if part else "") / "data.parquet"
                size, sha = write_parquet(folder / rel, data.slice(start, end - start))
                files.append(
                    {
                        "path": rel.as_posix(),
                        "mart": mart,
                        "partition": value or None,
                        "rows": end - start,
                        "bytes": size,
                        "sha256": sha,
                    }
                )
                start = end
    finally:
        con.close()
    return files


def _passable(folder: Path) -> None:
    """Let the readers' groups pass through the data folder (execute, never read: they
    cannot list it) to reach their own folder; runs keep everything else 0750 (umask 027)."""
    mode = stat.S_IMODE(folder.stat().st_mode)
    if mode & 0o011 != 0o011:
        try:
            os.chmod(folder, mode | 0o011)
        except PermissionError:
            log.warning("cannot make %s passable for the readers' groups (not its owner)", folder)


def _group_id(name: str) -> int | None:
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        return None


def _set_modes(folder: Path, gid: int | None) -> None:
    """The role-and-organisation folder: 0750 folders and 0640 files for its group."""
    for d, dirs, files in os.walk(folder):
        for name in dirs:
            os.chmod(os.path.join(d, name), DIR_MODE)
        for name in files:
            os.chmod(os.path.join(d, name), FILE_MODE)
        if gid is not None:
            for name in [*dirs, *files]:
                os.chown(os.path.join(d, name), -1, gid)
    os.chmod(folder, DIR_MODE)
    if gid is not None:
        os.chown(folder, -1, gid)


def publish_roles(
    published: Path,
    work: Path,
    readers: Path,
    run_id: str,
    code_version: str | None = None,
    lineage_json: Path | None = None,
) -> RolesResult:
    """Write every role's folders from the published file and swap `readers` (a symlink,
    e.g. data/published) to the new version. Any error leaves `readers` as it was."""
    t0 = time.perf_counter()
    published, work, readers = Path(published), Path(work), Path(readers)
    versions = readers.parent / f"{readers.name}_versions"
    versions.mkdir(parents=True, exist_ok=True)
    os.chmod(versions, PASS_MODE)
    _passable(readers.parent)
    created = dt.datetime.now(dt.UTC)
    name = f"{created.strftime('%Y%m%dT%H%M%S.%fZ')}_{run_id[:8]}"
    final, tmp = versions / name, versions / f".{name}.tmp"
    for stale in versions.glob(".*.tmp"):  # left by a killed run (one writer at a time)
        shutil.rmtree(stale, ignore_errors=True)
    key = identity_key()
    con = duckdb.connect()
    try:
        con.execute(f"attach {_sql_str(str(work))} as w (read_only)")
        policy = load_policy(con)
        orgs, root_path = org_paths(con)
        levels = dict(con.execute("select org_id, org_level from w.core.dim_org").fetchall())
    finally:
        con.close()
    folders: dict[str, dict[str, int]] = {}
    missing: set[str] = set()
    try:
        tmp.mkdir()
        for role in policy.roles:
            (tmp / role.name).mkdir()
            for org_id, org_path in zip(orgs["org_id"].to_pylist(), orgs["org_path"].to_pylist()):
                if levels.get(org_id) != role.org_level:
                    continue
                folder = tmp / role.name / org_id
                folder.mkdir()
                rows = _role_file(
                    folder / "crm.duckdb",
                    published,
                    policy,
                    role,
                    root_path if role.org_scope == "bank" else org_path,
                    orgs,
                    key,
                    lineage_json,
                )
                files = _parquet(folder / "crm.duckdb", folder)
                group = role.os_group.format(role=role.name, org=org_id)
                gid = _group_id(group)
                if gid is None:
                    missing.add(group)
                manifest = {
                    "role": role.name,
                    "org_id": org_id,
                    "org_scope": role.org_scope,
                    "os_group": group if gid is not None else None,
                    "run_id": run_id,
                    "code_version": code_version,
                    "created_at": created.isoformat(),
                    "tables": rows,
                    "files": files,
                }
                (folder / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
                _set_modes(folder, gid)
                folders[f"{role.name}/{org_id}"] = rows
            os.chmod(tmp / role.name, PASS_MODE)
        # which published run these folders were made from (for the data team: 0600)
        with duckdb.connect(str(published), read_only=True) as pcon:
            published_run = pcon.execute("select run_id from meta.published").fetchone()[0]
        marker = tmp / "published_run.json"
        marker.write_text(
            json.dumps({"published_run_id": published_run, "run_id": run_id, "folders": sorted(folders)})
        )
        os.chmod(marker, 0o600)
        fsync_tree(tmp)
        os.chmod(tmp, PASS_MODE)
        os.rename(tmp, final)
        fsync_path(versions)
        swap_link(readers, final)
    except BaseException:
        with contextlib.suppress(OSError):
            shutil.rmtree(tmp, ignore_errors=True)
        raise
    prune_versions(versions, final)
    if missing:
        log.info(
            "operating-system groups missing (folders keep this account's group): %s",
            ", ".join(sorted(missing)),
        )
    return RolesResult(folders, final, time.perf_counter() - t0, sorted(missing))
