"""The dbt project as Dagster assets (dagster-dbt): one asset per model, dbt tests as
asset checks, raw-zone sources mapped onto the ingest assets that write them."""

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from dagster_project.defs.ingest import AUDIT_KEY, WAREHOUSE_POOL, raw_key
from dagster_project.defs.resources import WarehousePaths
from ingest.audit import TABLES
from ingest.contract import ENTITIES

DBT_DIR = Path(__file__).resolve().parents[2] / "dbt"
dbt_project = DbtProject(project_dir=DBT_DIR, profiles_dir=DBT_DIR)


DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")  # this environment's, PATH or not


def ensure_manifest() -> Path:
    """`dbt parse` when the manifest is missing (a fresh clone): definitions need it."""
    if not dbt_project.manifest_path.exists():
        subprocess.run([DBT_EXECUTABLE, "parse", "--quiet", "--project-dir", str(DBT_DIR),
                        "--profiles-dir", str(DBT_DIR)], check=True, cwd=DBT_DIR)  # fmt: skip
    return dbt_project.manifest_path


# The tables dbt reads, as views of what ingest materialises: the raw zone's tables of a
# system's batches, and the audit tables (virtual: nothing to materialise on their own).
table_specs = [
    dg.AssetSpec(["raw", e.system.lower(), e.name.lower()], deps=[raw_key(e.system)],
                 group_name="raw_zone", kinds={"parquet"}, is_virtual=True,
                 description=f"Raw-zone table of `{e.file_name('YYYYMMDD')}`")
    for e in ENTITIES.values()
] + [
    dg.AssetSpec(["warehouse", t], deps=[AUDIT_KEY], group_name="raw_zone", kinds={"duckdb"},
                 is_virtual=True, description=f"Audit table `{t}`")
    for t in TABLES
]  # fmt: skip


class Translator(DagsterDbtTranslator):
    def get_asset_key(self, props) -> dg.AssetKey:
        if props["resource_type"] == "source":
            if props["source_name"] == "raw":  # sav_txn -> raw/sav/txn, a table of raw/sav
                return dg.AssetKey(["raw", *props["name"].split("_", 1)])
            if props["source_name"] == "audit":
                return dg.AssetKey(["warehouse", props["name"]])
        if props["resource_type"] == "model":
            return dg.AssetKey([props["fqn"][1], props["name"]])  # staging/stg_sav__txns
        return super().get_asset_key(props)

    def get_group_name(self, props) -> str | None:
        return props["fqn"][1] if props["resource_type"] == "model" else None


@dbt_assets(manifest=ensure_manifest(), project=dbt_project, dagster_dbt_translator=Translator(),
            pool=WAREHOUSE_POOL)  # fmt: skip
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, paths: WarehousePaths):
    # dbt reads the raw zone and writes the warehouse named by CRMWH_DATA (absolute:
    # dbt runs in the project folder)
    os.environ["CRMWH_DATA"] = str(paths.data)
    (paths.warehouse.parent / "tmp").mkdir(parents=True, exist_ok=True)
    yield from dbt.cli(["build"], context=context).stream()


dbt_job = dg.define_asset_job(
    "dbt_job", selection=dg.AssetSelection.assets(dbt_models),
    description="Build and test the dbt models (staging views today).",
)  # fmt: skip
