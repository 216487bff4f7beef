"""The Dagster definitions load, and name what the project promises: the ingest and build
jobs, the daily schedule and the sensors, an asset per landing system and raw-zone table,
one per dbt model under its layer, every mart under `marts/`, the dbt tests as asset
checks. Nothing is run."""

from __future__ import annotations

import json
from collections import Counter

import dagster as dg
import pytest

from contract.extracts import ENTITIES, SYSTEMS


@pytest.fixture(scope="module")
def loaded():
    from dagster_project.definitions import defs
    from dagster_project.defs.dbt import MANIFEST, MART_KEYS

    graph = defs.resolve_asset_graph()
    return defs, graph, json.loads(MANIFEST.read_text()), MART_KEYS


def test_jobs_schedule_and_sensors_exist(loaded):
    defs, *_ = loaded
    repo = defs.get_repository_def()
    assert {"ingest_job", "build_job"} <= {j.name for j in repo.get_all_jobs()}
    assert {s.name for s in repo.schedule_defs} == {"daily_ingest"}
    assert {s.name for s in repo.sensor_defs} == {"landing_ok_sensor", "build_after_ingest"}
    assert repo.get_schedule_def("daily_ingest").job_name == "ingest_job"
    assert repo.get_sensor_def("landing_ok_sensor").job_name == "ingest_job"


def test_every_system_and_raw_table_has_an_asset(loaded):
    _, graph, *_ = loaded
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    for sys in SYSTEMS:
        assert {f"landing/{sys.lower()}", f"raw/{sys.lower()}"} <= keys, sys
    for sys, name in ENTITIES:
        assert f"raw/{sys.lower()}/{name.lower()}" in keys
        assert graph.get(dg.AssetKey(["raw", sys.lower(), name.lower()])).group_name == "raw_zone"
    assert {
        "warehouse/audit_batch",
        "warehouse/audit_file",
        "warehouse/quarantine_rows",
        "warehouse/duplicate_keys",
    } <= keys
    assert {
        "published/warehouse",
        "published/exports",
        "published/lineage",
        "published/readers",
    } <= keys
    # the raw zone's quality suites: one blocking check per extract table, on its system
    suites = {
        (c.asset_key.path[-1], c.name) for c in graph.asset_check_keys if c.asset_key.path[0] == "raw"
    }
    assert {(s.lower(), f"{n.lower()}_suite") for s, n in ENTITIES} <= suites


def test_every_dbt_model_and_seed_is_an_asset_of_its_layer(loaded):
    _, graph, manifest, mart_keys = loaded
    nodes = [n for n in manifest["nodes"].values() if n["resource_type"] in ("model", "seed")]
    by_name = {k.path[-1]: k for k in graph.get_all_asset_keys()}
    for n in nodes:
        key = by_name[n["name"]]
        if n["resource_type"] == "model":  # the layer is the schema, not the folder
            assert key.path == [n["config"]["schema"], n["name"]]
            assert graph.get(key).group_name == n["config"]["schema"]
        else:
            assert graph.get(key).group_name == "seeds"
    marts = sorted(
        n["name"] for n in nodes if n["resource_type"] == "model" and n["config"]["schema"] == "marts"
    )
    assert len(marts) >= 10
    assert sorted(k.path[-1] for k in mart_keys) == marts
    assert all(k.path == ["marts", k.path[-1]] and k in by_name.values() for k in mart_keys)
    groups = Counter(graph.get(k).group_name for k in graph.get_all_asset_keys())
    assert {
        "landing",
        "raw_zone",
        "seeds",
        "staging",
        "intermediate",
        "core",
        "marts",
        "publish",
    } <= set(groups)


def test_dbt_tests_are_asset_checks(loaded):
    _, graph, manifest, mart_keys = loaded
    by_name = {k.path[-1]: k for k in graph.get_all_asset_keys()}
    checks = set(graph.asset_check_keys)
    tests = [n for n in manifest["nodes"].values() if n["resource_type"] == "test"]
    assert len(tests) > 500
    attached = [t for t in tests if t.get("attached_node")]
    assert len(attached) > 0.9 * len(tests)
    unmapped = [
        t["name"]
        for t in attached
        if dg.AssetCheckKey(by_name[manifest["nodes"][t["attached_node"]]["name"]], t["name"])
        not in checks
    ]
    # known gap (dagster-dbt today): a relationship whose two models sit in two dbt asset
    # groups is no asset check; dbt runs it (in the later group's call, or in the
    # cross_group call: test_every_dbt_test_runs_in_one_of_the_four_dbt_calls)
    assert all(n.startswith("relationships_") for n in unmapped), unmapped
    assert len(unmapped) <= 7, unmapped
    # unit tests are not checks: they run in the test suite (test_dbt_unit.py)
    names = {c.name for c in checks}
    assert not names & {u["name"] for u in manifest["unit_tests"].values()}
    # every mart has its blocking GX suite besides its dbt tests
    assert {k for k in mart_keys} <= {c.asset_key for c in checks}


def test_every_dbt_test_runs_in_one_of_the_four_dbt_calls(loaded):
    """dbt runs a test in a call only when its parents are selected there or built before
    (indirect selection `buildable`): a test whose parents sit in two groups with neither
    later than the other's ancestors would run in no call at all, silently."""
    import subprocess
    import sys
    from pathlib import Path

    from dagster_project.defs.dbt import CROSS_GROUP, DAILY, DBT_DIR, MONTHLY

    groups = {
        "dbt_inputs": ["--select", f"+{DAILY}", "--exclude", DAILY],
        "dbt_daily": ["--select", DAILY],
        "dbt_tables": ["--exclude", f"+{DAILY} {MONTHLY}"],
        "dbt_monthly": ["--select", f"{MONTHLY} {CROSS_GROUP}"],
    }
    dbt = str(Path(sys.executable).parent / "dbt")
    where = ["--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR)]
    selected = Counter()
    for args in groups.values():
        out = subprocess.run(
            [
                dbt,
                "--quiet",
                "ls",
                *args,
                *where,
                "--resource-type",
                "test",
                "--indirect-selection",
                "buildable",
                "--output",
                "name",
            ],
            capture_output=True,
            text=True,
            check=True,
            cwd=DBT_DIR,
        ).stdout.split()
        selected.update(out)
    _, _, manifest, _ = loaded
    nodes = [n for n in manifest["nodes"].values() if n["resource_type"] == "test"]
    tests = {n["name"] for n in nodes}
    missing = sorted(tests - set(selected))
    assert not missing, "tag these cross_group (defs/dbt.py):\n" + "\n".join(missing)
    assert sorted(t for t, n in selected.items() if n > 1) == []
    assert len([n for n in nodes if "cross_group" in n["tags"]]) >= 8
