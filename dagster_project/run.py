"""Run the project's Dagster jobs in this process (what `crmwh run` does).

`run_pipeline`: under the writer lock, first recovery (what a dead run left: its pool
slots, children and temporary files, dagster_project/recovery.py), then one ingest run over
the dates with a new delivery, then, if it succeeded, one build run over the dates not yet
published (dbt, the marts' checks, publish, exports, lineage), and last the exports and
lineage of a publish a killed run left incomplete. The schedule and sensors do the same
through the daemon (defs/schedules.py).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import duckdb

from dagster_project.defs.partitions import range_tags
from dagster_project.defs.pending import incomplete_publish, new_dates, unpublished_window
from dagster_project.defs.resources import WarehousePaths, note_run, writer_lock
from dagster_project.recovery import owner_tags, recover, remove_temp_files, run_record

# embedded SQLite storage; runs queue one at a time (the daemon), steps that write the
# warehouse share the pool "warehouse" (limit 1)
DAGSTER_YAML = """\
telemetry:
  enabled: false
concurrency:
  runs:
    max_concurrent_runs: 1
  pools:
    default_limit: 1
"""
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def quieter_events() -> None:
    """One "materialization planned" event per asset for a range run, not one per asset and
    date (~20 ms each on SQLite: 1,875 events, ~37 s, in the demo's first runs). The cost:
    Dagster does not mark each date of a failed run as failed; the run and the audit do."""
    os.environ.setdefault("DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS", "true")


def instance() -> dg.DagsterInstance:
    """Dagster's embedded storage under `$DAGSTER_HOME` (default `./.dagster_home`)."""
    quieter_events()
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(Path(".dagster_home").resolve())))
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists() or "max_concurrent_runs" not in config.read_text():
        config.write_text(DAGSTER_YAML)
    return dg.DagsterInstance.get()


def _paths(data: Path, landing: Path | None = None) -> WarehousePaths:
    """Point the definitions (and dbt) at these folders: resources read them at run time."""
    quieter_events()
    if landing is not None:
        os.environ["CRMWH_LANDING"] = str(Path(landing).resolve())
    os.environ["CRMWH_DATA"] = str(Path(data).resolve())
    return WarehousePaths()


def latest_loaded_date(data: Path) -> str | None:
    warehouse = _paths(data).warehouse
    if not warehouse.exists():
        return None
    with duckdb.connect(str(warehouse), read_only=True) as con:
        (latest,) = con.execute(
            "select max(biz_date) from audit_batch where status = 'loaded'"
        ).fetchone()
    return latest.strftime("%Y%m%d") if latest else None


def run_ingest(
    landing: Path,
    data: Path,
    dagster_instance: dg.DagsterInstance | None = None,
    dates: list[str] | None = None,
) -> dg.ExecuteInProcessResult | None:
    """One in-process run of `ingest_job` over every business date that has arrived."""
    paths = _paths(data, landing)
    if dates is None:
        dates = new_dates(paths.landing, paths.warehouse)
    if not dates:
        return None
    return _execute("ingest_job", paths, dagster_instance, range_tags(dates[0], dates[-1]))


def _execute(
    job: str, paths: WarehousePaths, dagster_instance, tags: dict, selection=None, ops=None
) -> dg.ExecuteInProcessResult:
    """One in-process run, tagged with this process (recovery decides from it whether the
    run is still alive) and named in the writer lock's record while it runs."""
    from dagster._core.utils import make_new_run_id

    from dagster_project.definitions import defs

    run_id = make_new_run_id()
    note_run(paths.warehouse, run_id)
    return defs.resolve_job_def(job).execute_in_process(
        instance=dagster_instance or instance(),
        run_id=run_id,
        tags={**tags, **owner_tags()},
        run_config={**QUIET, **({"ops": ops} if ops else {})},
        raise_on_error=False,
        asset_selection=selection,
    )


def run_build(
    data: Path,
    dagster_instance: dg.DagsterInstance | None = None,
    window: tuple[str, str] | None = None,
    selection=None,
) -> dg.ExecuteInProcessResult | None:
    """One in-process run of `build_job` over the dates `window` (first, last `YYYYMMDD`;
    default: the dates loaded since the last publish). None when there is nothing to do."""
    paths = _paths(data)
    window = window or unpublished_window(paths.warehouse, paths.published)
    if window is None:
        return None
    return _execute("build_job", paths, dagster_instance, range_tags(*window), selection)


