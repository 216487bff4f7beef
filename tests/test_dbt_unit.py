"""The dbt unit tests (SQL of models on fixed inputs), all of them, once per test session:
builds leave them out (`--exclude-resource-type unit_test`, DECISIONS.md). They need the
relations their models read to exist (for their columns), not data: a copy of a full build
(its staging views still read the cached build's raw zone, which is there all session)."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from dagster_project.defs.dbt import DBT_DIR, DBT_EXECUTABLE, MANIFEST


@pytest.fixture(scope="module")
def full_build(warehouses):
    """The months scenario built up to the marts (shared with test_marts)."""
    return warehouses("months_landing", "full")


def test_every_dbt_unit_test_passes(full_build, tmp_path):
    _, data = full_build.copy(tmp_path)
    target = tmp_path / "target"
    (data / "warehouse" / "tmp").mkdir(parents=True, exist_ok=True)
    out = subprocess.run(
        [
            DBT_EXECUTABLE,
            "test",
            "--select",
            "test_type:unit",
            "--project-dir",
            str(DBT_DIR),
            "--profiles-dir",
            str(DBT_DIR),
            "--target-path",
            str(target),
            "--log-path",
            str(tmp_path / "logs"),
        ],
        cwd=DBT_DIR,
        env={**os.environ, "CRMWH_DATA": str(data)},
        capture_output=True,
        text=True,
    )
    expected = set(json.loads(MANIFEST.read_text())["unit_tests"])
    assert len(expected) >= 54
    results = json.loads((target / "run_results.json").read_text())["results"]
    status = {r["unique_id"]: r["status"] for r in results}
    failed = {u: s for u, s in status.items() if s != "pass"}
    assert failed == {}, out.stdout[-5000:]
    assert set(status) == expected  # every unit test ran, and nothing else
    assert out.returncode == 0, out.stdout[-5000:]
