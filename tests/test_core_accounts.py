"""The account layer against the extract files, and day-by-day runs against a full refresh."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from helpers import landing_dates, records

from contract.extracts import LEGACY_SYSTEMS
from dagster_project.defs.dbt import DBT_DIR, DBT_EXECUTABLE
from dagster_project.run import run_dbt, run_ingest

ZERO = Decimal("0")


@pytest.fixture(scope="module")
def clean_warehouse(warehouses) -> Path:
    """The clean landing folder ingested and built to the core layer (shared scenario)."""
    return warehouses("clean_landing", "core").data


def _day(text: str) -> dt.date:
    return dt.datetime.strptime(text, "%Y%m%d").date()


def expected_balances(landing: Path) -> tuple[dict, dict, list[dt.date]]:
    """From the extract files alone: {(account_key, day): eod balance} for every delivered
    day and the carry-forward in between, the currency of each account, and the days."""
    days = sorted({_day(p.stem.rsplit("_", 1)[1]) for p in landing.glob("SAV_ACCT_*.dat")})
    delivered: dict[str, dict[dt.date, Decimal]] = {}
    currency = {}
    for sys in LEGACY_SYSTEMS:
        for path in sorted(landing.glob(f"{sys}_ACCT_*.dat")):
            day = _day(path.stem.rsplit("_", 1)[1])
            for f in records(path):
                key = f"{sys}:{f[0].strip()}"
                close = f[6].strip()
                closed = bool(close) and _day(close) <= day
                delivered.setdefault(key, {})[day] = ZERO if closed else Decimal(f[8].strip())
                currency[key] = f[3].strip()
    eod = {}
    for key, by_day in delivered.items():
        balance = None
        for day in days:
            balance = by_day.get(day, balance)
            if balance is not None:
                eod[key, day] = balance
    return eod, currency, days


def fx_rates(landing: Path) -> dict[tuple[str, dt.date], Decimal]:
    rates = {}
    for path in landing.glob("PUB_FXRATE_*.csv"):
        day = _day(path.stem.rsplit("_", 1)[1])
        for cur, rate in records(path):
            rates[cur, day] = Decimal(rate)
    return rates


def test_balance_and_adb_equal_a_direct_computation_from_the_files(
    clean_landing, clean_warehouse, tmp_path
):
    eod, currency, days = expected_balances(clean_landing)
    rates = fx_rates(clean_landing)
    after = days[-1] + dt.timedelta(days=1)
    windows = [
        (days[0], after),
        (days[1], days[3]),
        (days[2], days[2] + dt.timedelta(days=1)),
        (days[3], after + dt.timedelta(days=30)),
    ]  # the last one runs past the data
    # the macro's SQL, compiled before this test opens the warehouse (dbt connects to it)
    # (one dbt call for the four windows: each call parses the project)
    adb_sql = compile_inline(
        SPLIT.join(
            f"{{{{ account_adb(\"cast('{start}' as date)\", \"cast('{end}' as date)\") }}}}"
            for start, end in windows
        ),
        clean_warehouse,
        tmp_path / "dbt_target",
    ).split(SPLIT)
    assert len(adb_sql) == len(windows)
    with duckdb.connect(str(clean_warehouse / "warehouse" / "work.duckdb"), read_only=True) as con:
        for day in days:  # every account, every day
            got = dict(
                con.execute(
                    "select account_key, balance from core.fct_balance "
                    "where valid_from <= ? and valid_to > ?",
                    [day, day],
                ).fetchall()
            )
            want = {k: b for (k, d), b in eod.items() if d == day}
            assert got == want, day
        adbs = [{k: (a, c) for k, a, c in con.execute(sql).fetchall()} for sql in adb_sql]
    for (start, end), got in zip(windows, adbs):
        inside = [start + dt.timedelta(days=i) for i in range((end - start).days)]
        for key in currency:  # balances carry forward past the last delivered day
            daily = [eod.get((key, min(d, days[-1])), ZERO) for d in inside]
            cny = [b * rates[currency[key], min(d, days[-1])] for b, d in zip(daily, inside)]
            adb, adb_cny = got.get(key, (ZERO, ZERO))
            assert abs(Decimal(adb) - sum(daily) / len(inside)) < Decimal("1e-6"), (key, start)
            assert abs(Decimal(adb_cny) - sum(cny) / len(inside)) < Decimal("1e-6"), (key, start)


SPLIT = "\n-- next query --\n"  # between inline queries compiled in one call


def compile_inline(sql: str, data: Path, target: Path) -> str:
    """The SQL a project macro renders (dbt compile --inline), ready for DuckDB; dbt's
    files go to `target`, not into the (shared) data folder."""
    out = subprocess.run(
        [
            DBT_EXECUTABLE,
            "compile",
            "--quiet",
            "--inline",
            sql,
            "--project-dir",
            str(DBT_DIR),
            "--profiles-dir",
            str(DBT_DIR),
            "--target-path",
            str(target),
        ],
        cwd=DBT_DIR,
        env={**os.environ, "CRMWH_DATA": str(data)},
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout


def core_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        f"{s}.{t}"
        for s, t in con.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where schema_name in ('intermediate', 'core') order by all"
        ).fetchall()
    ]


def test_day_by_day_runs_equal_one_full_refresh(dirty_landing, tmp_path):
    """Batches arrive one business date at a time (late reversals and duplicates across
    days among them, asserted below); each day is one ingest + dbt run over that date.
    Every intermediate and core table then equals one run over the whole period."""
    # six dates ending with the first late reversal's (the generator's truth file says where)
    dates = landing_dates(dirty_landing)
    with (dirty_landing / "_truth" / "faults.csv").open(encoding="utf-8") as f:
        late = min(r["biz_date"] for r in csv.DictReader(f) if r["kind"] == "late_reversal")
    end = max(dates.index(late) + 1, 6)
    days = dates[end - 6 : end]
    daily_landing, daily_data = tmp_path / "daily_landing", tmp_path / "daily"
    full_landing, full_data = tmp_path / "full_landing", tmp_path / "full"
    daily_landing.mkdir()
    full_landing.mkdir()
    instance = dg.DagsterInstance.ephemeral()
    for day in days:
        for path in dirty_landing.glob(f"*_{day}.*"):
            shutil.copy2(path, daily_landing / path.name)
            shutil.copy2(path, full_landing / path.name)
        ingested = run_ingest(daily_landing, daily_data, instance)
        assert ingested is None or ingested.success
        # tables built in full equal a full refresh by construction: built on the last day
        built = run_dbt(daily_data, instance, dates=[day], daily_only=day != days[-1], marts=False)
        assert built.success, day
    assert run_ingest(full_landing, full_data, instance).success
    assert run_dbt(full_data, instance, dates=[days[0], days[-1]], marts=False).success

    with duckdb.connect() as con:
        con.execute(f"attach '{daily_data / 'warehouse' / 'work.duckdb'}' as daily (read_only)")
        con.execute(f"attach '{full_data / 'warehouse' / 'work.duckdb'}' as full_run (read_only)")
        con.execute("use full_run")
        tables = core_tables(con)
        assert {
            "core.fct_balance",
            "core.fct_transaction",
            "intermediate.int_account_snapshots",
            "core.exc_balance_reconciliation",
        } <= set(tables)
        compared = {}
        for table in tables:
            rows = con.execute(f"select count(*) from full_run.{table}").fetchone()[0]
            for a, b in (("daily", "full_run"), ("full_run", "daily")):
                diff = con.execute(
                    f"select count(*) from (select * from {a}.{table} "
                    f"except all select * from {b}.{table})"
                ).fetchone()[0]
                assert diff == 0, f"{table}: {diff} rows of {a} not in {b}"
            compared[table] = rows
        assert compared["core.fct_balance"] > 1000
        # the period holds what makes a window run differ from a blind append
        late = con.execute(
            "select count(*) from full_run.core.fct_transaction t join "
            "full_run.core.fct_transaction r on r.reversal_of = t.txn_id "
            "where r.biz_date > t.biz_date"
        ).fetchone()[0]
        copies = con.execute(
            "select count(*) from full_run.core.exc_transaction_duplicates "
            "where biz_date > kept_biz_date"
        ).fetchone()[0]
        assert late > 0 and copies > 0
    print(json.dumps(compared))
