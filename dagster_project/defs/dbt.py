"""The dbt project as Dagster assets (dagster-dbt): one asset per model, dbt tests as
asset checks, raw-zone sources mapped onto the ingest assets that write them."""

import datetime as dt
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from contract.audit import TABLES
from contract.extracts import ENTITIES
from dagster_project.defs.ingest import AUDIT_KEY, WAREHOUSE_POOL, raw_key
from dagster_project.defs.partitions import DATE_FMT, biz_dates, run_window
from dagster_project.defs.resources import WarehousePaths

DBT_DIR = Path(__file__).resolve().parents[2] / "dbt"
dbt_project = DbtProject(project_dir=DBT_DIR, profiles_dir=DBT_DIR)


DBT_REAL = str(Path(sys.executable).parent / "dbt")  # this environment's, PATH or not


def _launcher() -> str:
    """The executable dagster-dbt starts: a few lines that set the parent-death signal, then
    exec the real dbt (crmwh/lifeline.py), so a killed run's dbt dies with it instead of going
    on writing the work file. dagster-dbt's Popen has no preexec hook, hence a file; written
    beside the project's target folder, once per interpreter path, replaced atomically."""
    os.environ["CRMWH_DBT_REAL"] = DBT_REAL
    root = Path(__file__).resolve().parents[2]
    text = (
        f"#!{sys.executable}\n"
        "import sys\n"
        f"sys.path.insert(0, {str(root)!r})\n"
        "from crmwh.lifeline import exec_dbt\n"
        "exec_dbt(sys.argv[1:])\n"
    )
    path = DBT_DIR / "target" / "launcher" / "dbt"
    if not path.exists() or path.read_text() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".dbt.{os.getpid()}")
        tmp.write_text(text)
        tmp.chmod(0o755)
        os.replace(tmp, path)
    return str(path)


DBT_EXECUTABLE = _launcher()  # what the DbtCliResource runs (definitions.py)


def _project_files():
    yield DBT_DIR / "dbt_project.yml"
    for folder in ("models", "macros", "seeds", "tests"):
        yield from (DBT_DIR / folder).rglob("*.*")


def _stale(manifest: Path) -> bool:
    return not manifest.exists() or any(
        f.stat().st_mtime > manifest.stat().st_mtime for f in _project_files()
    )


