"""A sensor on the landing folder: a new or changed `.OK` (a late batch, a restatement)
requests one ingest run over the business dates it touches."""

import hashlib
import json

import dagster as dg

from dagster_project.defs.ingest import ingest_job
from dagster_project.defs.partitions import biz_dates, range_tags
from dagster_project.defs.resources import WarehousePaths
from ingest.landing import scan


def changed_dates(paths: WarehousePaths, cursor: dict[str, list]) -> tuple[list[str], dict]:
    """Dates whose `.OK` is new or changed since the cursor (name -> [mtime_ns, size])."""
    seen, dates = {}, set()
    for (_sys, d), arrival in scan(paths.landing).items():
        if arrival.ok_path is None:
            continue
        st = arrival.ok_path.stat()
        seen[arrival.ok_path.name] = [st.st_mtime_ns, st.st_size]
        if cursor.get(arrival.ok_path.name) != seen[arrival.ok_path.name]:
            dates.add(d)
    return sorted(dates), seen


@dg.sensor(job=ingest_job, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.STOPPED)
def landing_ok_sensor(context: dg.SensorEvaluationContext, paths: WarehousePaths):
    cursor = json.loads(context.cursor) if context.cursor else {}
    dates, seen = changed_dates(paths, cursor)
    valid = set(biz_dates.get_partition_keys(dynamic_partitions_store=context.instance))
    outside = [d for d in dates if d not in valid]
    if outside:
        context.log.warning(
            f"business dates outside the partitions (set CRMWH_FIRST_DATE / "
            f"CRMWH_LAST_DATE): {outside[:5]}"
        )
    dates = [d for d in dates if d in valid]
    context.update_cursor(json.dumps(seen))
    if not dates:
        return dg.SkipReason("no new or changed .OK files")
    # one run over the whole span: dates in between that did not change are no-ops
    state = hashlib.md5(json.dumps(seen, sort_keys=True).encode()).hexdigest()[:12]
    return dg.RunRequest(
        run_key=f"ok-{dates[0]}-{dates[-1]}-{state}", tags=range_tags(dates[0], dates[-1])
    )
