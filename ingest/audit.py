"""Writing the audit tables (their layout: contract/audit.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import polars as pl

from contract.audit import DDL, MIGRATIONS


def connect(warehouse: Path) -> duckdb.DuckDBPyConnection:
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(warehouse))
    con.execute(DDL)
    con.execute(MIGRATIONS)
    return con


def to_date(d: str) -> dt.date:
    return dt.date(int(d[:4]), int(d[4:6]), int(d[6:]))


def decided(con, sys: str, biz_date: str) -> dict[str, str]:
    """ok_md5 -> status of every delivery of this batch already processed."""
    rows = con.execute(
        "select ok_md5, status from audit_batch where sys = ? and biz_date = ? and ok_md5 is not null",
        [sys, to_date(biz_date)],
    ).fetchall()
    return dict(rows)


def current(con) -> dict[tuple[str, str], int]:
    """(sys, 'YYYYMMDD') -> version the raw zone serves."""
    rows = con.execute(
        "select sys, strftime(biz_date, '%Y%m%d'), version from audit_batch where is_current"
    ).fetchall()
    return {(s, d): v for s, d, v in rows}


def current_deliveries(con) -> dict[tuple[str, str], tuple[int, str]]:
    """(sys, 'YYYYMMDD') -> (version, ok_md5) of the delivery the raw zone serves."""
    rows = con.execute(
        "select sys, strftime(biz_date, '%Y%m%d'), version, ok_md5 from audit_batch where is_current"
    ).fetchall()
    return {(s, d): (v, m) for s, d, v, m in rows}


def insert_frame(con, table: str, frame: pl.DataFrame) -> None:
    if frame.height:
        con.register("_frame", frame.to_arrow())
        con.execute(f"insert into {table} by name select * from _frame")
        con.unregister("_frame")
