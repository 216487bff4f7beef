"""Great Expectations suites on the raw zone, as Dagster asset checks, and the gate the
ingest applies with them before it records a delivery.

The check `{entity}_suite` of `raw/{sys}` validates the batches the run is about to load,
on their staged Parquet, in one validation (uniqueness is per date), and reports each
expectation's observed values. A failed `error` expectation fails the (blocking) check,
which stops whatever depends on the asset, and the batches failing it are rejected in
the same commit that records the others; `warn` expectations (expected dirt, ID
check-digit rates) are reported without failing it.
"""

from __future__ import annotations

import dagster as dg
import polars as pl

from contract.extracts import Entity
from expectations.validate import summarise, validate
from ingest import raw_zone
from ingest.audit import to_date
from ingest.batch import BatchResult
from ingest.cast import raw_schema


def staged_rows(batches: list[BatchResult], entity: Entity) -> pl.DataFrame:
    """The staged rows of `entity` in `batches`, with their `biz_date`."""
    frames = []
    for r in batches:
        if r.sys != entity.system or r.staged is None:
            continue
        path = r.staged / entity.name.lower() / raw_zone.PART
        if path.exists():  # an entity not in that batch (TARGET: 1st of the month only)
            frames.append(pl.read_parquet(path).with_columns(biz_date=pl.lit(to_date(r.biz_date))))
    if not frames:
        return pl.DataFrame(schema={**raw_schema(entity), "biz_date": pl.Date})
    return pl.concat(frames)


def check_frame(entity: Entity, frame: pl.DataFrame, key: dg.AssetKey, name: str) -> dg.AssetCheckResult:
    """One Great Expectations validation over all dates of the run (its fixed cost is
    ~0.15 s: one per date and entity would dominate a backfill)."""
    passed, meta = summarise(validate(entity, frame))
    return dg.AssetCheckResult(
        asset_key=key,
        check_name=name,
        passed=passed,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "dates_checked": frame["biz_date"].n_unique(),
            "rows_checked": frame.height,
            "failed_errors": dg.MetadataValue.json(meta["failed_errors"]),
            "failed_warnings": dg.MetadataValue.json(meta["failed_warnings"]),
            "observed": dg.MetadataValue.json(meta["results"]),
        },
    )


def failing_dates(entity: Entity, frame: pl.DataFrame) -> dict[str, list[str]]:
    """After a failed suite over many dates: the dates whose own batch fails it, with the
    names of the failed `error` expectations (one validation per date: only on failure)."""
    out = {}
    for (day,), rows in frame.partition_by("biz_date", as_dict=True).items():
        passed, meta = summarise(validate(entity, rows))
        if not passed:
            out[day.strftime("%Y%m%d")] = sorted(meta["failed_errors"])
    return out
