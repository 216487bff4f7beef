"""The project's Dagster definitions: `dagster dev -m dagster_project.definitions`."""

from __future__ import annotations

import dagster as dg

from dagster_project.defs.ingest import ingest_batches, ingest_job, landing_specs
from dagster_project.defs.resources import WarehousePaths
from dagster_project.defs.sensors import landing_ok_sensor

defs = dg.Definitions(
    assets=[*landing_specs, ingest_batches],
    jobs=[ingest_job],
    sensors=[landing_ok_sensor],
    resources={"paths": WarehousePaths()},
    executor=dg.in_process_executor,
)
