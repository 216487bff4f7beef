"""Great Expectations suites on the raw zone, as Dagster asset checks.

The check of `raw/{sys}/{entity}` validates the current version of every business
date the run covered, one batch per date, and reports each expectation's observed
values. A failed `error` expectation fails the (blocking) check, which stops whatever
depends on the asset; `warn` expectations (expected dirt, ID check-digit rates) are
reported without failing it.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import polars as pl

from dagster_project.defs.resources import WarehousePaths
from expectations.validate import summarise, validate
from ingest import raw_zone
from ingest.audit import to_date
from ingest.contract import Entity

RAW_CHECK = "raw_quality"


def current_versions(warehouse: Path, sys: str, dates: list[str]) -> dict[str, int]:
    if not warehouse.exists():
        return {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select strftime(biz_date, '%Y%m%d'), version from audit_batch "
            "where sys = ? and is_current and biz_date between ? and ?",
            [sys, to_date(min(dates)), to_date(max(dates))],
        ).fetchall()
    return dict(rows)


def check_raw_entity(paths: WarehousePaths, entity: Entity, dates: list[str],
                     key: dg.AssetKey) -> dg.AssetCheckResult:  # fmt: skip
    versions = current_versions(paths.warehouse, entity.system, dates) if dates else {}
    passed, failed, rows = True, {}, 0
    observed: dict[str, dict] = {}
    for d, v in sorted(versions.items()):
        path = raw_zone.part_path(paths.raw, entity.system, entity.name, d, v)
        if not path.exists():  # an entity not in that batch (TARGET: 1st of the month only)
            continue
        frame = pl.read_parquet(path)
        rows += frame.height
        ok, meta = summarise(validate(entity, frame, to_date(d)))
        passed &= ok
        for name in meta["failed_errors"] + meta["failed_warnings"]:
            failed.setdefault(name, []).append(d)
        for name, res in meta["results"].items():
            agg = observed.setdefault(name, {"severity": res["severity"], "failed_dates": 0,
                                             "unexpected_count": 0, "element_count": 0})  # fmt: skip
            agg["failed_dates"] += 0 if res["success"] else 1
            agg["unexpected_count"] += res.get("unexpected_count") or 0
            agg["element_count"] += res.get("element_count") or 0
    for agg in observed.values():
        n = agg["element_count"]
        agg["unexpected_percent"] = round(100 * agg["unexpected_count"] / n, 4) if n else 0.0
    return dg.AssetCheckResult(
        asset_key=key,
        check_name=RAW_CHECK,
        passed=passed,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "dates_checked": len(versions),
            "rows_checked": rows,
            "failed": dg.MetadataValue.json(failed),
            "observed": dg.MetadataValue.json(observed),
        },
    )
