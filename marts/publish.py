"""Write-audit-publish: build the whole published file beside the old one, then swap.

Readers open `crm.duckdb` read-only and never see a half-written state: a run builds a new
file (`crm.duckdb.<run_id>.tmp`) from the audited work file, checkpoints and fsyncs it, and
`os.replace`s it onto the published name, one atomic rename. A reader holding the old file
keeps its inode and reads the old version to the end; the next connection opens the new
one. Any error removes the temporary file and leaves the published file untouched.

Contents: schema `marts` (every table of work's `marts`, same DDL so types and NOT NULL
contracts hold, with dbt's table and column comments), schema `quality` (audit and
data-quality views for analysts: counts and reasons, never raw record text or a clear
identity), schema `meta` (which run, code and batch versions produced the marts; the
closed months and the restatements, marts/month_close.py) and schema `history` (the
rows restatements replaced).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from marts.masking import (
    KEYED_HASH_SQL,
    find_clear_identity_arrow,
    identity_key,
    mask_clear_identity,
    mask_value,
    set_key_variables,
)
from marts.month_close import pending_sql


@dataclass
class PublishResult:
    tables: dict[str, int]  # rows per published table, "schema.table"
    path: Path
    seconds: float


# quality.<name>: analysts' views of the audit and data-quality tables; `w` is the work file.
# No raw_text/raw_bytes, no clear identity (the review queue's detail is masked in Python).
QUALITY = {
    "audit_batch": "select * from w.main.audit_batch",
    "audit_file": "select * from w.main.audit_file",
    "quarantine_summary": """
        select sys, entity, file, biz_date, version, reason, count(*)::bigint as rows,
               sum(lines)::bigint as lines
        from w.main.quarantine_rows
        group by sys, entity, file, biz_date, version, reason""",
    "duplicate_keys": """
        select sys, entity, biz_date, count(*)::bigint as duplicate_keys
        from w.main.duplicate_keys
        group by sys, entity, biz_date""",
    "changed_after_load": """
        select c.* from w.main.changed_after_load c
        join w.main.audit_batch b using (sys, biz_date, ok_md5) where b.is_current""",
    # landing-folder entries that are not a batch (stray, unknown system, symlink, bad name)
    "landing_strays": "select * from w.main.audit_landing",
    # CRM codes the seeds do not know: rows kept, an unknown outcome is not a contact
    "unknown_codes": "select * from w.core.exc_unknown_codes",
    "reconciliation_breaks": """
        select * from w.core.exc_balance_reconciliation
        where is_movement_break or is_balance_after_break""",
    # shares above 100 on a day are scaled down and reported here (docs/crm.md)
    "credit_share_overflows": "select * from w.core.exc_credit_share_overflows",
    # how the accounts credited to more than one manager were split, day ranges as in
    # core.fct_credit_share: what a manager disputing a KPI credit is shown
    "shared_account_credits": """
        select account_key, sys, manager_id, assign_id, valid_from, valid_to,
               share_pct_raw, share_pct, total_share_pct_raw, is_scaled
        from w.core.fct_credit_share
        where account_key in (select account_key from w.core.fct_credit_share
                              group by account_key having count(distinct manager_id) > 1)""",
}
QUALITY_COMMENTS = {
    "audit_batch": "Every batch seen (ingest audit): system, date, version, counts, status.",
    "audit_file": "Every file of every batch: md5 and control totals, rows in/loaded/quarantined.",
    "quarantine_summary": "Quarantined records counted by file, date and reason (no raw text).",
    "duplicate_keys": "Duplicate transaction/contact keys found at ingest, per system, entity "
    "and date (kept in the raw zone, dropped once by dbt).",
    "changed_after_load": "Files of current deliveries whose bytes changed after loading under "
    "the same .OK (edited after delivery): the warehouse holds the bytes as loaded.",
    "landing_strays": "Landing-folder entries that are not part of a batch (unknown system or "
    "file, bad name or date, symlink, not a regular file), first and last seen; never read.",
    "unknown_codes": "CRM codes the seeds do not know (contact outcome, method): the rows are "
    "kept; a contact with an unknown outcome does not count as a contact.",
    "customer_review_queue": "Customer records a person must review (core.exc_customer_review_queue); "
    "identity numbers in detail are masked.",
    "reconciliation_breaks": "Account-days whose transactions do not explain the balance "
    "(core.exc_balance_reconciliation).",
    "credit_share_overflows": "Account day ranges whose assess shares add up to more than "
    "100% (scaled down to 100 for the KPI credit).",
    "shared_account_credits": "Credit shares (core.fct_credit_share) of the accounts credited "
    "to more than one manager: who gets what share, from when to when.",
}

_DDL = """
create schema meta;
create table meta.published(run_id varchar, published_at timestamp,  -- UTC
    code_version varchar,
    min_date date, max_date date, tables integer, rows bigint);
