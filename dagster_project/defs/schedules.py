"""When runs happen: a daily schedule and two sensors, all asking `pending` what is left.

- `daily_ingest` (07:00 Asia/Shanghai, after the core systems' overnight extracts): one
  ingest run over every date with a new delivery, up to the newest complete business date.
- `landing_ok_sensor` (sensors.py): the same for a `.OK` that arrives early or late, or a
  restatement, between two scheduled runs.
- `build_after_ingest`: when an ingest run succeeds, one build run (dbt, checks, publish,
  exports, lineage) over the dates loaded since the last publish. An ingest run that
  rejected a batch (a failed quality suite) fails, so nothing is published from it; the
  next successful ingest rebuilds from the earliest unpublished date.

A range of dates is one run (single-run backfill policy), never one run per day. Runs
queue: one at a time on the warehouse (dagster.yaml `max_concurrent_runs: 1`, the
`warehouse` pool, and the writer lock for runs started outside the daemon).
"""

import dagster as dg

from dagster_project.defs.build import build_job
from dagster_project.defs.ingest import ingest_job
from dagster_project.defs.partitions import range_tags
from dagster_project.defs.pending import incomplete_publish, new_dates, unpublished_window
from dagster_project.defs.publish import EXPORTS_KEY, LINEAGE_KEY, READERS_KEY
from dagster_project.defs.resources import WarehousePaths


@dg.schedule(
    job=ingest_job,
    cron_schedule="0 7 * * *",
    execution_timezone="Asia/Shanghai",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
def daily_ingest(context: dg.ScheduleEvaluationContext, paths: WarehousePaths):
    dates = new_dates(paths.landing, paths.warehouse)
    if not dates:
        return dg.SkipReason(f"no new delivery in {paths.landing}")
    return dg.RunRequest(
        run_key=f"daily-{context.scheduled_execution_time:%Y%m%d}-{dates[-1]}",
        tags=range_tags(dates[0], dates[-1]),
    )


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[ingest_job],
    request_job=build_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.STOPPED,
)
def build_after_ingest(context: dg.RunStatusSensorContext):
    paths = WarehousePaths()
    window = unpublished_window(paths.warehouse, paths.published)
    if window is None:
        # a build killed after the swap of crm.duckdb: its exports, lineage and readers' folders
        missing = incomplete_publish(paths.published, paths.exports, paths.docs, paths.readers)
        if missing:
            keys = {"exports": EXPORTS_KEY, "lineage": LINEAGE_KEY, "readers": READERS_KEY}
            return dg.RunRequest(
                run_key=f"complete-after-{context.dagster_run.run_id}",
                asset_selection=[keys[m] for m in missing],
            )
        return dg.SkipReason("nothing loaded since the last publish")
    return dg.RunRequest(run_key=f"build-after-{context.dagster_run.run_id}", tags=range_tags(*window))
