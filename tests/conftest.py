"""Session fixtures: small generated landing folders, and the warehouses built from them.

Every warehouse a test reads comes from `warehouses` (a cached factory): one scenario (a
landing folder and a build scope) is ingested and built once per test session, through the
project's Dagster definitions, and shared by every module that needs it. A test that changes
a warehouse (restates a batch, rebuilds a window) works on a copy (`Built.copy`), never on the
cached build. Helpers the test modules share are in `helpers.py`, not here."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest
from helpers import START, check_errors, copy_tree, landing_dates, md5

from crmwh.synth.generate import generate

# One fixed identity key for the session (party ids and account hashes are HMACs under it):
# builds are reproducible and no development key is written to the home folder. Set before
# any build, so dbt's processes inherit it.
TEST_IDENTITY_KEY = "crmwh-test-identity-key-0123456789abcdef"
os.environ.setdefault("CRMWH_IDENTITY_KEY", TEST_IDENTITY_KEY)

# `make test` runs two pytest-xdist workers, scheduled by `pytest_xdist_make_scheduler`
# below: a module's tests stay on one worker (module fixtures are built once); modules that
# share a session build are one group, so no build is made on both workers.
SHARED_BUILDS = {
    "test_core_accounts": "core_builds",  # clean/core, dirty/core
    "test_crm_dims": "core_builds",  # dirty/core, merge/core
    "test_dbt_staging": "core_builds",  # clean/core
    "test_ecif": "core_builds",  # dirty/core, heavy/core
    "test_ingest_pipeline": "core_builds",  # clean/core, dirty/core
    "test_marts": "months_build",  # months/full
    "test_dbt_unit": "months_build",
    "test_browser": "demo_build",  # demo_data
    "test_access": "demo_build",
    "test_identity": "demo_build",
    "test_bi_clients": "demo_build",  # demo_data: published and per-role files, dbt docs
    "test_notebooks": "demo_build",
    "test_docs_queries": "demo_build",
    "test_month_close": "demo_build",
    "test_realism": "demo_build",
}


def pytest_xdist_make_scheduler(config, log):
    """Whole groups to one worker: every test of a module, and the modules of one shared
    build. A scheduler of our own: `--dist loadgroup` groups by a suffix xdist 3.8 writes to
    `item._nodeid`, which pytest 9 no longer reads (the groups were silently ignored, and a
    module split across the workers built its fixtures on both)."""
    from xdist.scheduler import LoadScopeScheduling

    class BuildGroups(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0].rsplit("/", 1)[-1].removesuffix(".py")
            return SHARED_BUILDS.get(module, module)

    return BuildGroups(config, log)


@pytest.fixture(scope="session")
def clean_landing(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("clean")
    generate(out, customers=600, days=6, start=START, seed=7, dirt="none")
    return out


@pytest.fixture(scope="session")
def dirty_landing(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("default")
    generate(out, customers=3000, days=12, start=START, seed=11, dirt="default")
    return out


@pytest.fixture(scope="session")
def heavy_landing(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("heavy")
    generate(out, customers=1500, days=10, start=START, seed=5, dirt="heavy")
    return out


@pytest.fixture(scope="session")
def months_landing(tmp_path_factory) -> Path:
    """Three months (June, July finished; August to the 9th): what monthly marts need."""
    out = tmp_path_factory.mktemp("months")
    generate(out, customers=800, days=70, start=dt.date(2026, 6, 1), seed=3, dirt="default")
    return out


@pytest.fixture(scope="session")
def merge_landing(tmp_path_factory) -> Path:
    """A small bank whose history runs past the outlet merge (day 20 of the generator)."""
    out = tmp_path_factory.mktemp("merge_landing")
    generate(out, customers=400, days=23, start=START, seed=3, dirt="none")
    return out


@pytest.fixture(scope="session")
def partial_landing(tmp_path_factory) -> Path:
    """A bank that starts mid-month: 2026-08-11 to 09-04, so August is its one finished
    month, without targets (CRM TARGET comes on the 1st: the first on 09-01), and the
    dates up to 08-30 have no TARGET file at all; a few contacts carry codes CRM added
    without notice (outcome `callback`, method `email`)."""
    out = tmp_path_factory.mktemp("partial")
    generate(out, customers=300, days=25, start=dt.date(2026, 8, 11), seed=9, dirt="default")
    recode_contacts(out, "method", "email", count=1)
    recode_contacts(out, "outcome", "callback", count=3)
    return out


def recode_contacts(landing: Path, column: str, code: str, count: int) -> None:
    """The first `count` contacts of the landing folder (in date order) get `code` in
    `column` (a CSV without quoted fields); each changed file's md5 in its `.OK` follows."""
    for path in sorted(landing.glob("CRM_CONTACT_*.csv")):
        header, *rows = path.read_text(encoding="utf-8").splitlines()
        at = header.split(",").index(column)
        for i, row in enumerate(rows[:count]):
            fields = row.split(",")
            fields[at] = code
            rows[i] = ",".join(fields)
        count -= min(count, len(rows))
        content = "".join(f"{line}\n" for line in [header, *rows]).encode("utf-8")
        if content != path.read_bytes():
            ok = landing / f"CRM_{path.stem.rsplit('_', 1)[1]}.OK"
            old, new = md5(path), hashlib.md5(content).hexdigest()
            path.write_bytes(content)
            ok.write_text(ok.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
        if count == 0:
            return


# --- built warehouses ---------------------------------------------------------------------

# what a build runs: "core" the daily and core layers (staging, intermediate, core: dbt
# without the monthly group), "full" every dbt model up to the marts (no publish)
SCOPES = ("core", "full")


@dataclass(frozen=True)
class Built:
    """One ingest and one dbt run over every date of a landing folder, on empty data."""

    landing: Path
    data: Path
    ingested: dg.ExecuteInProcessResult
    built: dg.ExecuteInProcessResult

    @property
    def warehouse(self) -> Path:
        return self.data / "warehouse" / "work.duckdb"

    def copy(self, dest: Path, landing: bool = False) -> tuple[Path, Path]:
        """(landing, data): a copy of the data folder, and of the landing folder when the
        test changes it too (else the shared one)."""
        dest.mkdir(parents=True, exist_ok=True)
        copied = copy_tree(self.landing, dest / "landing") if landing else self.landing
        return copied, copy_tree(self.data, dest / "data")


class Warehouses:
    """Built warehouses by (landing fixture, scope), each built on its first request."""

    def __init__(self, request: pytest.FixtureRequest, tmp_path_factory):
        self._request, self._tmp = request, tmp_path_factory
        self._built: dict[tuple[str, str], Built] = {}

    def __call__(self, landing: str, scope: str = "core") -> Built:
        assert scope in SCOPES, scope
        key = (landing, scope)
        if key not in self._built:
            self._built[key] = self._build(landing, scope)
        return self._built[key]

    def _build(self, landing_fixture: str, scope: str) -> Built:
        from dagster_project.run import run_dbt, run_ingest

        landing = self._request.getfixturevalue(landing_fixture)
        data = self._tmp.mktemp(f"{landing_fixture.removesuffix('_landing')}_{scope}_wh")
        instance = dg.DagsterInstance.ephemeral()
        ingested = run_ingest(landing, data, instance)
        assert ingested is not None and ingested.success
        dates = landing_dates(landing)
        built = run_dbt(data, instance, dates=[dates[0], dates[-1]], marts=scope == "full")
        assert built is not None and built.success, check_errors(built)
        return Built(landing, data, ingested, built)


@pytest.fixture(scope="session")
def warehouses(request, tmp_path_factory) -> Warehouses:
    """`warehouses("dirty_landing", "core")`: the cached build of a scenario. Scenarios in
    use: clean/core (accounts, staging, ingest re-runs), dirty/core (ECIF, CRM dimensions,
    ingest checks), heavy/core (ECIF), merge/core (CRM dimensions), months/full (marts, dbt
    unit tests); the demo (`demo_data`) is a whole pipeline run, published and exported."""
    return Warehouses(request, tmp_path_factory)


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory) -> Path:
    """What `make demo` leaves in data/, at a test's scale: three finished months and
    September to the 8th, run through the project's Dagster definitions, published,
    exported, with dbt docs and GX Data Docs. The notebooks and the browser check read it."""
    from crmwh.cli import main
    from dagster_project.run import run_pipeline

    root = tmp_path_factory.mktemp("demo")
    landing, data = root / "landing", root / "data"
    generate(landing, customers=600, days=100, start=dt.date(2026, 6, 1), seed=42, dirt="default")
    result = run_pipeline(landing, data, dg.DagsterInstance.ephemeral())
    assert result.built is not None and result.built.success
    assert main(["docs", "--data", str(data)]) == 0
    return data
