"""Month close 封账 (spec section 8): closed months of the monthly marts are kept as computed.

State, in the work file's schema `meta` (published with the marts):
- `meta.month_close`: one row per closed month, recorded by the run that published it
  closed. A month is closed once the latest loaded business date is `close_after_days`
  (seed `month_close_parameters`) past its last day.
- `meta.restatements`: every `crmwh restate --period P`: requested (`started`), then `done`
  by the run that published the recomputed months.
- `history.<mart>`: the rows a restatement replaced, with `superseded_at` and
  `restatement_id`.

The monthly dbt group builds the months from `monthly_window_start`: the month after the
last closed one, or the earliest period of an unfinished restatement. Closes and
restatements are settled (`settle`) only when a run publishes, after every check passed:
a month is never kept closed with figures no check has seen.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import uuid
from collections.abc import Mapping
from pathlib import Path

import duckdb

DDL = """
create schema if not exists meta;
create schema if not exists history;
create table if not exists meta.month_close(
    period varchar primary key, period_start date not null,
    closed_on date not null,        -- the latest loaded business date when it closed
    close_after_days integer not null,
    run_id varchar not null, closed_at timestamp not null);
create table if not exists meta.restatements(
    restatement_id varchar primary key, period varchar not null, period_start date not null,
    reason varchar, requested_by varchar, requested_at timestamp not null,
    status varchar not null,        -- started | done
    periods varchar,                -- the closed months it replaced, 'YYYYMM..YYYYMM'
    batch_versions varchar,         -- JSON: the pending batches it took in
    run_id varchar, done_at timestamp);
"""

# Batches loaded after their month closed and not yet taken in by a restatement: what a
# restatement would change. `affects`: that month and every later closed one (VIP tiers
# carry state month to month).
PENDING_SQL = """
    select b.sys, b.biz_date, b.version, c.period,
           c.period || '..' || (select max(period) from {m}.month_close) as affects,
           b.processed_at as arrived, c.closed_at
    from {a}.audit_batch as b
    inner join {m}.month_close as c
        on c.period_start = date_trunc('month', b.biz_date)
    where b.is_current and b.status = 'loaded' and b.processed_at > c.closed_at
      and not exists (
          select 1 from {m}.restatements as r
          where r.status = 'done' and r.period_start <= c.period_start
            and r.requested_at > b.processed_at)
