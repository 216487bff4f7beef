"""The project's Dagster definitions (`make ui`, or `dagster dev -m dagster_project.definitions`).

Read in this order (dagster_project/defs/):
- `ingest.py`     landing files -> raw zone (Parquet) + audit tables; GX suites as checks
- `dbt.py`        the dbt project as assets, in four groups (inputs, daily, tables, monthly)
- `publish.py`    the marts' GX suites (blocking), published DuckDB file, exports, lineage
- `build.py`      the build job: dbt + checks + publish, over a range of dates in one run;
                  the restate job: a closed month recomputed on purpose
- `schedules.py`  the daily schedule and the run that follows a successful ingest
- `sensors.py`    the `.OK` sensor for early, late and restated batches
- `pending.py`    which dates have something new, which are not published yet
- `resources.py`, `partitions.py`, `quality.py`: paths and the writer lock, business
  dates, how raw-zone suites become checks
"""

import dagster as dg
from dagster_dbt import DbtCliResource

from dagster_project.defs.build import build_job, restate_job
from dagster_project.defs.dbt import DBT_EXECUTABLE, dbt_models, dbt_project, table_specs
from dagster_project.defs.ingest import ingest_batches, ingest_job, landing_specs
from dagster_project.defs.publish import mart_suites, publish_assets
from dagster_project.defs.resources import WarehousePaths
from dagster_project.defs.schedules import build_after_ingest, daily_ingest
from dagster_project.defs.sensors import landing_ok_sensor

defs = dg.Definitions(
    assets=[*landing_specs, ingest_batches, *table_specs, *dbt_models, *publish_assets],
    asset_checks=[mart_suites],
    jobs=[ingest_job, build_job, restate_job],
    schedules=[daily_ingest],
    sensors=[landing_ok_sensor, build_after_ingest],
    resources={
        "paths": WarehousePaths(),
        "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE),
    },
    executor=dg.in_process_executor,  # one process writes the warehouse file
)
