"""The dbt project over the raw zone, run through the Dagster definitions."""

from __future__ import annotations

import dagster as dg
import duckdb
from helpers import restate

from contract.extracts import ENTITIES
from dagster_project.run import run_dbt, run_ingest


def test_staging_serves_the_current_version_of_every_batch(warehouses, tmp_path):
    """A copy of the clean build; a past batch re-delivered as version 2, ingested, and the
    core layers rebuilt over the dates from the restated one: staging serves version 2."""
    landing, data = warehouses("clean_landing", "core").copy(tmp_path, landing=True)
    instance = dg.DagsterInstance.ephemeral()
    restate(landing, "SAV", "20260703")  # version 2 drops one transaction
    assert run_ingest(landing, data, instance).success
    latest = sorted(p.stem.rsplit("_", 1)[1] for p in landing.glob("SAV_*.OK"))[-1]
    built = run_dbt(data, instance, dates=["20260703", latest], marts=False)
    assert built.success
    staged = [e for e in built.get_asset_materialization_events() if e.asset_key.path[0] == "staging"]
    assert len(staged) == len(ENTITIES)
    failed = [
        e.check_name
        for e in built.get_asset_check_evaluations()
        if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR
    ]
    assert not failed, failed  # warnings (e.g. an FTP point without spread) are allowed
    with duckdb.connect(str(data / "warehouse" / "work.duckdb"), read_only=True) as con:
        for sys, name in ENTITIES:
            model = f"staging.stg_{sys.lower()}__{name.lower()}s"
            got = con.execute(f"select count(*) from {model}").fetchone()[0]
            loaded = con.execute(
                "select coalesce(sum(f.rows_loaded), 0) from audit_file f join audit_batch b "
                "using (sys, ok_md5) where b.is_current and f.sys = ? and f.entity = ?",
                [sys, name],
            ).fetchone()[0]
            assert got == loaded, model
        versions = con.execute(
            "select distinct source_version from staging.stg_sav__txns where biz_date = '2026-07-03'"
        ).fetchall()
        # the views read this copy's raw zone, not the shared build's
        (sql,) = con.execute(
            "select sql from duckdb_views() where view_name = 'stg_sav__txns'"
        ).fetchone()
    assert versions == [(2,)]
    assert str(data / "raw") in sql
