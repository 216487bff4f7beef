"""The build job: everything after ingest, over a range of business dates in one run; and
the restate job: a closed month and every later one recomputed, checked and published.

dbt's four groups (inputs, daily, tables, monthly + marts; dbt tests as asset checks),
the marts' Great Expectations suites (blocking), then publish, exports and lineage.
"""

import dagster as dg

from dagster_project.defs.dbt import dbt_daily, dbt_models
from dagster_project.defs.publish import mart_suites, publish_assets

build_job = dg.define_asset_job(
    "build_job",
    selection=dg.AssetSelection.assets(*dbt_models, *publish_assets)
    | dg.AssetSelection.checks(mart_suites),
    description="Build, check and publish the warehouse over the run's business dates "
    "(tags dagster/asset_partition_range_start/end; none: every date).",
)

# The daily models already hold the late or restated batches (the run that loaded them
# built them): a restatement recomputes the months from them, with today's parameters.
restate_job = dg.define_asset_job(
    "restate_job",
    selection=(
        dg.AssetSelection.assets(*[m for m in dbt_models if m is not dbt_daily], *publish_assets)
        | dg.AssetSelection.checks(mart_suites)
    ),
    description="Restate a closed month (spec section 8): set ops.dbt_monthly.config."
    "restate_period (YYYYMM) and reason; that month and every later one are recomputed, "
    "checked and published, the replaced rows kept in schema `history`, the restatement "
    "recorded in meta.restatements. The same as `crmwh restate --period YYYYMM`.",
)