create table meta.published_batches(sys varchar, biz_date date, version integer,
    ok_md5 varchar, processed_at timestamp, run_id varchar);
"""


# The published file is written in the storage format DuckDB 1.x reads (1.0 to 1.5): the
# BI clients banks use bundle DuckDB 1.x (DBeaver, the ODBC driver, Evidence, Metabase's
# driver) and refuse DuckDB 2.0's default format ("can only read versions between 64 and
# 68"). DuckDB 2.0 reads and writes it; only the work file uses the newer format.
READER_STORAGE = "v1.0.0"


def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _ident(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def fsync_path(path: Path | str) -> None:
    """Flush a file's or a folder's entry to disk (a rename survives a crash)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy_marts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    con.execute("create schema marts")
    tables = con.execute("""
        select table_name, sql, comment from duckdb_tables()
        where database_name = 'w' and schema_name = 'marts' order by table_name""").fetchall()
    rows: dict[str, int] = {}
    for name, ddl, comment in tables:
        # dbt's DDL, schema-qualified `marts.<name>`: the same types and NOT NULL contracts.
        con.execute(ddl)
        con.execute(f"insert into marts.{_ident(name)} select * from w.marts.{_ident(name)}")
        mask_table_accounts(con, f"marts.{_ident(name)}")
        if comment:
            con.execute(f"comment on table marts.{_ident(name)} is {_sql_str(comment)}")
        for col, ccomment in con.execute(
            """
                select column_name, comment from duckdb_columns()
                where database_name = 'w' and schema_name = 'marts' and table_name = ?
                  and comment is not null and comment <> ''""",
            [name],
        ).fetchall():
            con.execute(f"comment on column marts.{_ident(name)}.{_ident(col)} is {_sql_str(ccomment)}")
        rows[f"marts.{name}"] = con.execute(f"select count(*) from marts.{_ident(name)}").fetchone()[0]
    return rows


def mask_table_accounts(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """A published table's account numbers masked in place, with `account_hash` added (an
    alert's `entity_id` is its account_key on account rows). `table` is `schema.name`,
    quoted; needs `_ACCOUNT_MACROS` on the connection."""
    cols = [d[0] for d in con.execute(f"select * from {table} limit 0").description]
    if "account_key" not in cols or "account_hash" in cols:
        return
    con.execute(f"alter table {table} add column account_hash varchar")
    entity = (
        ", entity_id = case when entity_type = 'account' then mask_account_key(entity_id) "
        "else entity_id end"
        if {"entity_id", "entity_type"} <= set(cols)
        else ""
    )
    con.execute(
        f"update {table} set account_hash = account_hash(account_key), "
        f"account_key = mask_account_key(account_key){entity}"
    )
    con.execute(
        f"comment on column {table}.account_hash is 'Keyed hash (HMAC-SHA256 under the "
        "bank''s identity key) of the account_key, for joins: account numbers are published "
        "masked (first 6 and last 4 digits).'"
    )


def _work_tables(con: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "select table_name from duckdb_tables() where database_name = 'w' "
            "and schema_name = ? order by 1",
            [schema],
        ).fetchall()
    ]


