"""The project's Dagster definitions: `dagster dev -m dagster_project.definitions`."""

from __future__ import annotations

import dagster as dg
from dagster_dbt import DbtCliResource

from dagster_project.defs.dbt import (
    DBT_EXECUTABLE,
    dbt_job,
    dbt_models,
    dbt_project,
    table_specs,
)
from dagster_project.defs.ingest import ingest_batches, ingest_job, landing_specs
from dagster_project.defs.resources import WarehousePaths
from dagster_project.defs.sensors import landing_ok_sensor

defs = dg.Definitions(
    assets=[*landing_specs, ingest_batches, *table_specs, *dbt_models],
    jobs=[ingest_job, dbt_job],
    sensors=[landing_ok_sensor],
    resources={"paths": WarehousePaths(), "dbt": DbtCliResource(
        project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)},
    executor=dg.in_process_executor,
)
