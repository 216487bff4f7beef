"""Run the project's Dagster job in this process (what `crmwh run` does)."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

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


def run_ingest(landing: Path, data: Path, dagster_instance: dg.DagsterInstance | None = None,
               dates: list[str] | None = None) -> dg.ExecuteInProcessResult | None:  # fmt: skip
    """One in-process run of `ingest_job` over every business date that has arrived."""
    os.environ["CRMWH_LANDING"] = str(Path(landing).resolve())
    os.environ["CRMWH_DATA"] = str(Path(data).resolve())
    from dagster_project.definitions import defs

    if dates is None:
        dates, outside = landed_dates(landing)
        pending = set(pending_dates(landing, Path(data) / "warehouse" / "crm.duckdb"))
        dates = [d for d in dates if d in pending]
        if outside:
            raise SystemExit(f"business dates {outside[0]}..{outside[-1]} are outside the "
                             "partitions: set CRMWH_FIRST_DATE / CRMWH_LAST_DATE")  # fmt: skip
    if not dates:
        return None
    job = defs.resolve_job_def("ingest_job")
    return job.execute_in_process(
        instance=dagster_instance or instance(),
        tags=range_tags(dates[0], dates[-1]),
        run_config=QUIET,
        raise_on_error=False,
    )


def run_dbt(data: Path, dagster_instance: dg.DagsterInstance | None = None
            ) -> dg.ExecuteInProcessResult:  # fmt: skip
    """One in-process run of `dbt_job` (dbt build: models and their tests)."""
    os.environ["CRMWH_DATA"] = str(Path(data).resolve())
    from dagster_project.definitions import defs

    return defs.resolve_job_def("dbt_job").execute_in_process(
        instance=dagster_instance or instance(), run_config=QUIET, raise_on_error=False)