"""


def pending_sql(audit: str = "main", meta: str = "meta") -> str:
    return PENDING_SQL.format(a=audit, m=meta)


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(DDL)


def _period(d: dt.date) -> str:
    return d.strftime("%Y%m")


def _period_start(period: str) -> dt.date:
    try:
        return dt.datetime.strptime(period, "%Y%m").date()
    except ValueError:
        raise ValueError(f"period {period!r} is not YYYYMM") from None


def _has_tables(con: duckdb.DuckDBPyConnection) -> bool:
    (found,) = con.execute(
        "select count(*) from duckdb_tables() where database_name = current_database() "
        "and schema_name = 'meta' and table_name in ('month_close', 'restatements')"
    ).fetchone()
    return found == 2


def monthly_window_start(work: Path) -> dt.date | None:
    """First day of the first month the monthly group must build: the month after the last
    closed one, or an unfinished restatement's first month if earlier. None: no month is
    closed yet (every month is built)."""
    if not Path(work).exists():
        return None
    with duckdb.connect(str(work), read_only=True) as con:
        if not _has_tables(con):
            return None
        closed, restating = con.execute("""
            select (select max(period_start) from meta.month_close),
                   (select min(period_start) from meta.restatements where status = 'started')
        """).fetchone()
    after_closed = None
    if closed is not None:
        after_closed = (closed.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    starts = [d for d in (after_closed, restating) if d is not None]
    return min(starts) if starts else None


def close_after_days(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute(
        "select value from seeds.month_close_parameters where parameter = 'close_after_days'"
    ).fetchone()
    if row is None:
        raise ValueError("seed month_close_parameters has no close_after_days")
    return int(row[0])


def _check_closed(con: duckdb.DuckDBPyConnection, period: str) -> None:
    closed = con.execute("select count(*) from meta.month_close where period = ?", [period]).fetchone()
    if not closed[0]:
        last = con.execute("select max(period) from meta.month_close").fetchone()[0]
        raise ValueError(
            f"{period} is not a closed month (closed through {last or 'none yet'}): "
            "open months are recomputed by every run, there is nothing to restate"
        )


def check_restatable(work: Path, period: str) -> None:
    """ValueError unless `period` is a closed month of the warehouse `work`."""
    _period_start(period)
    if not Path(work).exists():
        raise ValueError(f"no warehouse at {work}: run `crmwh run` first")
    with duckdb.connect(str(work), read_only=True) as con:
        if not _has_tables(con):
            raise ValueError(f"{period} is not a closed month (no month is closed yet)")
        _check_closed(con, period)


def request_restatement(work: Path, period: str, reason: str | None) -> str:
    """Record a restatement of `period` and every later month as started; the next build
    (the restate job, or any run) recomputes those months and settles it when it publishes.
    Only a closed month can be restated: an open one is recomputed by every run."""
    start = _period_start(period)
    with duckdb.connect(str(work)) as con:
        ensure_tables(con)
        _check_closed(con, period)
        restatement_id = "RS" + dt.datetime.now().strftime("%Y%m%d%H%M%S") + uuid.uuid4().hex[:4]
        con.execute(
            "insert into meta.restatements(restatement_id, period, period_start, reason, "
            "requested_by, requested_at, status) values (?, ?, ?, ?, ?, ?, 'started')",
            [restatement_id, period, start, reason, _user(), dt.datetime.now()],
        )
    return restatement_id


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _month_expr(column: str, grain: str) -> str:
    return column if grain == "month" else f"date_trunc('month', {column})"


def settle(
    work: Path, published: Path, run_id: str, monthly_marts: Mapping[str, tuple[str, str]]
) -> dict:
    """When a run publishes (every check passed): finish the started restatements (the
    replaced rows of the closed months they recomputed, read from the published file the
    run is about to replace, go to `history.<mart>`), then record the months now closed.
    `monthly_marts`: mart -> (window column, grain 'month' or 'day'). One transaction."""
    now = dt.datetime.now()
    with duckdb.connect(str(work)) as con:
        ensure_tables(con)
        old = Path(published).exists()
        if old:
            con.execute(f"attach '{published}' as pub (read_only)")
        con.execute("begin")
        done = _finish_restatements(con, old, run_id, now, monthly_marts)
        closed = _record_closes(con, run_id, now)
        con.execute("commit")
        if old:
            con.execute("detach pub")
        state = summary(con)
    return {**state, "restated": done, "newly_closed": closed}


def _finish_restatements(con, old: bool, run_id: str, now, monthly_marts) -> list[str]:
    started = con.execute(
        "select restatement_id, period_start from meta.restatements "
        "where status = 'started' order by requested_at"
    ).fetchall()
    if not started:
        return []
    published_marts = set()
    if old:
        published_marts = {
            r[0]
            for r in con.execute(
                "select table_name from duckdb_tables() where database_name = 'pub' "
                "and schema_name = 'marts'"
            ).fetchall()
        }
    done = []
    for restatement_id, start in started:
        last_closed = con.execute("select max(period_start) from meta.month_close").fetchone()[0]
        for mart, (column, grain) in sorted(monthly_marts.items()):
            if mart not in published_marts:
                continue
            con.execute(
                f"create table if not exists history.{mart} as select *, "
                f"null::timestamp as superseded_at, null::varchar as restatement_id "
                f"from pub.marts.{mart} limit 0"
            )
            month = _month_expr(column, grain)
            con.execute(
                f"insert into history.{mart} by name select *, ?::timestamp as superseded_at, "
                f"? as restatement_id from pub.marts.{mart} where {month} >= ? and {month} <= ?",
                [now, restatement_id, start, last_closed],
            )
        batches = con.execute(
            f"select sys, strftime(biz_date, '%Y%m%d'), version from ({pending_sql()}) "
            "where biz_date >= ? order by 2, 1",
            [start],
        ).fetchall()
        con.execute(
            "update meta.restatements set status = 'done', run_id = ?, done_at = ?, "
            "periods = ?, batch_versions = ? where restatement_id = ?",
            [
                run_id,
                now,
                f"{_period(start)}..{_period(last_closed)}" if last_closed else None,
                json.dumps([f"{s}:{d}:v{v}" for s, d, v in batches]),
                restatement_id,
            ],
        )
        done.append(restatement_id)
    return done


def _record_closes(con, run_id: str, now) -> list[str]:
    days = close_after_days(con)
    rows = con.execute(
        """
        with latest as (
            select max(biz_date) as d from main.audit_batch where status = 'loaded' and is_current
        ),
        months as (
            select distinct date_trunc('month', biz_date)::date as period_start
            from main.audit_batch where status = 'loaded' and is_current
        )
        select strftime(m.period_start, '%Y%m'), m.period_start, l.d
        from months as m cross join latest as l
        where l.d >= (m.period_start + interval 1 month - interval 1 day)::date + ?::integer
          and strftime(m.period_start, '%Y%m') not in (select period from meta.month_close)
        order by 1""",
        [days],
    ).fetchall()
    for period, start, latest in rows:
        con.execute(
            "insert into meta.month_close values (?, ?, ?, ?, ?, ?)",
            [period, start, latest, days, run_id, now],
        )
    return [r[0] for r in rows]


def summary(con: duckdb.DuckDBPyConnection) -> dict:
    """Closed months, restatements in progress and pending restatements (Dagster metadata,
    `crmwh` output)."""
    if not _has_tables(con):
        return {"closed": [], "restating": [], "pending": []}
    closed = [r[0] for r in con.execute("select period from meta.month_close order by 1").fetchall()]
    restating = [
        r[0]
        for r in con.execute(
            "select period from meta.restatements where status = 'started' order by 1"
        ).fetchall()
    ]
    pending = [
        f"{s} {d:%Y%m%d} v{v} (closed {p})"
        for s, d, v, p in con.execute(
            f"select sys, biz_date, version, period from ({pending_sql()}) order by 2, 1"
        ).fetchall()
    ]
    return {"closed": closed, "restating": restating, "pending": pending}
