"""Helpers shared by the test modules (test modules import this, never each other or
conftest): reading extract files, re-delivering a batch, a tiny work file, copies of built
warehouses and check results."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import shutil
from pathlib import Path

import dagster as dg
import duckdb

from contract.extracts import ENTITIES, LEGACY
from crmwh.synth.files import DataFile, ok_text

START = dt.date(2026, 7, 1)  # the first business date of the session's generated landings


# --- extract files ------------------------------------------------------------------------


def read_ok(path: Path) -> tuple[list[str], list[list[str]]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return lines[0].split("|"), [ln.split("|") for ln in lines[1:]]


def entity_of(file_name: str):
    sys, name = file_name.split("_")[:2]
    return ENTITIES[(sys, name)]


def records(path: Path) -> list[list[str]]:
    """A clean file's records as field lists (the contract's dialect, nothing sniffed)."""
    entity = entity_of(path.name)
    if entity.family is LEGACY:
        text = path.read_bytes().decode("gb18030")
        return [ln.split("|+|") for ln in text.replace("\r\n", "\n").split("\n")[:-1]]
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == entity.column_names, path.name
    return rows[1:]


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def landing_dates(landing: Path) -> list[str]:
    """The business dates (`YYYYMMDD`) that have a `.OK` file in a landing folder."""
    return sorted({p.stem.rsplit("_", 1)[1] for p in landing.glob("*.OK")})


def restate(landing: Path, sys: str, date: str) -> int:
    """Re-deliver a batch as version 2 with its TXN file's last record removed; the TXN
    file's records in version 2."""
    ok = (landing / f"{sys}_{date}.OK").read_text().splitlines()
    files = []
    for line in ok[1:]:
        name, count, total, _ = line.split("|")
        content = (landing / name).read_bytes()
        cents = round(float(total) * 100)
        if "_TXN_" in name:
            body = content.rstrip(b"\n").rsplit(b"\n", 1)
            amount = body[1].split(b"|+|")[5].decode()
            content, count = body[0] + b"\n", int(count) - 1
            cents -= round(float(amount) * 100)
            (landing / name).write_bytes(content)
        files.append(DataFile(name, content, int(count), cents))
    (landing / f"{sys}_{date}.OK").write_bytes(ok_text(sys, date, 2, ok[0].split("|")[4], files))
    return files[2].records


# --- built warehouses ---------------------------------------------------------------------


def copy_tree(src: Path, dest: Path) -> Path:
    """A copy of a landing or data folder (raw zone, work.duckdb, published file, exports
    with their symlinks) to mutate; the original stays as built. Dagster's storage and dbt's
    temp folder are left out. A copy's staging views still read the original's raw zone
    until the next dbt call (every dbt call rebuilds them, with the copy's path)."""
    shutil.copytree(
        src, dest, symlinks=True, ignore=shutil.ignore_patterns("tmp", "dagster_home", "*.wal")
    )
    return dest


def check_errors(result: dg.ExecuteInProcessResult) -> list[str]:
    """The asset checks of a run that failed with severity ERROR (warnings are allowed)."""
    return [
        f"{e.asset_key.to_user_string()}: {e.check_name}"
        for e in result.get_asset_check_evaluations()
        if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR
    ]


# --- a tiny work file (publish and export tests) -----------------------------------------

CLEAR_ID = "11010519900101002X"
CLEAR_MOBILE = "13812345678"

