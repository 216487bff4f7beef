"""Great Expectations suites for the raw zone, one per contract entity, derived from the contract.

`suite_for(entity)` lists what one business date's batch of an entity must satisfy, as
plain declarations (`Declaration`); `expectations.validate` turns them into GX 1.x
expectations and runs them. Everything comes from `ingest.contract`: key columns, column
types and the code sets. Only which column uses which code set, and a few ranges, are
named here.

Severities: "error" must hold (a failure blocks what is downstream of the batch); "warn"
is expected dirt the later layers handle, reported with its counts.

Bounds that depend on the business date are GX suite parameters (`$PARAMETER`), so one
suite per entity serves every date; `parameters(biz_date)` gives their values.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache

import polars as pl

from ingest.contract import (
    CODE_SETS,
    ENTITIES,
    KPI_INDICATORS,
    LEGACY_SYSTEMS,
    PRODUCTS,
    SYSTEMS,
    Entity,
)
from ingest.idcodes import ID_CHECK, ID_WEIGHTS, ORG_WEIGHTS, USCC_ALPHABET, USCC_WEIGHTS

ERROR = "error"
WARN = "warn"

# --- declarations ---------------------------------------------------------------------


@dataclass(frozen=True)
class Declaration:
    """One expectation of a suite: a GX 1.x expectation class and its arguments."""

    name: str  # unique within the suite: "<column>.<check>"
    expectation: str  # class name in great_expectations.expectations
    column: str  # the column checked ("a,b,c" for a compound key)
    severity: str  # ERROR | WARN
    kwargs: Mapping = field(default_factory=dict)  # column/column_list, value_set, bounds, mostly

    @property
    def columns(self) -> list[str]:
        return self.column.split(",")


# --- business-date parameters ---------------------------------------------------------

BIZ_DATE = {"$PARAMETER": "biz_date"}  # D at 00:00
NEXT_DATE = {"$PARAMETER": "next_date"}  # D + 1 at 00:00 (exclusive bound for timestamps)


def parameters(biz_date: dt.date) -> dict[str, dt.datetime]:
    """Values of the suite parameters for one business date (pandas compares datetimes)."""
    d = dt.datetime.combine(biz_date, dt.time())
    return {"biz_date": d, "next_date": d + dt.timedelta(days=1)}


# --- what the contract says about columns ---------------------------------------------

# column -> CODE_SETS name (id_type depends on the system's party kind: see _code_set)
CODE_COLUMNS: dict[str, str] = {
    "gender": "gender",
    "scale": "scale",
    "cust_status": "cust_status",
    "acct_status": "acct_status",
    "acct_kind": "acct_kind",
    "five_class": "five_class",
    "dr_cr": "dr_cr",
    "channel": "channel",
    "currency": "currency",
    "txn_code": "txn_code",
    "org_level": "org_level",
    "purpose": "assign_purpose",
    "status": "manager_status",
}

EARLIEST = dt.datetime(1900, 1, 1)
LATEST = dt.datetime(2100, 1, 1)

# date columns that cannot lie after the business date
NOT_AFTER_D = {"open_date", "close_date", "birth_date", "hire_date"}
# the event time of "rows of D only" entities: on D
DAY_COLUMN = {"txn_date", "contact_ts", "entered_ts"}
# ... except that a transaction sent again in the next days' file keeps its own date
# (contract dirt 5): a txn_date before D is a warning, after D an error
EARLIER_ALLOWED = {"txn_date"}

# (system or None for any, entity, column) -> (min, max, strict_min, severity)
VALUE_RANGES: dict[tuple[str | None, str, str], tuple[float | None, float | None, bool, str]] = {
    (None, "TXN", "amount"): (0, None, True, ERROR),  # amount > 0
    ("WMS", "ACCT", "balance"): (0, None, False, ERROR),  # market value = shares x nav
    # the contract says >= 0, but a late reversal after a full repayment leaves a credit
    # balance (seen with --dirt heavy): reported, not blocking
    ("CCS", "ACCT", "balance"): (0, None, False, WARN),
    (None, "ASSIGN", "share_pct"): (0, 100, False, ERROR),
    (None, "MANAGER", "grade"): (1, 10, False, ERROR),
    (None, "FXRATE", "rate_to_cny"): (0, None, True, ERROR),
}

ID_CHECK_COLUMN = "_id_no_check_ok"  # helper: True/False for checked id_types, null otherwise
ID_CHECK_MOSTLY = 0.95


def _code_set(entity: Entity, column: str, kind: str) -> list | None:
    if column == "id_type":
        values = CODE_SETS[f"{SYSTEMS[entity.system].party_kind}_id_type"]
    elif column == "product_code":  # an account carries a product of its own system
        values = {p.code for p in PRODUCTS.values() if p.system == entity.system}
    elif column == "sys":  # CRM and PUB rows name a legacy source system
        values = set(LEGACY_SYSTEMS)
    elif column == "indicator":
        values = set(KPI_INDICATORS)
    elif column in CODE_COLUMNS:
        values = CODE_SETS[CODE_COLUMNS[column]]
    else:
        return None
    return sorted(int(v) for v in values) if kind == "int" else sorted(values)


def _date_bounds(column: str, kind: str) -> tuple[dict | dt.datetime, dict | dt.datetime, bool]:
    """(min, max, strict_max) for a date or timestamp column."""
    if column in DAY_COLUMN and column not in EARLIER_ALLOWED:
        return (BIZ_DATE, BIZ_DATE, False) if kind == "date" else (BIZ_DATE, NEXT_DATE, True)
    if column in NOT_AFTER_D or column in EARLIER_ALLOWED:
        return EARLIEST, BIZ_DATE, False
    if kind == "ts":  # a record's timestamps are not after the end of D
        return EARLIEST, NEXT_DATE, True
    return EARLIEST, LATEST, False


# --- suites ---------------------------------------------------------------------------


@cache
def _suite(key: tuple[str, str]) -> tuple[Declaration, ...]:
    entity = ENTITIES[key]
    out: list[Declaration] = []

    def add(name: str, expectation: str, target: str, severity: str, **kwargs) -> None:
        out.append(Declaration(name, expectation, target, severity, kwargs))

    for k in entity.keys:
        add(f"{k}.not_null", "ExpectColumnValuesToNotBeNull", k, ERROR, column=k)
    # duplicate transactions are contract dirt (item 5) that the dbt layer drops
    unique = WARN if entity.name == "TXN" else ERROR
    if len(entity.keys) == 1:
        (k,) = entity.keys
        add(f"{k}.unique", "ExpectColumnValuesToBeUnique", k, unique, column=k)
    elif entity.keys:
        cols = ",".join(entity.keys)
        add(
            f"{cols}.unique",
            "ExpectCompoundColumnsToBeUnique",
            cols,
            unique,
            column_list=list(entity.keys),
        )

    for c, kind in entity.columns:
        values = _code_set(entity, c, kind)
        if values is not None:
            add(f"{c}.in_set", "ExpectColumnValuesToBeInSet", c, ERROR, column=c, value_set=values)
        if kind in ("date", "ts"):
            lo, hi, strict_max = _date_bounds(c, kind)
            add(
                f"{c}.in_range",
                "ExpectColumnValuesToBeBetween",
                c,
                ERROR,
                column=c,
                min_value=lo,
                max_value=hi,
                strict_max=strict_max,
            )
        if c in EARLIER_ALLOWED:
            add(
                f"{c}.is_biz_date",
                "ExpectColumnValuesToBeBetween",
                c,
                WARN,
                column=c,
                min_value=BIZ_DATE,
                max_value=BIZ_DATE,
            )
        for sys in (entity.system, None):
            rng = VALUE_RANGES.get((sys, entity.name, c))
            if rng:
                lo, hi, strict_min, severity = rng
                add(
                    f"{c}.in_range",
                    "ExpectColumnValuesToBeBetween",
                    c,
                    severity,
                    column=c,
                    min_value=lo,
                    max_value=hi,
                    strict_min=strict_min,
                )
                break

    if "id_no" in entity.column_names and "id_type" in entity.column_names:
        add(
            "id_no.check_rate",
            "ExpectColumnValuesToBeInSet",
            ID_CHECK_COLUMN,
            WARN,
            column=ID_CHECK_COLUMN,
            value_set=[True],
            mostly=ID_CHECK_MOSTLY,
        )
    return tuple(out)


def suite_for(entity: Entity) -> list[Declaration]:
    """The expectations one business date's batch of `entity` must satisfy."""
    return list(_suite((entity.system, entity.name)))