def ensure_manifest() -> Path:
    """`dbt parse` when the manifest is missing (a fresh clone) or older than a project
    file: the definitions are made from it. Under a file lock: processes that start together
    (test workers, `crmwh run` beside `dagster dev`) parse once and never read a half-written
    manifest."""
    manifest = dbt_project.manifest_path
    manifest.parent.mkdir(parents=True, exist_ok=True)
    with open(manifest.parent / ".parse.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _stale(manifest):
            subprocess.run(
                [
                    DBT_REAL,
                    "parse",
                    "--quiet",
                    "--project-dir",
                    str(DBT_DIR),
                    "--profiles-dir",
                    str(DBT_DIR),
                ],
                check=True,
                cwd=DBT_DIR,
            )
    return manifest


# The tables dbt reads, as views of what ingest materialises: the raw zone's tables of a
# system's batches, and the audit tables (virtual: nothing to materialise on their own).
table_specs = [
    dg.AssetSpec(
        ["raw", e.system.lower(), e.name.lower()],
        deps=[raw_key(e.system)],
        group_name="raw_zone",
        kinds={"parquet"},
        is_virtual=True,
        description=f"Raw-zone table of `{e.file_name('YYYYMMDD')}`",
    )
    for e in ENTITIES.values()
] + [
    dg.AssetSpec(
        ["warehouse", t],
        deps=[AUDIT_KEY],
        group_name="raw_zone",
        kinds={"duckdb"},
        is_virtual=True,
        description=f"Audit table `{t}`",
    )
    for t in TABLES
]


def _layer(props) -> str:
    """A model's layer: its schema (staging, intermediate, core, marts; dbt_project.yml)."""
    return props["config"]["schema"]


class Translator(DagsterDbtTranslator):
    def get_asset_key(self, props) -> dg.AssetKey:
        if props["resource_type"] == "source":
            if props["source_name"] == "raw":  # sav_txn -> raw/sav/txn, a table of raw/sav
                return dg.AssetKey(["raw", *props["name"].split("_", 1)])
            if props["source_name"] == "audit":
                return dg.AssetKey(["warehouse", props["name"]])
        if props["resource_type"] == "model":  # by schema, not folder: the intermediates
            # under models/marts/ are intermediate/int_periods, not marts/int_periods
            return dg.AssetKey([_layer(props), props["name"]])  # staging/stg_sav__txns
        return super().get_asset_key(props)

    def get_group_name(self, props) -> str | None:
        if props["resource_type"] == "seed":  # parameters: their own box in the asset graph
            return "seeds"
        return _layer(props) if props["resource_type"] == "model" else None


# Four dbt asset groups, in this order: what the daily models read (seeds, staging views,
# reference tables); the daily incremental models (tag `daily`), partitioned by business
# date (a range of dates is one dbt call: single-run backfill); the tables built in full
# from them (dimensions, credit shares); the monthly models (tag `monthly`: they replace
# every month the run's dates touch) and the marts built on them.
DAILY = "tag:daily"
MONTHLY = "tag:monthly+"
# tests whose parents sit in two groups: dbt's indirect selection puts them in no group's
# call (a test on a daily model that refers to a dimension; one on a seed that refers to a
# seed of another group), so the last group selects them by name (DECISIONS.md)
CROSS_GROUP = "tag:cross_group"
MANIFEST = ensure_manifest()


def _run_window(context: dg.AssetExecutionContext) -> tuple[str, str] | None:
    """The run's business dates as dbt's half-open window [min_date, max_date): the range of
    a single-run backfill (tags, or the partitions of a partitioned step); None: every date."""
    if context.has_partition_key_range:
        window = context.partition_time_window
        return window.start.strftime("%Y-%m-%d"), window.end.strftime("%Y-%m-%d")
    dates = run_window(context.run.tags)
    if dates is None:
        return None
    first, last = dates
    end = dt.datetime.strptime(last, DATE_FMT) + dt.timedelta(days=1)
    return dt.datetime.strptime(first, DATE_FMT).strftime("%Y-%m-%d"), end.strftime("%Y-%m-%d")


def _build(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    paths: WarehousePaths,
    window: tuple[str, str] | None = None,
):
    # dbt reads the raw zone and writes the warehouse named by CRMWH_DATA (absolute: dbt
    # runs in the project folder), and the window from CRMWH_MIN_DATE/MAX_DATE (not
    # --vars: new vars make dbt re-parse the whole project in every call); by default the
    # run's business dates
    os.environ["CRMWH_DATA"] = str(paths.data)
    window = window or _run_window(context)
    for name, value in zip(("CRMWH_MIN_DATE", "CRMWH_MAX_DATE"), window or ("", "")):
        os.environ[name] = value
    (paths.warehouse.parent / "tmp").mkdir(parents=True, exist_ok=True)
    target = (
        DBT_DIR / "target" / f"{context.op_def.name}-{context.run.run_id[:7]}-{uuid.uuid4().hex[:7]}"
    )
    _seed_partial_parse(target, paths.data)
    # a test runs in the group that builds the last of its models (a relationship from
    # fct_balance to dim_account runs with dim_account, after both exist); unit tests check
    # the SQL, not the data: they run in the test suite, not in every build (DECISIONS.md)
    with paths.writer_lock(context.log.warning):
        _check_identity_key(context, paths)
        invocation = dbt.cli(
            ["build", "--indirect-selection", "buildable", "--exclude-resource-type", "unit_test"],
            context=context,
            target_path=target,
        )
        yield from invocation.stream()
    _keep_partial_parse(target, paths.data)
    _prune_targets(context.op_def.name, target)


def _check_identity_key(context: dg.AssetExecutionContext, paths: WarehousePaths) -> None:
    """Party ids are HMACs under the identity key (dbt reads it through the profile's plugin,
    crmwh/dbt_identity.py): stop before a build under another key than the one the work
    file's parties were built under mixes ids of two keys (DECISIONS.md)."""
    from crmwh.dbt_identity import IdentityKeyChanged, check_key
    from marts.masking import identity_key

    try:
        check_key(paths.warehouse, identity_key(), context.run.run_id)
    except IdentityKeyChanged as e:
        raise dg.Failure(description=str(e)) from None


def _partial_parse_file(data: Path) -> Path:
    """dbt's partial-parse state for one warehouse: the profile (the warehouse path) is part
    of what dbt checks, so a state saved for another data folder means a full parse (~6 s
    instead of ~2.5 s a call). One state per data folder, so alternating folders (test
    workers, a second warehouse) keep theirs."""
    key = hashlib.md5(str(Path(data).resolve()).encode()).hexdigest()[:12]
    return DBT_DIR / "target" / "partial_parse" / f"{key}.msgpack"


def _seed_partial_parse(target: Path, data: Path) -> None:
    """Give the call's own target folder this warehouse's saved state (dagster-dbt copies
    the project's `target/partial_parse.msgpack` only into a folder that has none)."""
    saved = _partial_parse_file(data)
    if saved.exists():
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(saved, target / "partial_parse.msgpack")


STALE_STATE_S = 86400  # a warehouse's saved state unused this long is dropped (~3 MB each)


def _keep_partial_parse(target: Path, data: Path) -> None:
    """Save the call's state for the next call on this warehouse (written aside, then
    renamed: another process may be reading it); drop the states of warehouses no call has
    used for a day (test sessions make many: one full parse is all a dropped one costs)."""
    parsed = target / "partial_parse.msgpack"
    if parsed.exists():
        for dest in (_partial_parse_file(data), DBT_DIR / "target" / "partial_parse.msgpack"):
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp = dest.parent / f".partial_parse.{os.getpid()}"
            shutil.copyfile(parsed, tmp)
            os.replace(tmp, dest)
    now = time.time()
    for state in _partial_parse_file(data).parent.glob("*.msgpack"):
        if now - state.stat().st_mtime > STALE_STATE_S:
            state.unlink(missing_ok=True)


# target folders this process's dbt calls used, per group (newest last)
_MY_TARGETS: dict[str, list[Path]] = {}
STALE_TARGET_S = 3600  # a folder whose log is untouched this long belongs to no live call


def _prune_targets(group: str, current: Path) -> None:
    """dagster-dbt gives every dbt call its own target folder (manifest, compiled SQL, logs:
    ~10 MB); keep the newest of each group for debugging, not one per run forever. Only
    folders this process used, or that no call has written to for an hour: another process
    (a second test worker) may be running dbt in the same project right now."""
    mine = _MY_TARGETS.setdefault(group, [])
    mine.append(current)
    old = mine[:-1]
    now = time.time()
    for folder in (DBT_DIR / "target").glob(f"{group}-*"):
        log = folder / "dbt.log"
        touched = (log if log.exists() else folder).stat().st_mtime
        if folder != current and folder not in old and now - touched > STALE_TARGET_S:
            old.append(folder)
    for folder in old:
        shutil.rmtree(folder, ignore_errors=True)
    mine[:] = [current]


@dbt_assets(
    manifest=MANIFEST,
    project=dbt_project,
    dagster_dbt_translator=Translator(),
    select=f"+{DAILY}",
    exclude=DAILY,
    name="dbt_inputs",
    pool=WAREHOUSE_POOL,
)
def dbt_inputs(context: dg.AssetExecutionContext, dbt: DbtCliResource, paths: WarehousePaths):
    yield from _build(context, dbt, paths)


@dbt_assets(
    manifest=MANIFEST,
    project=dbt_project,
    dagster_dbt_translator=Translator(),
    select=DAILY,
    name="dbt_daily",
    partitions_def=biz_dates,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=WAREHOUSE_POOL,
)
def dbt_daily(context: dg.AssetExecutionContext, dbt: DbtCliResource, paths: WarehousePaths):
    yield from _build(context, dbt, paths)  # the window: the run's partitions


@dbt_assets(
    manifest=MANIFEST,
    project=dbt_project,
    dagster_dbt_translator=Translator(),
    exclude=f"+{DAILY} {MONTHLY}",
    name="dbt_tables",
    pool=WAREHOUSE_POOL,
)
def dbt_tables(context: dg.AssetExecutionContext, dbt: DbtCliResource, paths: WarehousePaths):
    yield from _build(context, dbt, paths)


class MonthlyConfig(dg.Config):
    """Set to restate a closed month (the restate job, `crmwh restate`): that month and
    every later one are recomputed and the replaced rows kept in `history` when the run
    publishes. Empty: the open months only."""

    restate_period: str = ""  # YYYYMM
    reason: str = ""


def monthly_window(paths: WarehousePaths) -> tuple[str, str] | None:
    """The monthly group's window: from the first month that is not closed (or an
    unfinished restatement's first month) to every later one. None: every month (nothing
    closed yet)."""
    from marts.month_close import monthly_window_start

    start = monthly_window_start(paths.warehouse)
    return (start.isoformat(), "9999-12-31") if start else None


@dbt_assets(
    manifest=MANIFEST,
    project=dbt_project,
    dagster_dbt_translator=Translator(),
    select=f"{MONTHLY} {CROSS_GROUP}",
    name="dbt_monthly",
    pool=WAREHOUSE_POOL,
)
def dbt_monthly(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    paths: WarehousePaths,
    config: MonthlyConfig,
):
    # Every open month, every run (a late batch or a dimension change moves an open month
    # as it would a clean rebuild); closed months are kept as computed (spec section 8,
    # marts/month_close.py, DECISIONS.md)
    if config.restate_period:
        from marts.month_close import request_restatement

        with paths.writer_lock(context.log.warning):
            rid = request_restatement(paths.warehouse, config.restate_period, config.reason or None)
        context.log.info(f"restatement {rid}: {config.restate_period} and every later month")
    window = monthly_window(paths)
    context.log.info(f"monthly window: {window[0] if window else 'every month'} onward")
    yield from _build(context, dbt, paths, window or ("", ""))


dbt_models = [dbt_inputs, dbt_daily, dbt_tables, dbt_monthly]


def _mart_names() -> list[str]:
    nodes = json.loads(MANIFEST.read_text())["nodes"].values()
    return sorted(n["name"] for n in nodes if n["resource_type"] == "model" and _layer(n) == "marts")


# the analysts' tables (schema marts, the mart_* models under dbt/models/marts): what is
# checked, published and exported
MART_KEYS = [dg.AssetKey(["marts", name]) for name in _mart_names()]


def monthly_marts() -> dict[str, tuple[str, str]]:
    """The marts kept by month close (tag `monthly`), with the column and grain by which
    their rows belong to a month (`window_column`, `window_grain` of replace_window)."""
    nodes = json.loads(MANIFEST.read_text())["nodes"].values()
    return {
        n["name"]: (n["config"]["window_column"], n["config"].get("window_grain") or "day")
        for n in nodes
        if n["resource_type"] == "model" and _layer(n) == "marts" and "monthly" in n["tags"]
    }
