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
from helpers import CLEAR_ID, build_work

from marts import publish as publish_mod
from marts.masking import find_clear_identity
from marts.publish import publish


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def work(tmp_path) -> Path:
    return build_work(
        tmp_path / "work.duckdb",
        f"""insert into core.exc_customer_review_queue values ('name_conflict:PLN:8', 'P1',
        'PLN', '8', 'name_conflict', 'name 张三丰 differs from other records of key
        P01:{CLEAR_ID}; golden name 张三 from SAV 7');""".replace("\n        ", " "),
    )


def test_published_file_copies_marts_with_types_contracts_comments_and_meta(work, tmp_path):
    published = tmp_path / "crm.duckdb"
    res = publish(work, published, "run-0001", "abc123", "2026-07-02", "2026-07-03")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["crm.duckdb", "work.duckdb"]
    con = duckdb.connect(str(published), read_only=True)
    # in the storage format DuckDB 1.x clients read (BI tools bundle DuckDB 1.x)
    tags = con.execute("select tags from duckdb_databases() where database_name = 'crm'").fetchone()[0]
    assert tags["storage_version"].startswith("v1.0.0"), tags
    con.execute(f"attach '{work}' as w (read_only)")
    for mart in ("mart_vip_tier", "mart_alerts", "mart_customer_360"):
        assert (
            con.execute(f"select * from w.marts.{mart} order by all").fetchall()
            == con.execute(f"select * from marts.{mart} order by all").fetchall()
        )
        assert (
            res.tables[f"marts.{mart}"]
            == con.execute(f"select count(*) from w.marts.{mart}").fetchone()[0]
        )
        assert (
            con.execute(
                """select column_name, data_type, is_nullable, comment
            from duckdb_columns() where table_name = ? and database_name = ?
            order by column_index""",
                [mart, "w"],
            ).fetchall()
            == con.execute(
                """
            select column_name, data_type, is_nullable, comment from duckdb_columns()
            where table_name = ? and database_name = 'crm' order by column_index""",
                [mart],
            ).fetchall()
        )
    assert (
        con.execute(
            "select comment from duckdb_tables() where database_name = 'crm' "
            "and table_name = 'mart_vip_tier'"
        ).fetchone()[0]
        == "VIP tier per party and month."
    )
    assert (
        con.execute(
            "select data_type from duckdb_columns() where database_name = 'crm' and "
            "column_name = 'adb_aum'"
        ).fetchone()[0]
        == "DECIMAL(38,10)"
    )
    with pytest.raises(duckdb.Error):  # read-only for readers
        con.execute("delete from marts.mart_vip_tier")

    run_id, _, code, lo, hi, tables, rows = con.execute("select * from meta.published").fetchone()
    assert (run_id, code, str(lo), str(hi), tables, rows) == (
        "run-0001",
        "abc123",
        "2026-07-02",
        "2026-07-03",
        3,
        7 + 3 + 4,
    )
    # Only current, loaded batch versions.
    assert con.execute(
        "select sys, biz_date::varchar, version, ok_md5, run_id from meta.published_batches order by all"
    ).fetchall() == [("SAV", "2026-07-01", 2, "m2", "r1"), ("SAV", "2026-07-02", 1, "m3", "r1")]


def test_quality_schema_has_counts_not_raw_text_or_clear_identity(work, tmp_path):
    published = tmp_path / "crm.duckdb"
    publish(work, published, "run-0001", "abc123")
    con = duckdb.connect(str(published), read_only=True)
    assert con.execute("select min_date::varchar, max_date::varchar from meta.published").fetchone() == (
        "2026-07-01",
        "2026-07-02",
    )  # from the batches
    assert con.execute(
        "select sys, entity, biz_date::varchar, reason, rows, lines from quality.quarantine_summary"
    ).fetchall() == [("SAV", "txn", "2026-07-01", "broken_line", 2, 3)]
    assert con.execute("select duplicate_keys from quality.duplicate_keys").fetchall() == [(2,)]
    # account numbers masked, with a keyed hash for joins (issue 19)
    assert con.execute(
        "select account_key, account_hash like 'AC%' and length(account_hash) = 22 "
        "from quality.reconciliation_breaks"
    ).fetchall() == [("SAV:*", True)]
    assert con.execute("select count(*) from quality.audit_batch").fetchone()[0] == 4
    # files edited after loading: of current deliveries only (m1 was superseded by m2)
    assert con.execute("select file from quality.changed_after_load").fetchall() == [
        ("SAV_TXN_20260702.dat",)
    ]
    # only the account split between two managers; the overflow as reported
    assert con.execute(
        "select account_key, manager_id, share_pct from quality.shared_account_credits order by 2"
    ).fetchall() == [("SAV:*", "M1", 50), ("SAV:*", "M2", 50)]
    assert con.execute("select managers from quality.credit_share_overflows").fetchall() == [("M1,M2",)]
    detail = con.execute(
        "select detail from quality.customer_review_queue where reason = 'invalid_id'"
    ).fetchone()[0]
    assert detail.startswith("id_type 01 number 310115********0115:")
    # a name conflict quotes the names: published with their first character only
    assert con.execute(
        "select detail from quality.customer_review_queue where reason = 'name_conflict'"
    ).fetchone()[0] == (
        "name 张** differs from other records of key P01:110105********002X; golden name 张* from SAV 7"
    )
    cols = con.execute(
        "select column_name from duckdb_columns() where schema_name = 'quality'"
    ).fetchall()
    assert ("raw_text",) not in cols and ("raw_bytes",) not in cols
    for table, col in con.execute(
        "select table_name, column_name from duckdb_columns() where "
        "schema_name = 'quality' and data_type = 'VARCHAR'"
    ).fetchall():
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
        [
            sys.executable,
            "-c",
            "import duckdb,sys; c = duckdb.connect(sys.argv[1], read_only=True);"
            "print(c.execute('select count(*), (select run_id from meta.published) "
            "from marts.mart_alerts').fetchone())",
            str(published),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "(4, 'run-0002')"
    reader.close()


def test_a_publish_counts_only_with_exports_lineage_and_readers_of_its_run(work, tmp_path):
    """`incomplete_publish`: what a run killed after the swap of crm.duckdb left behind."""
    import json

    from dagster_project.defs.pending import incomplete_publish

    published, exports, docs = tmp_path / "crm.duckdb", tmp_path / "exports", tmp_path / "docs"
    readers = tmp_path / "published"
    assert incomplete_publish(published, exports, docs) == []  # nothing published yet
    publish(work, published, "run-0001", "v1")
    assert incomplete_publish(published, exports, docs) == ["exports", "lineage", "readers"]
    exports.mkdir()
    manifest = {"run_id": "a later run", "published_run_id": "run-0001"}
    (exports / "manifest.json").write_text(json.dumps(manifest))
    assert incomplete_publish(published, exports, docs) == ["lineage", "readers"]
    docs.mkdir()
    (docs / "lineage.json").write_text(json.dumps({"header": {"Dagster run id": "run-0001"}}))
    assert incomplete_publish(published, exports, docs) == ["readers"]
    readers.mkdir()
    (readers / "published_run.json").write_text(json.dumps({"published_run_id": "run-0001"}))
    assert incomplete_publish(published, exports, docs, readers) == []
    publish(work, published, "run-0002", "v2")  # killed after this swap
    assert incomplete_publish(published, exports, docs) == ["exports", "lineage", "readers"]
