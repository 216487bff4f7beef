"""Ingest as Dagster assets: landing files -> raw zone (Parquet) + audit tables.

One multi-asset holds a raw-zone asset per contract entity (`raw/{sys}/{entity}`),
partitioned by business date. A run over a range of dates is one run (single-run
backfill policy): the batches of every date are checked and parsed in parallel worker
processes, then written by this process alone. Each entity asset carries its Great
Expectations suite as a blocking asset check.
"""


from collections import defaultdict

import dagster as dg

from dagster_project.defs.partitions import biz_dates
from dagster_project.defs.quality import RAW_CHECK, check_raw_entity
from dagster_project.defs.resources import WarehousePaths
from ingest.contract import ENTITIES, SYSTEMS, Entity
from ingest.run import IngestSummary, ingest

WAREHOUSE_POOL = "warehouse"  # one writer on the DuckDB file at a time


def landing_key(sys: str) -> dg.AssetKey:
    return dg.AssetKey(["landing", sys.lower()])


def raw_key(entity: Entity) -> dg.AssetKey:
    return dg.AssetKey(["raw", entity.system.lower(), entity.name.lower()])


AUDIT_KEY = dg.AssetKey(["warehouse", "audit_batch"])
QUARANTINE_KEY = dg.AssetKey(["warehouse", "quarantine_rows"])

landing_specs = [
    dg.AssetSpec(
        landing_key(sys),
        description=f"{s.name}: extract files `{sys}_*_YYYYMMDD` and `{sys}_YYYYMMDD.OK` "
        f"({s.family.encoding}, separator `{s.family.separator}`) in the landing folder.",
        group_name="landing",
        kinds={"file"},
    )
    for sys, s in SYSTEMS.items()
]


def _raw_spec(entity: Entity) -> dg.AssetSpec:
    cols = [dg.TableColumn(name, type) for name, type in entity.columns]
    return dg.AssetSpec(
        raw_key(entity),
        deps=[landing_key(entity.system)],
        description=f"`{entity.file_name('YYYYMMDD')}` as delivered ({entity.snapshot} "
        f"snapshot), typed, bad rows quarantined: "
        f"raw/{entity.system.lower()}/{entity.name.lower()}/biz_date=D/version=v/",
        group_name="raw_zone",
        kinds={"parquet"},
        skippable=True,
        metadata={"dagster/column_schema": dg.TableSchema(columns=cols)},
    )


ingest_specs = [_raw_spec(e) for e in ENTITIES.values()] + [
    dg.AssetSpec(AUDIT_KEY, deps=[landing_key(s) for s in SYSTEMS], group_name="audit",
                 kinds={"duckdb"}, skippable=True,
                 description="audit_batch and audit_file: every delivery seen, loaded, rejected, "
                 "superseded or still waiting; rows in = loaded + quarantined."),  # fmt: skip
    dg.AssetSpec(QUARANTINE_KEY, deps=[landing_key(s) for s in SYSTEMS], group_name="audit",
                 kinds={"duckdb"}, skippable=True,
                 description="quarantine_rows: every unreadable record with its raw text, "
                 "file, line number and reason; duplicate_keys: repeated keys."),  # fmt: skip
]
_entity_by_key = {raw_key(e): e for e in ENTITIES.values()}

check_specs = [
    dg.AssetCheckSpec(RAW_CHECK, asset=raw_key(e), blocking=True,
                      description=f"Great Expectations suite for {e.system} {e.name}")
    for e in ENTITIES.values()
]  # fmt: skip


def _dates(context: dg.AssetExecutionContext) -> list[str]:
    r = context.partition_key_range
    return biz_dates.get_partition_keys_in_range(r)


@dg.multi_asset(
    name="ingest_batches",
    specs=ingest_specs,
    check_specs=check_specs,
    partitions_def=biz_dates,
    backfill_policy=dg.BackfillPolicy.single_run(),
    can_subset=True,
    pool=WAREHOUSE_POOL,
)
def ingest_batches(context: dg.AssetExecutionContext, paths: WarehousePaths):
    dates = _dates(context)
    selected = [_entity_by_key[k] for k in context.selected_asset_keys if k in _entity_by_key]
    systems = sorted({e.system for e in selected})
    summary = ingest(paths.landing, paths.raw, paths.warehouse, dates=dates, systems=systems,
                     run_id=context.run.run_id)  # fmt: skip
    context.log.info(summary.text())
    per_entity = _entity_metadata(summary)
    for e in selected:
        yield dg.MaterializeResult(asset_key=raw_key(e), metadata=per_entity.get((e.system, e.name), {}))
    if AUDIT_KEY in context.selected_asset_keys:
        yield dg.MaterializeResult(asset_key=AUDIT_KEY, metadata=_audit_metadata(summary))
    if QUARANTINE_KEY in context.selected_asset_keys:
        yield dg.MaterializeResult(asset_key=QUARANTINE_KEY, metadata={
            "rows_quarantined": summary.count("rows_quarantined")})  # fmt: skip
    for e in selected:
        if dg.AssetCheckKey(raw_key(e), RAW_CHECK) in context.selected_asset_check_keys:
            yield check_raw_entity(paths, e, dates, raw_key(e))


def _entity_metadata(summary: IngestSummary) -> dict[tuple[str, str], dict]:
    out: dict[tuple[str, str], dict] = defaultdict(lambda: defaultdict(int))
    for r in summary.results:
        for f in r.files:
            m = out[(r.sys, f.entity)]
            m["batches_loaded" if r.status == "loaded" else "batches_rejected"] += 1
            for k in ("rows_in", "rows_loaded", "rows_quarantined", "rows_rejected", "duplicate_keys"):
                m[k] += getattr(f, k)
    return {k: dict(v) for k, v in out.items()}


def _audit_metadata(summary: IngestSummary) -> dict:
    return {
        "batches_loaded": len(summary.loaded),
        "batches_rejected": len(summary.rejected),
        "batches_unchanged": summary.unchanged,
        "batches_waiting_or_missing": len(summary.waiting),
        "rejected": dg.MetadataValue.md("\n".join(
            f"- {r.sys} {r.biz_date}: {r.reason}" for r in summary.rejected) or "none"),
        "waiting": dg.MetadataValue.md("\n".join(
            f"- {s} {d}: {why}" for s, d, why in summary.waiting) or "none"),
        "rows_in": summary.count("rows_in"),
        "rows_loaded": summary.count("rows_loaded"),
        "rows_quarantined": summary.count("rows_quarantined"),
    }  # fmt: skip


ingest_job = dg.define_asset_job(
    "ingest_job",
    selection=dg.AssetSelection.assets(ingest_batches),
    description="Ingest every complete batch of the selected business dates.",
)