def complete_publish(
    data: Path, dagster_instance: dg.DagsterInstance | None = None
) -> dg.ExecuteInProcessResult | None:
    """The exports, lineage and readers' folders of the published file when a killed run
    left them behind (they read crm.duckdb and work.duckdb, both as that run left them).
    None: complete."""
    from dagster_project.defs.publish import EXPORTS_KEY, LINEAGE_KEY, READERS_KEY

    paths = _paths(data)
    missing = incomplete_publish(paths.published, paths.exports, paths.docs, paths.readers)
    if not missing:
        return None
    keys = {"exports": EXPORTS_KEY, "lineage": LINEAGE_KEY, "readers": READERS_KEY}
    # the readers' folders hold the lineage: rebuilt with it
    wanted = set(missing) | ({"readers"} if "lineage" in missing else set())
    return _execute("build_job", paths, dagster_instance, {}, [keys[m] for m in sorted(wanted)])


def run_dbt(
    data: Path,
    dagster_instance: dg.DagsterInstance | None = None,
    dates: list[str] | None = None,
    daily_only: bool = False,
    marts: bool = True,
) -> dg.ExecuteInProcessResult | None:
    """dbt only (no publish): incremental models replace the business dates
    `dates[0]..dates[-1]` (default: the latest loaded date); `daily_only` builds just those
    and what they read; `marts=False` stops at the core layers (the monthly group is left
    out). None when nothing has been loaded yet."""
    if not dates:
        latest = latest_loaded_date(data)
        if latest is None:
            return None
        dates = [latest]
    from dagster_project.defs.dbt import dbt_daily, dbt_inputs, dbt_monthly, dbt_tables

    groups = [dbt_inputs, dbt_daily]
    if not daily_only:
        groups += [dbt_tables, *([dbt_monthly] if marts else [])]
    return run_build(
        data, dagster_instance, (min(dates), max(dates)), selection=[k for g in groups for k in g.keys]
    )


def run_restatement(
    data: Path,
    period: str,
    reason: str | None,
    dagster_instance: dg.DagsterInstance | None = None,
    log: Callable[[str], object] = print,
) -> dg.ExecuteInProcessResult:
    """`crmwh restate`: one in-process run of `restate_job`: the closed month `period`
    (YYYYMM) and every later one recomputed from the loaded batches, checked and published,
    the replaced rows kept in `history` (marts/month_close.py). Raises ValueError for a
    month that is not closed. As one writer, after recovery, like `run_pipeline`."""
    from marts.month_close import check_restatable

    paths = _paths(data)
    with writer_lock(paths.warehouse, log), run_record(paths):
        check_restatable(paths.warehouse, period)
        dagster_instance = dagster_instance or instance()
        recover(paths, dagster_instance, log)
        config = {"restate_period": period, "reason": reason or ""}
        try:
            return _execute(
                "restate_job",
                paths,
                dagster_instance,
                {"crmwh/restate_period": period},
                ops={"dbt_monthly": {"config": config}},
            )
        finally:
            remove_temp_files(paths)


@dataclass
class PipelineResult:
    ingested: dg.ExecuteInProcessResult | None  # None: no new delivery
    built: dg.ExecuteInProcessResult | None  # None: nothing to build, or the ingest failed
    completed: dg.ExecuteInProcessResult | None = None  # a killed run's exports and lineage
    recovered: list[str] = field(default_factory=list)  # what a dead run left, cleared

    @property
    def success(self) -> bool:
        return all(r is None or r.success for r in (self.ingested, self.built, self.completed))


def run_pipeline(
    landing: Path,
    data: Path,
    dagster_instance: dg.DagsterInstance | None = None,
    log: Callable[[str], object] = print,
) -> PipelineResult:
    """Recover from a dead run, ingest what is new, then build and publish what is
    unpublished, and complete a publish a killed run left without exports or lineage; as one
    writer: a second `crmwh run` on the same data waits for this one (the writer lock, at
    most CRMWH_LOCK_TIMEOUT seconds)."""
    paths = _paths(data, landing)
    dagster_instance = dagster_instance or instance()
    with writer_lock(paths.warehouse, log), run_record(paths):
        recovered = recover(paths, dagster_instance, log)
        try:
            ingested = run_ingest(landing, data, dagster_instance)
            if ingested is not None and not ingested.success:
                return PipelineResult(ingested, None, recovered=recovered)
            built = run_build(data, dagster_instance)
            completed = complete_publish(data, dagster_instance)
            return PipelineResult(ingested, built, completed, recovered)
        finally:  # a failed step (a full disk) may leave staged or half-written files
            remove_temp_files(paths)