WORK_SQL = f"""
create schema core; create schema marts;
create table main.audit_batch(sys varchar, biz_date date, version integer, mode varchar,
    ok_md5 varchar, status varchar, is_current boolean, reason varchar, files integer,
    rows_in bigint, rows_loaded bigint, rows_quarantined bigint, rows_rejected bigint,
    first_seen_at timestamp, processed_at timestamp, arrived_after date, run_id varchar);
insert into main.audit_batch values
 ('SAV', '2026-07-01', 1, 'full', 'm1', 'loaded', false, null, 2, 10, 9, 1, 0, now(),
  '2026-07-02 01:00', null, 'r0'),
 ('SAV', '2026-07-01', 2, 'full', 'm2', 'loaded', true, null, 2, 10, 10, 0, 0, now(),
  '2026-07-04 01:00', null, 'r1'),
 ('SAV', '2026-07-02', 1, 'full', 'm3', 'loaded', true, null, 2, 10, 10, 0, 0, now(),
  '2026-07-03 01:00', null, 'r1'),
 ('CRM', '2026-07-02', 1, 'full', 'm4', 'rejected', false, 'md5_mismatch', 1, 0, 0, 0, 5, now(),
  '2026-07-03 01:00', null, 'r1');
create table main.audit_file(sys varchar, biz_date date, version integer, ok_md5 varchar,
    file varchar, entity varchar, rows_in bigint, rows_loaded bigint, rows_quarantined bigint,
    problem varchar);
insert into main.audit_file values
 ('SAV', '2026-07-01', 2, 'm2', 'SAV_TXN_20260701.dat', 'txn', 10, 10, 0, null);
create table main.quarantine_rows(sys varchar, entity varchar, biz_date date, version integer,
    ok_md5 varchar, file varchar, line integer, lines integer, reason varchar, detail varchar,
    raw_text varchar, raw_bytes blob, quarantined_at timestamp);
insert into main.quarantine_rows values
 ('SAV', 'txn', '2026-07-01', 1, 'm1', 'SAV_TXN_20260701.dat', 7, 2, 'broken_line', 'spans 2 lines',
  '{CLEAR_ID}|张三|{CLEAR_MOBILE}', '\\x41'::blob, now()),
 ('SAV', 'txn', '2026-07-01', 1, 'm1', 'SAV_TXN_20260701.dat', 9, 1, 'broken_line', 'spans 2 lines',
  'x', '\\x41'::blob, now());
create table main.duplicate_keys(sys varchar, entity varchar, key varchar, biz_date date,
    line integer, first_biz_date date, first_line integer);
insert into main.duplicate_keys values ('SAV', 'txn', 'T1', '2026-07-02', 3, '2026-07-01', 4),
    ('SAV', 'txn', 'T2', '2026-07-02', 5, '2026-07-02', 1);
create table main.changed_after_load(sys varchar, biz_date date, version integer,
    ok_md5 varchar, file varchar, md5_at_load varchar, md5_now varchar);
insert into main.changed_after_load values
 ('SAV', '2026-07-01', 1, 'm1', 'SAV_TXN_20260701.dat', 'a', 'b'),
 ('SAV', '2026-07-02', 1, 'm3', 'SAV_TXN_20260702.dat', 'a', 'c');
create table main.audit_landing(file varchar, reason varchar, detail varchar, bytes bigint,
    modified_at timestamp, first_seen_at timestamp, last_seen_at timestamp);
insert into main.audit_landing values ('README.txt', 'unknown_file', 'not a contract file name',
    10, now(), now(), now());
create table core.exc_unknown_codes(entity varchar, column_name varchar, code varchar,
    row_count bigint, first_date date, last_date date);
insert into core.exc_unknown_codes values ('CRM_CONTACT', 'outcome', '09', 3, '2026-07-01',
    '2026-07-02');
create table core.dim_org(org_id varchar, org_name varchar, parent_org_id varchar,
    org_level integer, org_path varchar);
insert into core.dim_org values ('10000', '总行', null, 1, '10000'),
 ('20000', '北京分行', '10000', 2, '10000/20000'),
 ('20001', '上海分行', '10000', 2, '10000/20001'),
 ('50000', '网点1', '20000', 3, '10000/20000/50000'),
 ('50001', '网点2', '20000', 3, '10000/20000/50001');
create table core.dim_customer(party_id varchar, party_kind varchar, id_type varchar,
    id_no varchar, mobile varchar, address varchar);
insert into core.dim_customer values
 ('P1', 'personal', '01', '{CLEAR_ID}', '{CLEAR_MOBILE}', '北京市东城区人民路1号'),
 ('P2', 'personal', '01', '310115199303120114', '15899831534', '上海市'),
 ('P3', 'corporate', '21', '91110000100000000X', null, null),
 ('P4', 'personal', '01', '440305199311270114', '17290808725', '深圳市');
create table core.exc_customer_review_queue(review_id varchar, party_id varchar, sys varchar,
    cust_no varchar, reason varchar, detail varchar);
insert into core.exc_customer_review_queue values ('invalid_id:SAV:1', 'P2', 'SAV', '1',
    'invalid_id', 'id_type 01 number 310115199303120115: GB 11643 check digit is 5, expected 4');
create table core.exc_balance_reconciliation(account_key varchar, biz_date date,
    movement_gap decimal(38,2), is_movement_break boolean, is_balance_after_break boolean);
insert into core.exc_balance_reconciliation values ('SAV:1', '2026-07-02', 3.00, true, false),
    ('SAV:2', '2026-07-02', 0.00, false, false);
create table core.fct_credit_share(account_key varchar, sys varchar, acct_no varchar,
    manager_id varchar, assign_id varchar, valid_from date, valid_to date,
    share_pct_raw decimal(18,6), share_pct decimal(28,6), total_share_pct_raw decimal(28,6),
    is_scaled boolean);
insert into core.fct_credit_share values
    ('SAV:1', 'SAV', '1', 'M1', 'A1', '2026-07-01', '9999-12-31', 100, 100, 100, false),
    ('SAV:2', 'SAV', '2', 'M1', 'A2', '2026-07-01', '9999-12-31', 60, 50, 120, true),
    ('SAV:2', 'SAV', '2', 'M2', 'A3', '2026-07-01', '9999-12-31', 60, 50, 120, true);
create table core.exc_credit_share_overflows(account_key varchar, valid_from date, valid_to date,
    total_share_pct_raw decimal(28,6), assignment_count bigint, managers varchar);
insert into core.exc_credit_share_overflows values
    ('SAV:2', '2026-07-01', '9999-12-31', 120, 2, 'M1,M2');
create table marts.mart_vip_tier(party_id varchar not null, period varchar not null,
    adb_aum decimal(38,10) not null, tier varchar, home_org_id varchar);
insert into marts.mart_vip_tier values
 ('P1', '202607', 1000000.1234567891, 'gold', '50000'), ('P2', '202607', 5.5, 'mass', '50001'),
 ('P4', '202607', 7.25, 'mass', '20001'), ('P1', '202608', 1200000, 'gold', '50000'),
 ('P2', '202608', 6, 'mass', '20000'), ('P4', '202608', 8, 'mass', null),
 ('P3', '202608', 9, 'mass', 'ZZZ');
comment on table marts.mart_vip_tier is 'VIP tier per party and month.';
comment on column marts.mart_vip_tier.adb_aum is 'AUM average daily balance, CNY.';
create table marts.mart_alerts(as_of_date date not null, rule_id varchar, org_id varchar,
    detail varchar, metric_amount_cny decimal(38,10));
insert into marts.mart_alerts values ('2026-07-01', 'DORMANT', '50000', 'idle 181 days', 1.5),
 ('2026-07-02', 'LARGE_DEBIT', '50001', 'debit 60000.00', 60000),
 ('2026-07-02', 'AUM_DROP', '10000', 'drop', 2);
create table marts.mart_customer_360(party_id varchar not null, id_no_masked varchar,
    mobile_masked varchar, as_of_date date, home_org_id varchar, aum_balance decimal(38,10));
insert into marts.mart_customer_360 values
 ('P1', '110105********002X', '138****5678', '2026-07-02', '50000', 10),
 ('P2', '310115********0114', '158****1534', '2026-07-02', '50001', 20),
 ('P3', '911100********000X', null, '2026-07-02', '20001', 30),
 ('P4', '440305********0114', '172****8725', '2026-07-02', null, 40);
comment on column marts.mart_customer_360.id_no_masked is 'Document number masked.';
"""


def build_work(path: Path, extra_sql: str = "") -> Path:
    """A tiny work file: audit tables in main, dim_org/dim_customer/review queue/reconciliation
    in core, three marts (one 360-like with masked identity) with comments."""
    con = duckdb.connect(str(path))
    con.execute(WORK_SQL + extra_sql)
    con.close()
    return path


def mart_differences(a: Path, b: Path) -> dict[str, int]:
    """Rows of each published mart in one file and not the other (both ways)."""
    out = {}
    with duckdb.connect() as con:
        con.execute(f"attach '{a}' as a (read_only)")
        con.execute(f"attach '{b}' as b (read_only)")
        marts = [
            r[0]
            for r in con.execute(
                "select table_name from duckdb_tables() where database_name = 'a' "
                "and schema_name = 'marts' order by 1"
            ).fetchall()
        ]
        assert len(marts) >= 10
        for m in marts:
            out[m] = con.execute(f"""
                select (select count(*) from (from a.marts.{m} except all from b.marts.{m}))
                     + (select count(*) from (from b.marts.{m} except all from a.marts.{m}))
            """).fetchone()[0]
    return {m: n for m, n in out.items() if n}
