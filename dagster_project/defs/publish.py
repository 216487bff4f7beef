"""Write, audit, publish: the marts dbt built in the work file are checked by Great
Expectations (blocking asset checks: a failure stops publishing), then copied into the
published DuckDB file in one step, exported as Parquet for BI, and traced for auditors.

    marts/* (dbt, work.duckdb) --gx_suite checks--> published/warehouse (crm.duckdb)
        --> published/exports (data/exports, masked, per organisation)
        --> published/lineage (data/docs/lineage.md)
        --> published/readers (data/published/<role>/<org>/: rows and columns per role)

A failed check leaves yesterday's published file and exports untouched; its observed values
are on the check in Dagster and in the Great Expectations Data Docs (data/docs/gx).
"""

import subprocess
from pathlib import Path

import dagster as dg

from dagster_project.defs.dbt import DBT_DIR, MANIFEST, MART_KEYS, monthly_marts, monthly_window
from dagster_project.defs.ingest import WAREHOUSE_POOL
from dagster_project.defs.partitions import run_window
from dagster_project.defs.resources import WarehousePaths

PUBLISHED_KEY = dg.AssetKey(["published", "warehouse"])
EXPORTS_KEY = dg.AssetKey(["published", "exports"])
LINEAGE_KEY = dg.AssetKey(["published", "lineage"])
READERS_KEY = dg.AssetKey(["published", "readers"])
GX_CHECK = "gx_suite"


def code_version() -> str:
    """The git commit of the code that built the marts (`+dirty` with uncommitted changes)."""
    repo = DBT_DIR.parent
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=repo,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        from importlib.metadata import version

        return f"crmwh {version('crmwh')} (not a git checkout)"
    return sha + ("+dirty" if dirty else "")


def _iso_window(context) -> tuple[str | None, str | None]:
    dates = run_window(context.run.tags)
    if dates is None:
        return None, None
    return tuple(f"{d[:4]}-{d[4:6]}-{d[6:]}" for d in dates)


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            GX_CHECK,
            asset=key,
            blocking=True,
            description="Great Expectations suite on the mart in the work file: "
            "ranges, reconciliations with the layers below, distributions",
        )
        for key in MART_KEYS
    ],
    can_subset=True,
    name="mart_suites",
    pool=WAREHOUSE_POOL,
)
def mart_suites(context: dg.AssetCheckExecutionContext, paths: WarehousePaths):
    from expectations.data_docs import build_data_docs
    from expectations.marts import validate_marts

    selected = {k.asset_key.path[-1] for k in context.selected_asset_check_keys}
    # the months the monthly group built (the open ones): closed months were checked when
    # they were built and are kept as they are (marts/month_close.py)
    with paths.writer_lock(context.log.warning):  # reads the work file: no writer meanwhile
        window = monthly_window(paths)
        results = validate_marts(paths.warehouse, window[0] if window else None, None)
    docs = build_data_docs(paths.docs / "gx")
    context.log.info(f"Great Expectations Data Docs: {docs}")
    for mart, (passed, meta) in sorted(results.items()):
        if mart not in selected:
            continue
        # a failed distribution check (a warning) shows as a failed WARN check: it does
        # not block publishing (only a failed ERROR check of a blocking spec does)
        yield dg.AssetCheckResult(
            asset_key=dg.AssetKey(["marts", mart]),
            check_name=GX_CHECK,
            passed=passed and not meta["failed_warnings"],
            severity=dg.AssetCheckSeverity.WARN if passed else dg.AssetCheckSeverity.ERROR,
            metadata={
                "failed_errors": dg.MetadataValue.json(meta["failed_errors"]),
                "failed_warnings": dg.MetadataValue.json(meta["failed_warnings"]),
                "observed": dg.MetadataValue.json(meta["results"]),
                "data_docs": dg.MetadataValue.path(str(docs)),
            },
        )


PENDING_CHECK = "no_pending_restatements"


