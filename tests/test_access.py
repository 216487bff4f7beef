"""Readers' published forms (marts/access.py): per role and organisation only its rows and
columns, file modes and groups, manifests of one folder, an atomic swap; the seeds as the
bank edits them; and, on the demo, no clear identity in any published file or export."""

from __future__ import annotations

import grp
import hashlib
import hmac
import json
import os
import stat
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from helpers import build_work, copy_tree

from marts.access import Policy, load_policy, publish_roles
from marts.masking import find_clear_identity, identity_key
from marts.publish import ClearIdentityError, publish

SEEDS = Path(__file__).resolve().parents[1] / "dbt" / "seeds"
MY_GROUP = grp.getgrgid(os.getgid()).gr_name

# Three roles of the test: a branch manager per level-2 branch (rows of its subtree, no
# masked ID column), a whole-bank analyst (party ids hashed, alert details masked, no 360
# view) and an auditor (quality, meta, lineage).
ROLES_SQL = f"""
create schema seeds;
create table seeds.access_roles(role varchar, org_scope varchar, org_level integer,
    schemas varchar, os_group varchar, description varchar);
insert into seeds.access_roles values
 ('branch_manager', 'subtree', 2, 'marts meta', '{MY_GROUP}', ''),
 ('analyst', 'bank', 1, 'marts', 'crmwh_no_such_group_{{role}}', ''),
 ('auditor', 'bank', 1, 'quality meta lineage', '{MY_GROUP}', '');
create table seeds.access_columns(role varchar, table_name varchar, column_name varchar,
    access varchar);
insert into seeds.access_columns values
 ('branch_manager', '*', '*', 'clear'),
 ('branch_manager', 'marts.mart_customer_360', 'id_no_masked', 'absent'),
 ('analyst', '*', '*', 'clear'),
 ('analyst', '*', 'party_id', 'hashed'),
 ('analyst', 'marts.mart_alerts', 'detail', 'masked'),
 ('analyst', 'marts.mart_customer_360', '*', 'absent'),
 ('auditor', '*', '*', 'clear');
"""
LINEAGE = {
    "header": {"Dagster run id": "run-0001-aaaa", "code version": "code-1"},
    "batches": [{"sys": "SAV", "from": "2026-07-01", "to": "2026-07-02", "count": 2, "restated": []}],
    "marts": {
        "mart_vip_tier": {
            "columns": {
                "adb_aum": {
                    "description": "AUM ADB",
                    "lineage": "column",
                    "sources": [{"file": "SAV_ACCT_YYYYMMDD.dat", "field": "balance", "note": ""}],
                    "models": ["dbt/models/marts/vip/mart_vip_tier.sql"],
                }
            }
        }
    },
}


@pytest.fixture
def built(tmp_path):
    (tmp_path / "warehouse").mkdir()
    work = build_work(tmp_path / "warehouse" / "work.duckdb", ROLES_SQL)
    published = tmp_path / "warehouse" / "crm.duckdb"
    publish(work, published, "run-0001-aaaa", "code-1")
    lineage = tmp_path / "lineage.json"
    lineage.write_text(json.dumps(LINEAGE))
    readers = tmp_path / "published"
    result = publish_roles(published, work, readers, "run-0001-aaaa", "code-1", lineage)
    return work, published, readers, lineage, result


def _tables(db: Path) -> dict[str, list[str]]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "select schema_name || '.' || table_name, list(column_name order by column_index) "
            "from duckdb_columns() where database_name = current_database() and not internal "
            "group by all order by 1"
        ).fetchall()
    return dict(rows)


def test_branch_manager_sees_its_subtree_and_its_columns(built):
    _, published, readers, _, result = built
    assert sorted(result.folders) == [
        "analyst/10000",
        "auditor/10000",
        "branch_manager/20000",
        "branch_manager/20001",
    ]
    folder = readers / "branch_manager" / "20000"
    tables = _tables(folder / "crm.duckdb")
    assert {t.split(".")[0] for t in tables} == {"marts", "meta"}  # no quality, no lineage
    assert "id_no_masked" not in tables["marts.mart_customer_360"]
    assert "mobile_masked" in tables["marts.mart_customer_360"]
    with duckdb.connect(str(folder / "crm.duckdb"), read_only=True) as con:
        # 20000's subtree is 20000, 50000, 50001: no row of 20001, none without an org
        assert con.execute(
            "select party_id, period, home_org_id from marts.mart_vip_tier order by all"
        ).fetchall() == [
            ("P1", "202607", "50000"),
            ("P1", "202608", "50000"),
            ("P2", "202607", "50001"),
            ("P2", "202608", "20000"),
        ]
        assert con.execute("select org_id from marts.mart_alerts order by 1").fetchall() == [
            ("50000",),
            ("50001",),
        ]
        assert con.execute("select party_id from marts.mart_customer_360 order by 1").fetchall() == [
            ("P1",),
            ("P2",),
        ]
        # comments travel with the columns
        assert con.execute(
            "select comment from duckdb_columns() where table_name = 'mart_vip_tier' "
            "and column_name = 'adb_aum'"
        ).fetchone() == ("AUM average daily balance, CNY.",)
    with duckdb.connect(str(readers / "branch_manager" / "20001" / "crm.duckdb"), read_only=True) as con:
        assert con.execute("select party_id, period from marts.mart_vip_tier").fetchall() == [
            ("P4", "202607")
        ]
    # the Parquet holds the same rows, partitioned as the exports
    parquet = ds.dataset(
        str(folder / "parquet" / "mart_vip_tier"), format="parquet", partitioning="hive"
    ).to_table()
    assert parquet.num_rows == 4 and "home_org_id" in parquet.column_names