# Account numbers are published masked (first 6 and last 4 of the number, PCI DSS style),
# with `account_hash`, a keyed hash of the whole account_key, for joins (spec section 7).
_ACCOUNT_MACROS = f"""
create or replace temp macro mask_number(n) as case
    when length(n) >= 16 then left(n, 6) || repeat('*', length(n) - 10) || right(n, 4)
    when length(n) > 8 then left(n, 4) || repeat('*', length(n) - 8) || right(n, 4)
    else repeat('*', length(n)) end;
create or replace temp macro mask_account_key(k) as
    split_part(k, ':', 1) || ':' || mask_number(substr(k, strpos(k, ':') + 1));
create or replace temp macro account_hash(k) as 'AC' || left({KEYED_HASH_SQL.format(x="k")}, 20);
"""


def _masked_accounts(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    """`sql` with its `account_key` masked and `account_hash` added, when it has one."""
    cols = [d[0] for d in con.execute(f"select * from ({sql}) limit 0").description]
    if "account_key" not in cols:
        return sql
    return (
        "select * replace (mask_account_key(account_key) as account_key), "
        f"account_hash(account_key) as account_hash from ({sql})"
    )


# name_conflict details quote the records' names (exc_customer_review_queue.sql)
_REVIEW_NAMES = re.compile(r"(?<=\bname )(.+?)(?= differs from| from )")


def mask_name(name: str) -> str:
    """A name with its first character kept (a person's surname) and the rest starred."""
    return name[:1] + "*" * (len(name) - 1)


def _mask_review_text(text: str | None) -> str | None:
    """Review-queue text as published: identities masked, and the names a name conflict
    quotes reduced to their first character (the data team reads them whole in work)."""
    if text is None:
        return None
    text = mask_clear_identity(text)
    return _REVIEW_NAMES.sub(
        lambda m: mask_name(m.group(1)) if m.group(1) != "(none)" else "(none)", text
    )


def _quality(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema quality")
    for name, sql in QUALITY.items():
        con.execute(f"create table quality.{name} as {_masked_accounts(con, sql)}")
    if {"month_close", "restatements"} <= set(_work_tables(con, "meta")):
        con.execute(
            "create table quality.pending_restatements as "
            f"select * from ({pending_sql('w.main', 'w.meta')}) order by biz_date, sys"
        )
        con.execute(
            "comment on table quality.pending_restatements is 'Batches of dates in closed "
            "months loaded after the month closed (late or restated): the closed marts do "
            "not include them until `crmwh restate --period` (affects: the months it changes).'"
        )
    # The review queue explains an invalid ID with the number itself: mask it.
    con.execute(
        "create table quality.customer_review_queue as "
        "select * from w.core.exc_customer_review_queue limit 0"
    )
    queue = con.execute("select * from w.core.exc_customer_review_queue").fetchall()
    cols = [d[0] for d in con.description]
    text_cols = {
        c
        for c, t in con.execute(
            "select column_name, data_type from duckdb_columns() where database_name = 'w' "
            "and schema_name = 'core' and table_name = 'exc_customer_review_queue'"
        ).fetchall()
        if t == "VARCHAR"
    }
    if queue:
        masked = [
            tuple(_mask_review_text(v) if c in text_cols else v for c, v in zip(cols, r)) for r in queue
        ]
        con.executemany(
            f"insert into quality.customer_review_queue values ({', '.join('?' * len(cols))})", masked
        )
    for name, comment in QUALITY_COMMENTS.items():
        con.execute(f"comment on table quality.{name} is {_sql_str(comment)}")


def scan_published(con: duckdb.DuckDBPyConnection, what: str = "publishing") -> None:
    """Every text column of every table of the connection's database (marts, quality, meta,
    history, lineage), scanned for clear ID numbers, mobiles, card and account numbers (free
    text too: names, details, reasons). A hit raises, naming the column and a masked
    example, before anything is swapped in."""
    for schema, table, col in con.execute("""
            select schema_name, table_name, column_name from duckdb_columns()
            where database_name = current_database() and data_type = 'VARCHAR'
              and not internal order by all""").fetchall():
        values = con.sql(
            f"select distinct {_ident(col)} from {_ident(schema)}.{_ident(table)}"
        ).to_arrow_table()[0]
        hits = find_clear_identity_arrow(values)
        if hits:
            raise ClearIdentityError(
                f"{schema}.{table}.{col} would publish {len(hits)} clear identity, mobile, card "
                f"or account number(s), e.g. {mask_value(hits[0])}: {what} aborted; the "
                "previously published file and exports are unchanged. Fix the source record "
                "(or its masking) and run again."
            )


class ClearIdentityError(ValueError):
    """A published table would carry a clear identity: nothing was swapped in."""


def _meta(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    code_version: str,
    min_date: str | None,
    max_date: str | None,
    marts: dict[str, int],
) -> None:
    con.execute(_DDL)
    # month close: which months are kept as computed, and the restatements of closed ones
    for name in ("month_close", "restatements"):
        if name in _work_tables(con, "meta"):
            con.execute(f"create table meta.{name} as select * from w.meta.{name}")
    con.execute("create schema history")
    for name in _work_tables(con, "history"):
        con.execute(f"create table history.{_ident(name)} as select * from w.history.{_ident(name)}")
        mask_table_accounts(con, f"history.{_ident(name)}")
    con.execute("""
        insert into meta.published_batches
        select sys, biz_date, version, ok_md5, processed_at, run_id from w.main.audit_batch
        where is_current and status = 'loaded' order by sys, biz_date""")
    # Without an explicit window, the dates the published marts are built from.
    con.execute(
        """
        insert into meta.published
        select ?, ?, ?,
               coalesce(?::date, (select min(biz_date) from meta.published_batches)),
               coalesce(?::date, (select max(biz_date) from meta.published_batches)), ?, ?""",
        [
            run_id,
            dt.datetime.now(dt.UTC).replace(tzinfo=None),
            code_version,
            min_date,
            max_date,
            len(marts),
            sum(marts.values()),
        ],
    )


def publish(
    work: Path,
    published: Path,
    run_id: str,
    code_version: str,
    min_date: str | None = None,
    max_date: str | None = None,
) -> PublishResult:
    """Build a complete new published file from `work` (opened read-only) and swap it onto
    `published` in one `os.replace`. On any error the temporary file is removed, the error
    re-raised, and `published` is left exactly as it was."""
    t0 = time.perf_counter()
    work, published = Path(work), Path(published)
    if not work.exists():
        raise FileNotFoundError(work)
    published.parent.mkdir(parents=True, exist_ok=True)
    tmp = published.with_name(f"{published.name}.{run_id}.tmp")
    wal = tmp.with_name(tmp.name + ".wal")
    for stale in (tmp, wal):
        stale.unlink(missing_ok=True)
    try:
        con = duckdb.connect(str(tmp), config={"storage_compatibility_version": READER_STORAGE})
        try:
            set_key_variables(con, identity_key())
            con.execute(_ACCOUNT_MACROS)
            con.execute(f"attach {_sql_str(str(work))} as w (read_only)")
            con.execute("begin")
            marts = _copy_marts(con)
            _quality(con)
            _meta(con, run_id, code_version, min_date, max_date, marts)
            # the last line of defence, before anything is swapped in (spec section 7)
            scan_published(con)
            # Audit the copy: every mart holds exactly work's rows.
            for table, n in marts.items():
                src = con.execute(f"select count(*) from w.{table}").fetchone()[0]
                if src != n:
                    raise RuntimeError(f"{table}: {n} rows copied, work has {src}")
            tables = dict(marts)
            for schema in ("quality", "meta", "history"):
                for (name,) in con.execute(
                    "select table_name from duckdb_tables() where database_name = "
                    "current_database() and schema_name = ? order by 1",
                    [schema],
                ).fetchall():
                    tables[f"{schema}.{name}"] = con.execute(
                        f"select count(*) from {schema}.{_ident(name)}"
                    ).fetchone()[0]
            con.execute("commit")
            con.execute("detach w")
            con.execute("checkpoint")
        finally:
            con.close()
        if wal.exists():
            raise RuntimeError(f"{wal} left after checkpoint: the file is not self-contained")
        fsync_path(tmp)
        os.replace(tmp, published)
        fsync_path(published.parent)  # the rename itself survives a crash
    except BaseException:
        for f in (tmp, wal):
            with contextlib.suppress(OSError):
                f.unlink()
        raise
    return PublishResult(tables=tables, path=published, seconds=time.perf_counter() - t0)