def helper_columns(entity: Entity) -> dict[str, pl.Expr]:
    """Columns computed before validation that some declarations check."""
    names = entity.column_names
    if "id_no" in names and "id_type" in names:
        return {ID_CHECK_COLUMN: id_check_ok(pl.col("id_type"), pl.col("id_no"))}
    return {}


# --- ID number check characters, vectorised (same rules as ingest.idcodes) ------------

_ORG_VALUE = {c: i for i, c in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")}
_USCC_VALUE = {c: i for i, c in enumerate(USCC_ALPHABET)}
# GB 11714: check = 11 - sum % 11, written X for 10 and 0 for 11
_ORG_CHECK = {r: {10: "X", 11: "0"}.get(11 - r, str(11 - r)) for r in range(11)}


def _weighted(code: pl.Expr, weights, values: dict[str, int] | None) -> pl.Expr:
    terms = []
    for i, w in enumerate(weights):
        ch = code.str.slice(i, 1)
        v = (
            ch.cast(pl.Int64, strict=False)
            if values is None
            else ch.replace_strict(values, default=None, return_dtype=pl.Int64)
        )
        terms.append(v * int(w))
    return pl.sum_horizontal(terms)


def _org_code_ok(code: pl.Expr) -> pl.Expr:
    """GB 11714 on a 9-character code (no hyphen); False when malformed."""
    check = (_weighted(code, ORG_WEIGHTS, _ORG_VALUE) % 11).replace_strict(
        _ORG_CHECK, return_dtype=pl.String
    )
    shaped = code.str.contains(r"^[0-9A-Z]{8}[0-9X]$")
    return pl.when(shaped).then(check == code.str.slice(8, 1)).otherwise(False)


def id_check_ok(id_type: pl.Expr, id_no: pl.Expr) -> pl.Expr:
    """Whether an ID number passes the check of its type; null for unchecked types.

    A missing number of a checked type does not pass.

    01: an 18-digit GB 11643 number with a valid check digit, or an old 15-digit number;
    21: a GB 32100 unified social credit code (its organisation code valid too);
    22: a GB 11714 organisation code (with or without the hyphen before the check).
    """
    s = id_no.str.to_uppercase()
    id18 = s.str.contains(r"^\d{17}[\dX]$")
    id_check = (_weighted(s, ID_WEIGHTS, None) % 11).replace_strict(
        dict(enumerate(ID_CHECK)), return_dtype=pl.String
    )
    person = (id18 & (id_check == s.str.slice(17, 1))) | s.str.contains(r"^\d{15}$")
    person = pl.when(id18 | s.str.contains(r"^\d{15}$")).then(person).otherwise(False)

    uscc_shaped = s.str.contains(f"^[{re.escape(USCC_ALPHABET)}]{{18}}$")
    uscc_sum = _weighted(s, USCC_WEIGHTS, _USCC_VALUE)
    uscc_check = ((31 - uscc_sum % 31) % 31).replace_strict(
        dict(enumerate(USCC_ALPHABET)), return_dtype=pl.String
    )
    uscc = (
        pl.when(uscc_shaped)
        .then((uscc_check == s.str.slice(17, 1)) & _org_code_ok(s.str.slice(8, 9)))
        .otherwise(False)
    )

    org = _org_code_ok(s.str.replace_all("-", "", literal=True))

    return (
        pl.when(id_type == "01")
        .then(person)
        .when(id_type == "21")
        .then(uscc)
        .when(id_type == "22")
        .then(org)
        .otherwise(None)
    )
