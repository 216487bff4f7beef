"""Write-audit-publish: the published file is a complete copy of work's marts with comments,
analysts' quality views without raw text or clear identity, and meta rows; it is swapped
in one step, an error leaves it byte-equal, and an open reader keeps the old version."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from marts import publish as publish_mod
from marts.masking import find_clear_identity
from marts.publish import publish

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
create table core.customer_review_queue(review_id varchar, party_id varchar, sys varchar,
    cust_no varchar, reason varchar, detail varchar);
insert into core.customer_review_queue values ('invalid_id:SAV:1', 'P2', 'SAV', '1',
    'invalid_id', 'id_type 01 number 310115199303120115: GB 11643 check digit is 5, expected 4');
create table core.fct_balance_reconciliation(account_key varchar, biz_date date,
    movement_gap decimal(38,2), is_movement_break boolean, is_balance_after_break boolean);
insert into core.fct_balance_reconciliation values ('SAV:1', '2026-07-02', 3.00, true, false),
    ('SAV:2', '2026-07-02', 0.00, false, false);
create table core.fct_credit_share(account_key varchar, sys varchar, acct_no varchar,
    manager_id varchar, assign_id varchar, valid_from date, valid_to date,
    share_pct_raw decimal(18,6), share_pct decimal(28,6), total_share_pct_raw decimal(28,6),
    is_scaled boolean);
insert into core.fct_credit_share values
    ('SAV:1', 'SAV', '1', 'M1', 'A1', '2026-07-01', '9999-12-31', 100, 100, 100, false),
    ('SAV:2', 'SAV', '2', 'M1', 'A2', '2026-07-01', '9999-12-31', 60, 50, 120, true),
    ('SAV:2', 'SAV', '2', 'M2', 'A3', '2026-07-01', '9999-12-31', 60, 50, 120, true);
create table core.credit_share_overflows(account_key varchar, valid_from date, valid_to date,
    total_share_pct_raw decimal(28,6), assignment_count bigint, managers varchar);
insert into core.credit_share_overflows values
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


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def work(tmp_path) -> Path:
    return build_work(tmp_path / "work.duckdb")


def test_published_file_copies_marts_with_types_contracts_comments_and_meta(work, tmp_path):
    published = tmp_path / "crm.duckdb"
    res = publish(work, published, "run-0001", "abc123", "2026-07-02", "2026-07-03")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["crm.duckdb", "work.duckdb"]
    con = duckdb.connect(str(published), read_only=True)
    con.execute(f"attach '{work}' as w (read_only)")
    for mart in ("mart_vip_tier", "mart_alerts", "mart_customer_360"):
        assert con.execute(f"select * from w.marts.{mart} order by all").fetchall() == \
            con.execute(f"select * from marts.{mart} order by all").fetchall()
        assert res.tables[f"marts.{mart}"] == con.execute(
            f"select count(*) from w.marts.{mart}").fetchone()[0]
        assert con.execute("""select column_name, data_type, is_nullable, comment
            from duckdb_columns() where table_name = ? and database_name = ?
            order by column_index""", [mart, "w"]).fetchall() == con.execute("""
            select column_name, data_type, is_nullable, comment from duckdb_columns()
            where table_name = ? and database_name = 'crm' order by column_index""",
                                                                              [mart]).fetchall()
    assert con.execute("select comment from duckdb_tables() where database_name = 'crm' "
                       "and table_name = 'mart_vip_tier'").fetchone()[0] == \
        "VIP tier per party and month."
    assert con.execute("select data_type from duckdb_columns() where database_name = 'crm' and "
                       "column_name = 'adb_aum'").fetchone()[0] == "DECIMAL(38,10)"
    with pytest.raises(duckdb.Error):  # read-only for readers
        con.execute("delete from marts.mart_vip_tier")

    run_id, _, code, lo, hi, tables, rows = con.execute("select * from meta.published").fetchone()
    assert (run_id, code, str(lo), str(hi), tables, rows) == ("run-0001", "abc123", "2026-07-02",
                                                              "2026-07-03", 3, 7 + 3 + 4)
    # Only current, loaded batch versions.
    assert con.execute("select sys, biz_date::varchar, version, ok_md5, run_id "
                       "from meta.published_batches order by all").fetchall() == [
        ("SAV", "2026-07-01", 2, "m2", "r1"), ("SAV", "2026-07-02", 1, "m3", "r1")]


def test_quality_schema_has_counts_not_raw_text_or_clear_identity(work, tmp_path):
    published = tmp_path / "crm.duckdb"
    publish(work, published, "run-0001", "abc123")
    con = duckdb.connect(str(published), read_only=True)
    assert con.execute("select min_date::varchar, max_date::varchar from meta.published"
                       ).fetchone() == ("2026-07-01", "2026-07-02")  # from the batches
    assert con.execute("select sys, entity, biz_date::varchar, reason, rows, lines "
                       "from quality.quarantine_summary").fetchall() == [
        ("SAV", "txn", "2026-07-01", "broken_line", 2, 3)]
    assert con.execute("select duplicate_keys from quality.duplicate_keys").fetchall() == [(2,)]
    assert con.execute("select account_key from quality.reconciliation_breaks").fetchall() == [
        ("SAV:1",)]
    assert con.execute("select count(*) from quality.audit_batch").fetchone()[0] == 4
    # only the account split between two managers; the overflow as reported
    assert con.execute("select account_key, manager_id, share_pct from quality.shared_account_credits "
                       "order by 2").fetchall() == [("SAV:2", "M1", 50), ("SAV:2", "M2", 50)]
    assert con.execute("select managers from quality.credit_share_overflows").fetchall() == [
        ("M1,M2",)]
    detail = con.execute("select detail from quality.customer_review_queue").fetchone()[0]
    assert detail.startswith("id_type 01 number 310115********0115:")
    cols = con.execute("select column_name from duckdb_columns() "
                       "where schema_name = 'quality'").fetchall()
    assert ("raw_text",) not in cols and ("raw_bytes",) not in cols
    for table, col in con.execute("select table_name, column_name from duckdb_columns() where "
                                  "schema_name = 'quality' and data_type = 'VARCHAR'").fetchall():
        values = [v for (v,) in con.execute(f'select "{col}" from quality.{table}').fetchall()]
        assert find_clear_identity(values) == [], (table, col)


def test_error_midway_leaves_published_file_byte_equal(work, tmp_path, monkeypatch):
    published = tmp_path / "crm.duckdb"
    publish(work, published, "run-0001", "v1")
    before = sha(published)
    con = duckdb.connect(str(work))
    con.execute("insert into marts.mart_alerts values ('2026-07-03', 'X', '50000', 'x', 1)")
    con.close()

    def boom(*args):
        raise RuntimeError("disk full")
    monkeypatch.setattr(publish_mod, "_meta", boom)  # after the marts were copied
    with pytest.raises(RuntimeError, match="disk full"):
        publish(work, published, "run-0002", "v2")
    assert sha(published) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["crm.duckdb", "work.duckdb"]

    # A broken source (a clear ID in the review queue that masking would miss) aborts too.
    monkeypatch.undo()
    monkeypatch.setattr(publish_mod, "mask_clear_identity", lambda v: v)
    with pytest.raises(ValueError, match="customer_review_queue.detail"):
        publish(work, published, "run-0003", "v3")
    assert sha(published) == before


def test_open_reader_keeps_old_version_new_reader_sees_new(work, tmp_path):
    published = tmp_path / "crm.duckdb"
    publish(work, published, "run-0001", "v1")
    reader = duckdb.connect(str(published), read_only=True)
    assert reader.execute("select count(*) from marts.mart_alerts").fetchone()[0] == 3

    con = duckdb.connect(str(work))
    con.execute("insert into marts.mart_alerts values ('2026-07-03', 'X', '50000', 'x', 1)")
    con.close()
    publish(work, published, "run-0002", "v2")

    # The open connection still reads the old inode, whole and consistent.
    assert reader.execute("select count(*) from marts.mart_alerts").fetchone()[0] == 3
    assert reader.execute("select run_id from meta.published").fetchone()[0] == "run-0001"
    assert reader.execute("select sum(adb_aum) from marts.mart_vip_tier").fetchone()[0] > 0
    # An independent client (another process) opening the file now gets the new version.
    out = subprocess.run(
        [sys.executable, "-c", "import duckdb,sys; c = duckdb.connect(sys.argv[1], read_only=True);"
         "print(c.execute('select count(*), (select run_id from meta.published) "
         "from marts.mart_alerts').fetchone())", str(published)],
        capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "(4, 'run-0002')"
    reader.close()
