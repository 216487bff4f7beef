"""Parquet exports: one folder tree per organisation (folder X = X's subtree), hive partitions,
keyed hashes, no clear identity anywhere, an atomic symlink swap keeping three versions."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import stat
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from helpers import CLEAR_ID, CLEAR_MOBILE, build_work

from marts.exports import export_marts, mart_dataset, mart_files
from marts.masking import (
    find_clear_identity,
    find_clear_identity_arrow,
    hmac_hex,
    identity_key,
    key_id,
    mask_clear_identity,
)
from marts.publish import ClearIdentityError, publish

# org -> the orgs of its subtree, for the fixture's tree
PATHS = {
    "10000": "10000",
    "20000": "10000/20000",
    "20001": "10000/20001",
    "50000": "10000/20000/50000",
    "50001": "10000/20000/50001",
}
SUBTREE = {
    "10000": {"10000", "20000", "20001", "50000", "50001"},
    "20000": {"20000", "50000", "50001"},
    "20001": {"20001"},
    "50000": {"50000"},
    "50001": {"50001"},
}


@pytest.fixture
def env(tmp_path):
    (tmp_path / "warehouse").mkdir()
    work = build_work(tmp_path / "warehouse" / "work.duckdb")
    published = tmp_path / "warehouse" / "crm.duckdb"
    publish(work, published, "run-0001-aaaa", "code-1")
    return work, published, tmp_path / "exports"


def rows_of(files: list[Path]) -> pa.Table:
    return ds.dataset([str(f) for f in files], format="parquet", partitioning="hive").to_table()


def test_each_org_folder_holds_exactly_its_subtree(env):
    work, published, exports = env
    res = export_marts(published, work, exports, "run-0001-aaaa")
    assert res.rows == {"mart_alerts": 3, "mart_customer_360": 4, "mart_vip_tier": 7}
    assert res.unplaced == {"mart_customer_360": 1, "mart_vip_tier": 2}  # null and unknown org
    layout = sorted(p.relative_to(exports).as_posix() for p in exports.rglob("*.parquet"))
    assert "orgs/10000/20000/50000/mart_vip_tier/period=202607/data.parquet" in layout
    assert "orgs/10000/20000/50001/mart_alerts/as_of_date=2026-07-02/data.parquet" in layout
    assert "orgs/10000/mart_vip_tier/period=202608/data.parquet" in layout  # no/unknown org
    con = duckdb.connect()
    con.execute(f"attach '{published}' as p (read_only)")
    pub = con.execute(
        "select party_id, period, home_org_id from p.marts.mart_vip_tier order by all"
    ).fetchall()
    # The whole mart read back with a plain duckdb glob and hive partitions.
    whole = con.execute(
        f"select party_id, period::varchar, home_org_id from read_parquet("
        f"'{exports}/orgs/**/mart_vip_tier/*/*.parquet', hive_partitioning=true) "
        "order by all"
    ).fetchall()
    assert whole == pub
    for org, orgs in SUBTREE.items():
        folder = exports / "orgs" / PATHS[org]
        sub = con.execute(
            f"select party_id, period::varchar, home_org_id from read_parquet("
            f"'{folder}/**/mart_vip_tier/*/*.parquet', hive_partitioning=true) order by all"
        ).fetchall()
        expected = [r for r in pub if r[2] in orgs or org == "10000"]  # root: all, unplaced too
        assert sub == expected, org
        # pyarrow, through the helper and with plain hive discovery on the files.
        table = mart_dataset(exports, "mart_vip_tier", org).to_table()
        assert sorted(
            zip(
                table["party_id"].to_pylist(),
                table["period"].to_pylist(),
                table["home_org_id"].to_pylist(),
                strict=True,
            ),
            key=lambda r: tuple(map(str, r)),
        ) == sorted(expected, key=lambda r: tuple(map(str, r)))
        assert table.schema.field("period").type == pa.string()
        assert rows_of(mart_files(exports, "mart_vip_tier", org)).num_rows == len(expected)
    # Hive partition values are the rows' own values.
    alerts = mart_dataset(exports, "mart_alerts").to_table()
    assert alerts.schema.field("as_of_date").type == pa.date32()
    assert sorted(map(str, alerts["as_of_date"].to_pylist())) == [
        "2026-07-01",
        "2026-07-02",
        "2026-07-02",
    ]
    for f in mart_files(exports, "mart_vip_tier"):
        period = f.parent.name.removeprefix("period=")
        assert "period" not in pq.read_schema(f).names  # lives in the path only
        assert (
            con.execute(
                f"select count(*) from p.marts.mart_vip_tier where period = '{period}'"
            ).fetchone()[0]
            > 0
        )
    # Money keeps its decimal type.
    assert rows_of(mart_files(exports, "mart_vip_tier")).schema.field("adb_aum").type == pa.decimal128(
        38, 10
    )


def test_keyed_hashes_manifest_and_no_clear_identity(env):
    work, published, exports = env
    res = export_marts(published, work, exports, "run-0001-aaaa")
    c360 = mart_dataset(exports, "mart_customer_360").to_table().to_pylist()
    p1 = next(r for r in c360 if r["party_id"] == "P1")
    assert p1["id_no_masked"] == "110105********002X"  # masked columns stay masked
    # no keyed hash of an identity leaves (branches match through `crmwh match`)
    assert not {"id_no", "mobile", "id_no_hmac", "mobile_hmac"} & set(c360[0])

    manifest = json.loads((exports / "manifest.json").read_text())
    assert manifest["run_id"] == "run-0001-aaaa" and manifest["code_version"] == "code-1"
    assert len(manifest["files"]) == res.files
    clear = [CLEAR_ID, CLEAR_MOBILE, "310115199303120114", "15899831534", "440305199311270114"]
    for entry in manifest["files"]:
        path = exports / entry["path"]
        data = path.read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        assert pq.read_metadata(path).num_rows == entry["rows"]
        assert not any(v.encode() in data for v in clear), entry["path"]
        table = pq.read_table(path)
        for name in table.column_names:
            if pa.types.is_string(table[name].type):
                assert find_clear_identity(table[name].to_pylist()) == [], (entry["path"], name)
    assert sum(f["rows"] for f in manifest["files"] if f["mart"] == "mart_vip_tier") == 7


@pytest.mark.parametrize(
    "planted, column",
    [
        ("mart_alerts set detail = 'customer 11010519900101002X moved'", "mart_alerts.detail"),
        ("mart_vip_tier set tier = 'call 138-1234-5678'", "mart_vip_tier.tier"),
    ],
)
def test_planted_clear_identity_aborts_and_keeps_previous_export(env, planted, column):
    work, published, exports = env
    first = export_marts(published, work, exports, "run-0001-aaaa")
    before = published.read_bytes()
    con = duckdb.connect(str(work))
    con.execute(f"update marts.{planted} where true")
    con.close()
    # publishing scans every published column first: nothing is swapped in
    with pytest.raises(ClearIdentityError, match=rf"marts.{column} would publish 1 clear"):
        publish(work, published, "run-0002-bbbb", "code-2")
    assert published.read_bytes() == before
    assert not list(published.parent.glob("*.tmp"))
    # the export's own scan, should a clear value reach the published file by another way
    con = duckdb.connect(str(published))
    con.execute(f"update marts.{planted} where true")
    con.close()
    with pytest.raises(ValueError, match=rf"{column} holds \d+ clear identity"):
        export_marts(published, work, exports, "run-0002-bbbb")
    assert exports.resolve() == first.version.resolve()
    assert [p.name for p in (exports.parent / "exports_versions").iterdir()] == [first.version.name]


def test_symlink_swap_keeps_three_versions_and_old_readers(env):
    work, published, exports = env
    exports.mkdir()
    (exports / "old.txt").write_text("older layout")
    versions = []
    for i in range(4):
        versions.append(export_marts(published, work, exports, f"run-000{i}-cccc").version)
        if i == 0:
            # The real folder was moved aside, not deleted.
            aside = [p for p in exports.parent.iterdir() if p.name.startswith("exports.legacy-")]
            assert len(aside) == 1 and (aside[0] / "old.txt").read_text() == "older layout"
            held = mart_files(exports, "mart_alerts")  # a reader resolved the link here
    assert exports.is_symlink() and exports.resolve() == versions[-1].resolve()
    assert not os.path.isabs(os.readlink(exports))  # relative: the data folder can move
    kept = sorted(p.name for p in (exports.parent / "exports_versions").iterdir())
    assert kept == sorted(v.name for v in versions[-3:])
    assert not versions[0].exists()
    # A reader of the version before last keeps its files until two more swaps.
    second = mart_files(versions[1].parent / versions[1].name, "mart_alerts")
    assert rows_of(second).num_rows == 3
    assert not any(p.exists() for p in held)


def test_identity_key_and_hashes(tmp_path, monkeypatch):
    monkeypatch.setenv("CRMWH_IDENTITY_KEY", "from-the-environment-" + "x" * 12)
    assert identity_key() == b"from-the-environment-" + b"x" * 12
    monkeypatch.setenv("CRMWH_IDENTITY_KEY", "too-short")
    with pytest.raises(ValueError, match="at least 32"):
        identity_key()
    monkeypatch.delenv("CRMWH_IDENTITY_KEY")
    path = tmp_path / "config" / "crmwh" / "identity.key"
    monkeypatch.setenv("CRMWH_IDENTITY_KEY_FILE", str(path))
    key = identity_key()
    assert len(key) == 32 and identity_key() == key  # made once, then reused
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert len(key_id(key)) == 16 and key_id(key) != key_id(b"y" * 32)
    assert hmac_hex(key, ["a", None, "a"]) == [
        hmac.new(key, b"a", "sha256").hexdigest(),
        None,
        hmac.new(key, b"a", "sha256").hexdigest(),
    ]
    long_key = b"x" * 100  # longer than a SHA-256 block
    assert hmac_hex(long_key, ["身份证"]) == [
        hmac.new(long_key, "身份证".encode(), "sha256").hexdigest()
    ]


def test_find_clear_identity():
    texts = [
        "证件 11010519900101002X",
        "old 110105900101123",
        "手机13812345678",
        "+86 138 1234 5678",
        "110105********002X",
        "138****5678",
        "PT04baea9c8285d5a6c74f",
        "a" + "1" * 64,
        "SAV:6217000000169275",
        None,
        "1234567890123456789",
        "CRD:LN31000000107906",
        "卡号 6259 1234 5678 9012",
        "ACC20260805000002304",  # a transaction id: not an account number
        "SAV:621700******9275",
        "debit 101,193.00 CNY",
    ]
    # card and account numbers count (issue 19): 13+ digits, two letters may lead
    assert find_clear_identity(texts) == [
        "11010519900101002X",
        "110105900101123",
        "13812345678",
        "+86 138 1234 5678",
        "6217000000169275",
        "1234567890123456789",
        "LN31000000107906",
        "6259 1234 5678 9012",
    ]
    assert mask_clear_identity("SAV:6217000000169275") == "SAV:621700******9275"
    assert mask_clear_identity("卡号 6259 1234 5678 9012") == "卡号 625912******9012"
    assert mask_clear_identity("CCS:8000000012123") == "CCS:8000*****2123"
    assert find_clear_identity(["bank code 105100000017", "cust 800000001212"]) == []
    # surrogates whose 20 hex digits happen to be decimal digits are not account numbers
    ids = ["PT34784716390373648492", "AC04411971317062609216", "HM12345678901234567890"]
    assert find_clear_identity(ids) == []
    assert find_clear_identity_arrow(pa.array(ids)) == []
