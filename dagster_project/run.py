"""Run the project's Dagster job in this process (what `crmwh run` does)."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import duckdb

from dagster_project.defs.partitions import biz_dates, range_tags
from ingest.landing import scan
from ingest.run import pending_dates

# embedded SQLite storage; one run at a time touches the warehouse (pool "warehouse")
DAGSTER_YAML = """\
telemetry:
  enabled: false
concurrency:
  pools:
    default_limit: 1
"""
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def instance() -> dg.DagsterInstance:
    """Dagster's embedded storage under `$DAGSTER_HOME` (default `./.dagster_home`)."""
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(Path(".dagster_home").resolve())))
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    return dg.DagsterInstance.get()


def landed_dates(landing: Path) -> tuple[list[str], list[str]]:
    """Business dates with anything in the landing folder: (inside, outside) the partitions."""
    dates = sorted({d for _, d in scan(landing)})
    valid = set(biz_dates.get_partition_keys())
    return [d for d in dates if d in valid], [d for d in dates if d not in valid]


def new_dates(landing: Path, data: Path) -> list[str]:
    """Business dates of the landing folder with a delivery not yet ingested."""
    dates, outside = landed_dates(landing)
    pending = set(pending_dates(landing, Path(data) / "warehouse" / "work.duckdb"))
    if outside:
        raise SystemExit(f"business dates {outside[0]}..{outside[-1]} are outside the "
                         "partitions: set CRMWH_FIRST_DATE / CRMWH_LAST_DATE")  # fmt: skip
    return [d for d in dates if d in pending]


def latest_loaded_date(data: Path) -> str | None:
    warehouse = Path(data) / "warehouse" / "work.duckdb"
    if not warehouse.exists():
        return None
    with duckdb.connect(str(warehouse), read_only=True) as con:
        (latest,) = con.execute(
            "select max(biz_date) from audit_batch where status = 'loaded'").fetchone()
    return latest.strftime("%Y%m%d") if latest else None


def run_ingest(landing: Path, data: Path, dagster_instance: dg.DagsterInstance | None = None,
               dates: list[str] | None = None) -> dg.ExecuteInProcessResult | None:  # fmt: skip
    """One in-process run of `ingest_job` over every business date that has arrived."""
    os.environ["CRMWH_LANDING"] = str(Path(landing).resolve())
    os.environ["CRMWH_DATA"] = str(Path(data).resolve())
    from dagster_project.definitions import defs

    if dates is None:
        dates = new_dates(landing, data)
    if not dates:
        return None
    job = defs.resolve_job_def("ingest_job")
    return job.execute_in_process(
        instance=dagster_instance or instance(),
        tags=range_tags(dates[0], dates[-1]),
        run_config=QUIET,
        raise_on_error=False,
    )


def run_dbt(data: Path, dagster_instance: dg.DagsterInstance | None = None,
            dates: list[str] | None = None, daily_only: bool = False, marts: bool = True,
            ) -> dg.ExecuteInProcessResult | None:  # fmt: skip
    """One in-process run of `dbt_job` (dbt build: models and their tests) whose
    incremental models replace the business dates `dates[0]..dates[-1]` (default: the
    latest loaded date); `daily_only` builds just those and what they read; `marts=False`
    stops at the core layers (the monthly group is left out). None when nothing has been
    loaded yet."""
    os.environ["CRMWH_DATA"] = str(Path(data).resolve())
    if not dates:
        latest = latest_loaded_date(data)
        if latest is None:
            return None
        dates = [latest]
    from dagster_project.definitions import defs

    job = defs.resolve_job_def("dbt_job")
    from dagster_project.defs.dbt import dbt_daily, dbt_inputs, dbt_tables

    selection = None
    if daily_only:
        selection = [*dbt_inputs.keys, *dbt_daily.keys]
    elif not marts:
        selection = [*dbt_inputs.keys, *dbt_daily.keys, *dbt_tables.keys]
    return job.execute_in_process(
        instance=dagster_instance or instance(), tags=range_tags(min(dates), max(dates)),
        run_config=QUIET, raise_on_error=False, asset_selection=selection)
