"""Ingest as Dagster assets: landing files -> raw zone (Parquet) + audit tables.

One multi-asset holds a raw-zone asset per source system (`raw/{sys}`: its batch is
what the contract accepts or rejects whole) and the audit tables, partitioned by
business date. A run over a range of dates is one run (single-run
backfill policy): the batches of every date are checked and parsed in parallel worker
processes, then written by this process alone. Each entity's Great Expectations suite
is a blocking asset check on its system's asset, run by the ingest as its gate: on the
staged batches, before the audit records them, so that a batch is `loaded` only
together with its verdict.
"""

from collections import defaultdict

import dagster as dg

from contract.extracts import ENTITIES, SYSTEMS, Entity, entities_of
from dagster_project.defs.partitions import biz_dates
from dagster_project.defs.quality import check_frame, failing_dates, staged_rows
from dagster_project.defs.resources import WarehousePaths
from ingest.batch import BatchResult
from ingest.run import IngestSummary, ingest

WAREHOUSE_POOL = "warehouse"  # one writer on the DuckDB file at a time


def landing_key(sys: str) -> dg.AssetKey:
    return dg.AssetKey(["landing", sys.lower()])


def raw_key(sys: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", sys.lower()])


def check_name(entity: Entity) -> str:
    return f"{entity.name.lower()}_suite"


AUDIT_KEY = dg.AssetKey(["warehouse", "audit"])

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


def _raw_spec(sys: str) -> dg.AssetSpec:
    """A system's batch is the unit the contract accepts or rejects: one asset per system,
    one Parquet table per entity."""
    tables = "\n".join(
        f"- `raw/{sys.lower()}/{e.name.lower()}/biz_date=D/version=v/ok=h/` from "
        f"`{e.file_name('YYYYMMDD')}` ({e.snapshot}): " + ", ".join(e.column_names)
        for e in entities_of(sys)
    )
    return dg.AssetSpec(
        raw_key(sys),
        deps=[landing_key(sys)],
        description=f"{SYSTEMS[sys].name}: the batches as delivered, typed, bad rows "
        f"quarantined, one Parquet table per entity:\n{tables}",
        group_name="raw_zone",
        kinds={"parquet"},
        skippable=True,
    )


ingest_specs = [_raw_spec(sys) for sys in SYSTEMS] + [
    dg.AssetSpec(
        AUDIT_KEY,
        deps=[landing_key(s) for s in SYSTEMS],
        group_name="raw_zone",
        kinds={"duckdb"},
        skippable=True,
        description="Tables audit_batch (every delivery seen: loaded, rejected, "
        "superseded, waiting, missing), audit_file (rows in = loaded + quarantined), "
        "quarantine_rows (raw text, file, line, reason) and duplicate_keys.",
    ),
]
_sys_by_key = {raw_key(sys): sys for sys in SYSTEMS}

check_specs = [
    dg.AssetCheckSpec(
        check_name(e),
        asset=raw_key(e.system),
        blocking=True,
        description=f"Great Expectations suite for {e.system} {e.name}",
    )
    for e in ENTITIES.values()
]


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
    with paths.writer_lock(context.log.warning):
        yield from _ingest(context, paths)


def _ingest(context: dg.AssetExecutionContext, paths: WarehousePaths):
    dates = _dates(context)
    systems = sorted(_sys_by_key[k] for k in context.selected_asset_keys if k in _sys_by_key)
    checked = {
        (sys, e.name): e
        for sys in systems
        for e in entities_of(sys)
        if dg.AssetCheckKey(raw_key(sys), check_name(e)) in context.selected_asset_check_keys
    }
    results: dict[tuple[str, str], dg.AssetCheckResult] = {}

    def gate(batches: list[BatchResult]) -> dict[tuple[str, str], str]:
        """The suites on the staged batches: the reasons of those failing one."""
        rejected: dict[tuple[str, str], str] = {}
        for (sys, _), e in sorted(checked.items()):
            if not any(r.sys == sys for r in batches):
                continue
            frame = staged_rows(batches, e)
            result = check_frame(e, frame, raw_key(sys), check_name(e))
            results[(sys, e.name)] = result
            if not result.passed:  # the batches failing it are rejected whole
                for d, failed in failing_dates(e, frame).items():
                    why = f"quality: {e.name} failed {', '.join(failed)}"
                    rejected[(sys, d)] = "; ".join(filter(None, [rejected.get((sys, d)), why]))
        return rejected

    summary = ingest(
        paths.landing,
        paths.raw,
        paths.warehouse,
        dates=dates,
        systems=systems,
        run_id=context.run.run_id,
        gate=gate,
        date_range=(biz_dates.get_first_partition_key(), biz_dates.get_last_partition_key()),
    )
    context.log.info(summary.text())
    quality = [r for r in summary.rejected if r.reason.startswith("quality: ")]
    if quality:
        context.log.error(
            "batches rejected by their quality checks: "
            + "; ".join(f"{r.sys} {r.biz_date}: {r.reason}" for r in quality)
        )
    per_system = _system_metadata(summary)
    # a system with no new delivery in these dates is not materialised again (nor checked)
    changed = [sys for sys in systems if sys in per_system]
    for sys in changed:
        yield dg.MaterializeResult(asset_key=raw_key(sys), metadata=per_system[sys])
    if AUDIT_KEY in context.selected_asset_keys:
        yield dg.MaterializeResult(asset_key=AUDIT_KEY, metadata=_audit_metadata(summary))
    for sys in changed:
        for e in entities_of(sys):
            if (sys, e.name) in checked:  # no batch of it reached the gate: nothing loaded
                yield results.get((sys, e.name)) or check_frame(
                    e, staged_rows([], e), raw_key(sys), check_name(e)
                )


def _system_metadata(summary: IngestSummary) -> dict[str, dict]:
    out: dict[str, dict] = defaultdict(lambda: defaultdict(int))
    for r in summary.results:
        m = out[r.sys]
        m["batches_loaded" if r.status == "loaded" else "batches_rejected"] += 1
        for f in r.files:
            for k in ("rows_in", "rows_loaded", "rows_quarantined", "rows_rejected", "duplicate_keys"):
                m[k] += getattr(f, k)
    return {k: dict(v) for k, v in out.items()}


def _audit_metadata(summary: IngestSummary) -> dict:
    return {
        "batches_loaded": len(summary.loaded),
        "batches_rejected": len(summary.rejected),
        "batches_unchanged": summary.unchanged,
        "batches_waiting_or_missing": len(summary.waiting),
        "rejected": dg.MetadataValue.md(
            "\n".join(f"- {r.sys} {r.biz_date}: {r.reason}" for r in summary.rejected) or "none"
        ),
        "waiting": dg.MetadataValue.md(
            "\n".join(f"- {s} {d}: {why}" for s, d, why in summary.waiting) or "none"
        ),
        "rows_in": summary.count("rows_in"),
        "rows_loaded": summary.count("rows_loaded"),
        "rows_quarantined": summary.count("rows_quarantined"),
        "landing_strays": dg.MetadataValue.md(
            "\n".join(f"- {x.reason} `{x.name!r}`: {x.detail}" for x in summary.strays) or "none"
        ),
        "changed_after_load": dg.MetadataValue.md(
            "\n".join(
                f"- {c['sys']} {c['biz_date']:%Y%m%d} {c['file']}: {c['md5_at_load']} -> {c['md5_now']}"
                for c in summary.changed
            )
            or "none"
        ),
    }


ingest_job = dg.define_asset_job(
    "ingest_job",
    selection=dg.AssetSelection.assets(ingest_batches),
    description="Ingest every complete batch of the selected business dates.",
)