def test_folder_modes_groups_and_a_manifest_of_its_own_files(built):
    _, _, readers, _, result = built
    version = readers.resolve()
    assert readers.is_symlink()
    for passable in (version, version / "branch_manager"):
        assert stat.S_IMODE(passable.stat().st_mode) == 0o711  # passable, not listable
    data_mode = stat.S_IMODE(readers.parent.stat().st_mode)
    assert data_mode & 0o011 == 0o011  # the groups pass through the data folder
    assert data_mode & 0o004 == 0  # without listing it
    folder = version / "branch_manager" / "20000"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o750
    for path in folder.rglob("*"):
        assert stat.S_IMODE(path.stat().st_mode) == (0o750 if path.is_dir() else 0o640), path
        assert path.stat().st_gid == os.getgid()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["role"] == "branch_manager" and manifest["org_id"] == "20000"
    assert manifest["os_group"] == MY_GROUP
    assert "orgs" not in manifest  # nothing about other organisations
    for entry in manifest["files"]:
        path = folder / entry["path"]
        assert path.resolve().is_relative_to(folder) and not Path(entry["path"]).is_absolute()
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]
    assert {e["mart"] for e in manifest["files"]} >= {"mart_vip_tier", "mart_alerts"}
    # a group that does not exist: reported, the folder keeps this account's group
    assert result.missing_groups == ["crmwh_no_such_group_analyst"]
    analyst = json.loads((version / "analyst" / "10000" / "manifest.json").read_text())
    assert analyst["os_group"] is None
    assert stat.S_IMODE((version / "published_run.json").stat().st_mode) == 0o600


def test_analyst_hashes_and_masks_auditor_sees_lineage_quality_meta(built):
    _, _, readers, _, _ = built
    key = identity_key()
    analyst = readers / "analyst" / "10000" / "crm.duckdb"
    tables = _tables(analyst)
    assert set(tables) == {"marts.mart_alerts", "marts.mart_vip_tier"}  # 360 view: no column
    with duckdb.connect(str(analyst), read_only=True) as con:
        ids = dict(
            con.execute(
                "select distinct tier, party_id from marts.mart_vip_tier "
                "where period = '202607' and tier = 'gold'"
            ).fetchall()
        )
        details = [
            r[0] for r in con.execute("select detail from marts.mart_alerts order by 1").fetchall()
        ]
        rows = con.execute("select count(*) from marts.mart_vip_tier").fetchone()[0]
    # the keyed hash of the published value: 'HM' + 20 hex digits of HMAC-SHA256
    assert ids["gold"] == "HM" + hmac.new(key, b"P1", "sha256").hexdigest()[:20]
    assert details == ["d***", "d*************", "i************"]
    assert rows == 7  # whole bank: rows without a known organisation too
    auditor = _tables(readers / "auditor" / "10000" / "crm.duckdb")
    assert {t.split(".")[0] for t in auditor} == {"quality", "meta", "lineage"}
    assert {"lineage.columns", "lineage.batches", "lineage.header", "quality.audit_batch"} <= set(
        auditor
    )
    with duckdb.connect(str(readers / "auditor" / "10000" / "crm.duckdb"), read_only=True) as con:
        assert con.execute("select mart, column_name, models from lineage.columns").fetchall() == [
            ("mart_vip_tier", "adb_aum", "dbt/models/marts/vip/mart_vip_tier.sql")
        ]
    assert not (readers / "auditor" / "10000" / "parquet").exists()  # no marts: no Parquet


