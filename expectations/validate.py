"""Run an entity's suite (`expectations.suites`) with Great Expectations 1.x on a frame
that holds any number of business dates (a `biz_date` column), in one GX validation.

GX runs on pandas (its SQL path to DuckDB, through duckdb-engine, is unreliable). One
ephemeral context per process holds, per entity, a pandas dataframe asset, a
whole-dataframe batch definition, the suite and a validation definition; they are made
on first use and reused. The suite's helper columns (rules relative to each row's
business date, uniqueness per date, ID check characters) are computed in polars; only
the columns the suite reads go to pandas, with decimals as floats (exact enough for
signs and ranges, and vectorised where Decimal objects are not).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import warnings
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import polars as pl

from contract.extracts import Entity
from expectations.suites import BIZ_DATE, ERROR, WARN, Declaration, helper_columns, suite_for

PARTIAL = 10  # values of partial_unexpected_list kept per failed expectation
RESULT_FORMAT = {"result_format": "BASIC", "partial_unexpected_count": PARTIAL}
_NS_YEARS = (1678, 2261)  # datetime64[ns] holds 1677-09-21 .. 2262-04-11
_SEVERITY = {ERROR: "critical", WARN: "warning"}  # ours -> GX's FailureSeverity
_OBSERVED_KEYS = (
    "element_count",
    "unexpected_count",
    "unexpected_percent",
    "missing_count",
    "partial_unexpected_list",
    "observed_value",
)


@dataclass(frozen=True)
class Outcome:
    name: str  # the declaration's name, e.g. "txn_id.unique"
    column: str
    severity: str  # "error" | "warn"
    success: bool
    observed: dict[str, Any] = field(default_factory=dict)  # JSON-serialisable


# --- GX objects, made once per process ------------------------------------------------

_lock = threading.RLock()  # GX objects are shared: one validation at a time per process
_context = None
_runners: dict[tuple[str, str], Any] = {}


def _quiet() -> None:
    logging.getLogger("great_expectations").setLevel(logging.ERROR)


def _get_context():
    global _context
    if _context is None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig
        from great_expectations.execution_engine import pandas_execution_engine

        # GX fingerprints every pandas batch (an md5 of pandas' row hashes: 2.4 s of 3.5 s
        # for 2M transactions) for batch markers that nothing here reads. This process
        # owns GX, so switch it off for all (GX skips it for frames of >= this many bytes)
        pandas_execution_engine.HASH_THRESHOLD = 0
        _quiet()
        ctx = gx.get_context(mode="ephemeral")
        ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        ctx.data_sources.add_pandas("raw")
        _context = ctx
    return _context


def _expectation(decl: Declaration):
    import great_expectations.expectations as gxe

    cls = getattr(gxe, decl.expectation)
    return cls(**decl.kwargs, severity=_SEVERITY[decl.severity], meta={"name": decl.name})


def _runner(entity: Entity):
    """The entity's ValidationDefinition (made on first use)."""
    import great_expectations as gx

    key = (entity.system, entity.name)
    if key not in _runners:
        ctx = _get_context()
        name = f"{entity.system}_{entity.name}"
        asset = ctx.data_sources.get("raw").add_dataframe_asset(name)
        batch = asset.add_batch_definition_whole_dataframe("whole")
        suite = ctx.suites.add(gx.ExpectationSuite(name=name))
        for decl in suite_for(entity):
            suite.add_expectation(_expectation(decl))
        _runners[key] = ctx.validation_definitions.add(
            gx.ValidationDefinition(name=name, data=batch, suite=suite)
        )
    return _runners[key]


# --- frames ---------------------------------------------------------------------------


def _pandas(entity: Entity, frame: pl.DataFrame, decls: list[Declaration]):
    """(the columns the suite reads, with helper columns, decimals as floats, as pandas;
    the integer columns among them)."""
    needed = list(dict.fromkeys(c for d in decls for c in d.columns))
    helpers = {n: e for n, e in helper_columns(entity).items() if n in needed}
    frame = frame.with_columns(expr.alias(name) for name, expr in helpers.items())
    frame = frame.select(needed).with_columns(pl.col(pl.Decimal).cast(pl.Float64))
    # GX compares datetime64[ns] columns vectorised, any other unit value by value (100x
    # slower): use ns unless a value lies outside its range (years 1678-2261)
    ns = [c for c, t in frame.schema.items() if t in (pl.Date, pl.Datetime) and _ns_safe(frame[c])]
    ints = {c for c, t in frame.schema.items() if t.is_integer()}
    return frame.with_columns(pl.col(ns).cast(pl.Datetime("ns"))).to_pandas(), ints


def _ns_safe(s: pl.Series) -> bool:
    years = s.dt.year()
    return s.null_count() == len(s) or (_NS_YEARS[0] <= years.min() and years.max() <= _NS_YEARS[1])


