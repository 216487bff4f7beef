"""The lineage report on the real dbt project: one `dbt parse`, one compile, a tiny published file.

Hand-checked traces: mart_vip_tier.adb_aum comes from the balance field of the savings and
wealth account extracts (SAV_ACCT, WMS_ACCT; product flag is_aum from seeds/products.csv,
converted with PUB_FXRATE); mart_customer_360.id_no_masked from the id_no (and id_type) fields of
the seven customer extracts; mart_vip_tier.tier from seeds/vip_tiers.csv; a count column depends
on whole tables, not on a field.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from contract.extracts import LEGACY_SYSTEMS
from marts import lineage
from marts.lineage import lineage_report

DBT_DIR = Path(__file__).resolve().parents[1] / "dbt"
RUN_ID = "run-7f3a9c1e-lineage-test"
CODE_VERSION = "abc1234"


def make_published(path: Path, batches: list[tuple]) -> Path:
    con = duckdb.connect(str(path))
    con.execute("create schema meta")
    con.execute(
        "create table meta.published(run_id varchar, published_at timestamp, code_version varchar, "
        "min_date date, max_date date, tables integer, rows bigint)"
    )
    con.execute(
        "insert into meta.published values (?, ?, ?, ?, ?, 10, 4321)",
        [
            RUN_ID,
            dt.datetime(2026, 10, 4, 6, 30),
            CODE_VERSION,
            dt.date(2026, 10, 1),
            dt.date(2026, 10, 4),
        ],
    )
    con.execute(
        "create table meta.published_batches(sys varchar, biz_date date, version integer, "
        "ok_md5 varchar, processed_at timestamp, run_id varchar)"
    )
    con.executemany("insert into meta.published_batches values (?, ?, ?, ?, ?, ?)", batches)
    con.close()
    return path


def batch(sys_code: str, day: int, version: int = 1) -> tuple:
    date = dt.date(2026, 10, 1) + dt.timedelta(days=day)
    return (
        sys_code,
        date,
        version,
        f"md5-{sys_code}-{day}-{version}",
        dt.datetime(2026, 10, 4, 6),
        RUN_ID,
    )


@pytest.fixture(scope="module")
def parsed(tmp_path_factory) -> Path:
    """manifest.json from `dbt parse` of the project (what Dagster's DbtProject uses)."""
    tmp = tmp_path_factory.mktemp("lineage")
    (tmp / "data" / "warehouse").mkdir(parents=True)
    env = {**os.environ, "CRMWH_DATA": str(tmp / "data")}
    dbt = Path(sys.executable).with_name("dbt")
    subprocess.run(
        [
            str(dbt),
            "parse",
            "--project-dir",
            str(DBT_DIR),
            "--profiles-dir",
            str(DBT_DIR),
            "--target-path",
            str(tmp / "target"),
            "--log-path",
            str(tmp / "logs"),
            "--quiet",
        ],
        env=env,
        check=True,
        cwd=tmp,
    )
    return tmp / "target" / "manifest.json"


@pytest.fixture(scope="module")
def report(parsed, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report")
    # the current versions only: SAV of 2026-10-02 was restated (version 2)
    batches = [batch(s, d, 2 if (s, d) == ("SAV", 1) else 1) for s in ("SAV", "CRM") for d in range(3)]
    published = make_published(tmp / "crm.duckdb", batches)
    md = lineage_report(parsed, published, tmp / "docs", cache_dir=tmp / "cache")
    data = json.loads((tmp / "docs" / "lineage.json").read_text())
    return md, data, tmp


def fields(data: dict, mart: str, column: str) -> set[tuple[str, str]]:
    return {(f["file"], f["field"]) for f in data["marts"][mart]["columns"][column]["sources"]}


def test_every_column_of_every_mart_is_reported(report, parsed):
    _md, data, _tmp = report
    manifest = json.loads(parsed.read_text())
    marts = {
        n["name"]: list(n["columns"])
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and n["config"]["schema"] == "marts"
    }
    assert "mart_vip_tier" in marts and len(marts) >= 9
    assert set(data["marts"]) == set(marts)
    for mart, columns in marts.items():
        # marts enforce contracts, so the yml lists every column the table has
        assert set(data["marts"][mart]["columns"]) == set(columns), mart
        assert data["marts"][mart]["parse_error"] is None, mart
        for column, rec in data["marts"][mart]["columns"].items():
            assert rec["lineage"] == "column", (mart, column)
            # every column says where it comes from: fields, whole tables or literals
            assert rec["sources"] or rec["whole_tables"] or rec["constants"], (mart, column)


def test_adb_aum_traces_to_the_balance_of_deposit_and_wealth_accounts(report):
    _md, data, _tmp = report
    got = fields(data, "mart_vip_tier", "adb_aum")
    assert {("SAV_ACCT_YYYYMMDD.dat", "balance"), ("WMS_ACCT_YYYYMMDD.dat", "balance")} <= got
    assert ("seeds/products.csv", "is_aum") in got
    assert ("PUB_FXRATE_YYYYMMDD.csv", "rate_to_cny") in got
    # balances come from account snapshots, never from transaction files or customer files
    assert not [f for f, _ in got if "_TXN_" in f or "_CUST_" in f]
    rec = data["marts"]["mart_vip_tier"]["columns"]["adb_aum"]
    assert "dbt/models/staging/sav/stg_sav__accts.sql" in rec["models"]
    assert any(m.endswith("int_party_months.sql") for m in rec["models"])


def test_id_no_masked_traces_to_the_id_numbers_of_the_customer_files(report):
    _md, data, _tmp = report
    got = fields(data, "mart_customer_360", "id_no_masked")
    expected_files = {f"{s}_CUST_YYYYMMDD.dat" for s in LEGACY_SYSTEMS}
    assert {f for f, field in got if field == "id_no"} == expected_files
    assert {field for _, field in got} <= {"id_no", "id_type"}


def test_seed_driven_and_whole_table_columns(report):
    _md, data, _tmp = report
    assert fields(data, "mart_vip_tier", "tier") == {("seeds/vip_tiers.csv", "tier")}
    accounts = data["marts"]["mart_balance_band_stats"]["columns"]["accounts"]  # count(*)
    assert accounts["sources"] == []
    assert {"SAV_ACCT_YYYYMMDD.dat", "seeds/balance_bands.csv"} <= set(accounts["whole_tables"])
    # a tag is a literal a filter puts on some parties: whole tables and its literals, no field
    tags = data["marts"]["mart_customer_360"]["columns"]["tags"]
    assert "'payroll'" in tags["constants"] and tags["whole_tables"]


def test_header_and_batches_in_markdown_and_html(report):
    md, _data, tmp = report
    text = md.read_text()
    assert md.name == "lineage.md"
    assert f"| Dagster run id | {RUN_ID} |" in text
    assert f"| code version | {CODE_VERSION} |" in text
    assert "| dbt version | 1.11" in text
    assert "| SAV | 2026-10-01 | 2026-10-03 | 3 | 2026-10-02 (v2) |" in text
    assert "| CRM | 2026-10-01 | 2026-10-03 | 3 | none |" in text
    assert "| SAV | 2026-10-02 | 2 | md5-SAV-1-2 |" in text  # few batches: listed one by one
    section = text.split("## mart_vip_tier")[1]
    adb_aum_row = section.split("| `adb_aum` |")[1].split("\n")[0]
    sav = next(cell for cell in adb_aum_row.split("<br>") if "SAV_ACCT_YYYYMMDD.dat : " in cell)
    assert "balance" in sav.split(" : ")[1].split(", ")
    page = (tmp / "docs" / "lineage.html").read_text()
    assert RUN_ID in page and CODE_VERSION in page
    assert "<a href='#mart_customer_360'>" in page and "<section id='mart_customer_360'>" in page
    assert "http" not in page and "<script" not in page and "<link" not in page  # self-contained


def test_second_report_uses_the_cache_and_summarises_many_dates(report, parsed):
    _md, _data, tmp = report
    many = [batch(s, d, 2 if (s, d) == ("PLN", 30) else 1) for s in ("PLN", "PUB") for d in range(60)]
    published = make_published(tmp / "crm_many.duckdb", many)
    md = lineage_report(parsed, published, tmp / "docs2", cache_dir=tmp / "cache")
    text = md.read_text()
    assert "| compiled SQL | cached compile" in text
    assert "| PLN | 2026-10-01 | 2026-11-29 | 60 | 2026-10-31 (v2) |" in text
    assert "md5-PLN-0-1" not in text  # many dates: the per-system summary only


def test_a_model_that_cannot_be_parsed_falls_back_to_table_level(report, parsed):
    _md, _data, tmp = report
    manifest = json.loads(parsed.read_text())
    compiled = json.loads(next((tmp / "cache").glob("compiled-*.json")).read_text())
    uid = "model.crmwh.int_party_months"
    compiled[uid] = "select this is not sql ((("
    models = lineage.analyse_project(manifest, compiled, DBT_DIR)
    assert models[uid].error
    marts = lineage.build_lineage(manifest, models, DBT_DIR)
    rec = marts["mart_vip_tier"]["columns"]["adb_aum"]
    assert rec["lineage"] == "table" and rec["table_level_models"] == ["int_party_months"]
    assert "SAV_ACCT_YYYYMMDD.dat" in rec["whole_tables"]
    # columns not through the broken model keep their column lineage; none is dropped
    assert marts["mart_vip_tier"]["columns"]["tier"]["lineage"] == "column"
    assert set(marts["mart_vip_tier"]["columns"]) == set(
        manifest["nodes"]["model.crmwh.mart_vip_tier"]["columns"]
    )