def test_a_clear_identity_or_a_bad_seed_keeps_the_previous_version(built):
    work, published, readers, lineage, first = built
    before = readers.resolve()
    # a clear mobile in the published file (reached by another way than publish)
    with duckdb.connect(str(published)) as con:
        con.execute("update marts.mart_alerts set detail = 'call 13812345678' where true")
    with pytest.raises(ClearIdentityError, match="marts.mart_alerts.detail"):
        publish_roles(published, work, readers, "run-0002-bbbb", "code-2", lineage)
    assert readers.resolve() == before
    assert not [p for p in (readers.parent / "published_versions").iterdir() if p.name.startswith(".")]
    with duckdb.connect(str(work)) as con:
        con.execute(
            "update seeds.access_roles set schemas = 'marts quality' where role = 'branch_manager'"
        )
    with pytest.raises(ValueError, match="branch_manager of scope subtree cannot hold"):
        publish_roles(published, work, readers, "run-0003-cccc", "code-3", lineage)
    assert readers.resolve() == before


def test_the_bank_seeds_load_and_the_most_specific_rule_decides(tmp_path):
    con = duckdb.connect()
    con.execute("attach ':memory:' as w; create schema w.seeds")
    for seed in ("access_roles", "access_columns"):
        con.execute(f"create table w.seeds.{seed} as select * from read_csv('{SEEDS / seed}.csv')")
    policy = load_policy(con)
    assert {r.name for r in policy.roles} == {
        "head_office_analyst",
        "branch_manager",
        "customer_manager",
        "auditor",
    }
    assert policy.access("head_office_analyst", "marts.mart_manager_kpi", "manager_id") == "hashed"
    assert policy.access("head_office_analyst", "marts.mart_customer_360", "id_no_masked") == "absent"
    assert policy.access("customer_manager", "marts.mart_customer_360", "tier") == "clear"
    assert policy.access("customer_manager", "marts.mart_team_kpi", "score") == "absent"
    # closed by default: a role without a rule for a column does not see it
    assert Policy([], {}).access("anyone", "marts.mart_alerts", "detail") == "absent"


def test_demo_publishes_no_clear_identity_in_any_file_or_export(demo_data):
    """Every text column of every published DuckDB file and every Parquet file (exports and
    readers' folders) scanned for clear ID numbers, mobiles, card and account numbers."""
    files = [
        demo_data / "warehouse" / "crm.duckdb",
        *sorted((demo_data / "published").rglob("crm.duckdb")),
    ]
    assert len(files) > 10  # every role's folders exist after a run
    for db in files:
        with duckdb.connect(str(db), read_only=True) as con:
            for schema, table, col in con.execute(
                "select schema_name, table_name, column_name from duckdb_columns() where "
                "database_name = current_database() and data_type = 'VARCHAR' and not internal"
            ).fetchall():
                values = [
                    v
                    for (v,) in con.execute(f'select distinct "{col}" from {schema}.{table}').fetchall()
                ]
                assert find_clear_identity(values) == [], (db, schema, table, col)
    parquet = [
        *demo_data.joinpath("exports").resolve().rglob("*.parquet"),
        *demo_data.joinpath("published").resolve().rglob("*.parquet"),
    ]
    assert parquet
    for path in parquet:
        table = pq.read_table(path)
        for name in table.column_names:
            if pa.types.is_string(table[name].type):
                assert find_clear_identity(table[name].to_pylist()) == [], (path, name)


def test_a_mobile_in_a_company_name_aborts_the_publish_and_the_run_says_so(demo_data, tmp_path):
    """A contact's mobile typed into a corporate name (as a source system may carry it)
    reaches the marts; publishing scans every published column before the swap: the run
    fails naming the column, and the published file, exports and readers stay as they were."""
    from crmwh.cli import _build_failure
    from dagster_project.defs.publish import PUBLISHED_KEY
    from dagster_project.run import run_build

    data = copy_tree(demo_data, tmp_path / "data")
    published = data / "warehouse" / "crm.duckdb"
    before = published.read_bytes()
    exports, readers = (data / "exports").resolve(), (data / "published").resolve()
    with duckdb.connect(str(data / "warehouse" / "work.duckdb")) as con:
        planted = con.execute(
            "update marts.mart_top_corporate set party_name = party_name || "
            "'(联系人手机13812345678)' where rank = 1 and measure = 'deposit_adb'"
        ).fetchone()[0]
        first, last = con.execute(
            "select strftime(min(biz_date), '%Y%m%d'), strftime(max(biz_date), '%Y%m%d') "
            "from main.audit_batch"
        ).fetchone()
    assert planted > 0
    result = run_build(data, dg.DagsterInstance.ephemeral(), (first, last), [PUBLISHED_KEY])
    assert not result.success
    message = _build_failure(result, published)
    assert "the published marts are unchanged" in message
    assert "marts.mart_top_corporate.party_name would publish" in message
    assert "138****5678" in message and "13812345678" not in message
    assert published.read_bytes() == before
    assert (data / "exports").resolve() == exports and (data / "published").resolve() == readers
