"""The build job: everything after ingest, over a range of business dates in one run.

dbt's four groups (inputs, daily, tables, monthly + marts; dbt tests as asset checks),
the marts' Great Expectations suites (blocking), then publish, exports and lineage.
"""

import dagster as dg

from dagster_project.defs.dbt import dbt_models
from dagster_project.defs.publish import mart_suites, publish_assets

build_job = dg.define_asset_job(
    "build_job",
    selection=dg.AssetSelection.assets(*dbt_models, *publish_assets)
    | dg.AssetSelection.checks(mart_suites),
    description="Build, check and publish the warehouse over the run's business dates "
    "(tags dagster/asset_partition_range_start/end; none: every date).",
)