@dg.asset(
    key=PUBLISHED_KEY,
    deps=MART_KEYS,
    group_name="publish",
    kinds={"duckdb"},
    pool=WAREHOUSE_POOL,
    check_specs=[
        dg.AssetCheckSpec(
            PENDING_CHECK,
            asset=PUBLISHED_KEY,
            description="No late or restated batch of a closed month waits for "
            "`crmwh restate --period` (quality.pending_restatements)",
        )
    ],
    description="data/warehouse/crm.duckdb, what readers open (read-only): the checked "
    "marts (schema `marts`), data-quality tables (`quality`), what produced them and "
    "which months are closed (`meta`) and the rows restatements replaced (`history`), "
    "written beside and swapped in with one rename.",
)
def published_warehouse(context: dg.AssetExecutionContext, paths: WarehousePaths):
    from marts.month_close import settle
    from marts.publish import publish

    first, last = _iso_window(context)
    with paths.writer_lock(context.log.warning):
        # every check passed: finish the restatements this run recomputed and record the
        # months now closed, then publish them together
        months = settle(paths.warehouse, paths.published, context.run.run_id, monthly_marts())
        result = publish(
            paths.warehouse,
            paths.published,
            run_id=context.run.run_id,
            code_version=code_version(),
            min_date=first,
            max_date=last,
        )
    closed = months["closed"]
    yield dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(paths.published)),
            "tables": len(result.tables),
            "rows": dg.MetadataValue.json(result.tables),
            "seconds": round(result.seconds, 2),
            "closed_months": f"{closed[0]}..{closed[-1]}" if closed else "none",
            "newly_closed": ", ".join(months["newly_closed"]) or "none",
            "restated": ", ".join(months["restated"]) or "none",
            "pending_restatements": len(months["pending"]),
        }
    )
    pending = months["pending"]
    yield dg.AssetCheckResult(
        check_name=PENDING_CHECK,
        passed=not pending,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "pending": dg.MetadataValue.md("\n".join(f"- {p}" for p in pending) or "none"),
            "how": "crmwh restate --period YYYYMM [--reason TEXT]",
        },
    )


@dg.asset(
    key=EXPORTS_KEY,
    deps=[PUBLISHED_KEY],
    group_name="publish",
    kinds={"parquet"},
    pool=WAREHOUSE_POOL,
    description="data/exports: one Parquet dataset per mart, partitioned by period or "
    "date, in one folder per organisation nested along the organisation tree (a "
    "branch is given its folder: exactly its subtree); identity masked; a new "
    "version swapped in atomically.",
)
def exports(context: dg.AssetExecutionContext, paths: WarehousePaths):
    from marts.exports import export_marts

    with paths.writer_lock(context.log.warning):  # reads the work file's organisation tree
        result = export_marts(
            paths.published,
            paths.warehouse,
            paths.exports,
            run_id=context.run.run_id,
            code_version=code_version(),
        )
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(paths.exports)),
            "files": result.files,
            "rows": dg.MetadataValue.json(result.rows),
            "seconds": round(result.seconds, 2),
        }
    )


@dg.asset(
    key=LINEAGE_KEY,
    deps=[PUBLISHED_KEY],
    group_name="publish",
    kinds={"markdown"},
    description="data/docs/lineage.md (+ .html, .json): every published mart column "
    "traced to its source files and fields, with the run, code version and batch "
    "versions behind the published marts.",
)
def lineage(context: dg.AssetExecutionContext, paths: WarehousePaths):
    from marts.lineage import lineage_report

    report = lineage_report(Path(MANIFEST), paths.published, paths.docs)
    return dg.MaterializeResult(metadata={"path": dg.MetadataValue.path(str(report))})


@dg.asset(
    key=READERS_KEY,
    deps=[PUBLISHED_KEY, LINEAGE_KEY],
    group_name="publish",
    kinds={"duckdb", "parquet"},
    pool=WAREHOUSE_POOL,
    description="data/published/<role>/<org>/: for each role of the seed access_roles and "
    "each organisation at its level, a read-only crm.duckdb, Parquet and a manifest holding "
    "only the role's rows (whole bank or the organisation's subtree) and columns (seed "
    "access_columns: clear, masked, hashed or absent); folders 0750 for the role's "
    "operating-system group; a new version swapped in atomically.",
)
def readers(context: dg.AssetExecutionContext, paths: WarehousePaths):
    from marts.access import publish_roles

    with paths.writer_lock(context.log.warning):  # reads the work file's seeds and org tree
        result = publish_roles(
            paths.published,
            paths.warehouse,
            paths.readers,
            run_id=context.run.run_id,
            code_version=code_version(),
            lineage_json=paths.docs / "lineage.json",
        )
    if result.missing_groups:
        context.log.warning(
            f"{len(result.missing_groups)} operating-system group(s) missing, folders keep "
            f"this account's group: {', '.join(result.missing_groups[:5])}"
        )
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(paths.readers)),
            "folders": len(result.folders),
            "rows": dg.MetadataValue.json(result.folders),
            "missing_groups": len(result.missing_groups),
            "seconds": round(result.seconds, 2),
        }
    )


publish_assets = [published_warehouse, exports, lineage, readers]