def _jsonable(v: Any) -> Any:
    """GX result values (numpy and pandas scalars, NaN, NaT, Timestamps) as JSON values."""
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    if v is None or pd.isna(v):
        return None
    if isinstance(v, np.generic):
        return _jsonable(v.item())
    if isinstance(v, bool | int | float | str):
        return v
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, dt.date | dt.time):  # datetime and pandas Timestamp too
        return v.isoformat()
    return str(v)


def _observed(result, kind: str | None) -> dict[str, Any]:
    r = dict(result.result or {})
    if "partial_unexpected_list" in r:
        values = list(r["partial_unexpected_list"])[:PARTIAL]
        if kind == "date":  # a date column went to pandas as datetime64: show dates
            values = [v.date() if isinstance(v, dt.datetime) else v for v in values]
        elif kind == "int":  # an integer column with nulls went to pandas as float64
            values = [int(v) if isinstance(v, float) and v.is_integer() else v for v in values]
        r["partial_unexpected_list"] = values
    out = {k: _jsonable(r[k]) for k in _OBSERVED_KEYS if k in r}
    info = result.exception_info or {}
    if info.get("raised_exception"):
        out["exception"] = str(info.get("exception_message"))
    return out


# --- public ---------------------------------------------------------------------------


def validate(entity: Entity, frame: pl.DataFrame) -> list[Outcome]:
    """Run `entity`'s suite on a typed raw frame of any number of business dates.

    `frame` holds the entity's typed columns and a `biz_date` column (pl.Date, no nulls)
    naming each row's business date. One GX validation covers all the rows: counts in
    the outcomes are over the whole frame, and keys must be unique within each date.
    """
    if BIZ_DATE not in frame.columns or frame.schema[BIZ_DATE] != pl.Date:
        raise ValueError(f"validate: the frame needs a {BIZ_DATE!r} column of type Date")
    if frame[BIZ_DATE].null_count():
        raise ValueError(f"validate: {BIZ_DATE!r} has nulls")
    decls = suite_for(entity)
    if not decls:
        return []
    data, ints = _pandas(entity, frame, decls)
    kinds = {c: kind for c, kind in entity.columns} | dict.fromkeys(ints, "int")
    with _lock:  # GX objects are made once, by one thread
        definition = _runner(entity)
    return run_validation(definition, data, decls, kinds)


def run_validation(
    definition, data: pd.DataFrame, decls: list[Declaration], kinds: dict[str, str]
) -> list[Outcome]:
    """Run a ValidationDefinition of this process's context (`gx_context`) on a pandas
    frame: one Outcome per declaration, in their order (`kinds`: column -> "date" or
    "int", how to show its unexpected values).

    run() keeps its result in the context's in-memory store; only the latest result of
    each suite stays there (what `expectations.data_docs` renders).
    """
    by_name = {d.name: d for d in decls}
    with _lock, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = definition.run(batch_parameters={"dataframe": data}, result_format=RESULT_FORMAT)
        store = _get_context().validation_results_store
        keys = [k for k in store.list_keys() if k.expectation_suite_identifier.name == result.suite_name]
        for key in sorted(keys, key=lambda k: k.run_id.run_time)[:-1]:
            store.remove_key(key)
    outcomes = {}
    for r in result.results:
        decl = by_name[r.expectation_config.meta["name"]]
        observed = _observed(r, kinds.get(decl.column))
        outcomes[decl.name] = Outcome(decl.name, decl.column, decl.severity, bool(r.success), observed)
    return [outcomes[d.name] for d in decls]


def gx_context():
    """The process's ephemeral GX context (made on first use): raw and mart suites, their
    latest validation results, and the Data Docs built from them share it."""
    return _get_context()


def validate_batch(entity: Entity, frame: pl.DataFrame, biz_date: dt.date) -> list[Outcome]:
    """`validate` on one business date's batch (`frame` without a `biz_date` column)."""
    return validate(entity, frame.with_columns(pl.lit(biz_date, pl.Date).alias(BIZ_DATE)))


def summarise(outcomes: list[Outcome]) -> tuple[bool, dict[str, Any]]:
    """(passed, metadata): passed is False only when an "error" expectation failed."""
    failed_errors = [o.name for o in outcomes if not o.success and o.severity == ERROR]
    failed_warnings = [o.name for o in outcomes if not o.success and o.severity != ERROR]
    metadata = {
        "expectations": len(outcomes),
        "failed_errors": failed_errors,
        "failed_warnings": failed_warnings,
        "results": {
            o.name: {"column": o.column, "severity": o.severity, "success": o.success, **o.observed}
            for o in outcomes
        },
    }
    return not failed_errors, metadata
