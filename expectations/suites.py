"""Great Expectations suites for the raw zone, one per contract entity, derived from the contract.

`suite_for(entity)` lists what an entity's typed frame must satisfy, as plain
declarations (`Declaration`); `expectations.validate` turns them into GX 1.x
expectations and runs them. Everything comes from `ingest.contract`: key columns, column
types and the code sets. Only which column uses which code set, and a few ranges, are
named here.

A frame may hold many business dates: each row names its own in a `biz_date` column
(`BIZ_DATE`). Rules relative to that date are stated on helper columns computed in
polars before validation (`helper_columns`), so a suite has no parameters and one GX
validation covers every date:

- `_{col}__days_after_d`: days from the row's business date D to a date column;
- `_{col}__secs_since_d`: whole seconds from D 00:00 to a timestamp column (floored);
- `_{keys}__repeated_in_date`: the key (`date|key|...`) of a row whose key occurs more
  than once on its business date, null otherwise (a key may repeat across dates: delta
  snapshots re-deliver changed records daily).

Severities: "error" must hold (a failure blocks what is downstream of the batch); "warn"
is expected dirt the later layers handle, reported with its counts.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache

import polars as pl

from contract.extracts import (
    CODE_SETS,
    ENTITIES,
    KPI_INDICATORS,
    LEGACY_SYSTEMS,
    PRODUCTS,
    SYSTEMS,
    Entity,
)
from contract.idcodes import ID_CHECK, ID_WEIGHTS, ORG_WEIGHTS, USCC_ALPHABET, USCC_WEIGHTS

ERROR = "error"
WARN = "warn"

# --- declarations ---------------------------------------------------------------------


@dataclass(frozen=True)
class Declaration:
    """One expectation of a suite: a GX 1.x expectation class and its arguments."""

    name: str  # unique within the suite: "<column>.<check>"
    expectation: str  # class name in great_expectations.expectations
    column: str  # the column checked: a typed column or a helper column (helper_columns)
    severity: str  # ERROR | WARN
    kwargs: Mapping = field(default_factory=dict)  # column, value_set, bounds, mostly

    @property
    def columns(self) -> list[str]:
        return self.column.split(",")


# --- the business date and the helper columns relative to it -------------------------

BIZ_DATE = "biz_date"  # the frame's column naming each row's business date D (pl.Date)
SECONDS_PER_DAY = 86_400


def days_after_d(column: str) -> str:
    """Helper: days from the row's D to a date column's value (0 on D, < 0 before)."""
    return f"_{column}__days_after_d"


def secs_since_d(column: str) -> str:
    """Helper: whole seconds from the row's D 00:00 to a timestamp (0 .. 86399 on D)."""
    return f"_{column}__secs_since_d"


def repeated_in_date(keys: tuple[str, ...]) -> str:
    """Helper: a row's `D|key...` when its key occurs more than once on its D, else null."""
    return f"_{'__'.join(keys)}__repeated_in_date"


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


def _relative(column: str, kind: str) -> tuple[str, pl.Expr]:
    """The helper column of a date ("date") or timestamp ("ts") column relative to D."""
    d = pl.col(BIZ_DATE)
    if kind == "date":
        return days_after_d(column), (pl.col(column) - d).dt.total_days()
    # floored, so that a fraction of a second before D 00:00 is not on D
    since = pl.col(column).cast(pl.Datetime("us")) - d.cast(pl.Datetime("us"))
    return secs_since_d(column), since.dt.total_microseconds() // 1_000_000


def _repeated(keys: tuple[str, ...]) -> pl.Expr:
    """`D|key...` of rows whose key occurs again on their D; null otherwise (and for a
    missing key part, which `<key>.not_null` reports)."""
    return pl.struct(BIZ_DATE, *keys).map_batches(
        _label_repeated, return_dtype=pl.String, is_elementwise=False
    )


def _label_repeated(rows: pl.Series) -> pl.Series:
    # on the materialised struct: labels only for the (few) repeated rows
    parts = rows.struct.unnest()
    repeated = (
        rows.is_duplicated()
        & pl.select(pl.all_horizontal(pl.lit(c).is_not_null() for c in parts)).to_series()
    )
    labels = parts.filter(repeated).select(
        pl.concat_str([pl.col(c).cast(pl.String) for c in parts.columns], separator="|")
    )
    out = pl.repeat(None, len(rows), dtype=pl.String, eager=True)
    return out.scatter(repeated.arg_true(), labels.to_series())


# --- suites ---------------------------------------------------------------------------


@cache
def _suite(key: tuple[str, str]) -> tuple[tuple[Declaration, ...], tuple[tuple[str, pl.Expr], ...]]:
    """(declarations, helper columns) of an entity."""
    entity = ENTITIES[key]
    out: list[Declaration] = []
    helpers: dict[str, pl.Expr] = {}

    def add(name: str, expectation: str, target: str, severity: str, **kwargs) -> None:
        out.append(Declaration(name, expectation, target, severity, kwargs))

    def between(name: str, target: str, severity: str, **bounds) -> None:
        add(name, "ExpectColumnValuesToBeBetween", target, severity, column=target, **bounds)

    def relative(c: str, kind: str) -> str:
        name, expr = _relative(c, kind)
        helpers[name] = expr
        return name

    for k in entity.keys:
        add(f"{k}.not_null", "ExpectColumnValuesToNotBeNull", k, ERROR, column=k)
    if entity.keys:
        # unique per business date; duplicate transactions are contract dirt (item 5)
        # that the dbt layer drops
        repeated = repeated_in_date(entity.keys)
        helpers[repeated] = _repeated(entity.keys)
        severity = WARN if entity.name == "TXN" else ERROR
        name = f"{','.join(entity.keys)}.unique"
        add(name, "ExpectColumnValuesToBeNull", repeated, severity, column=repeated)

    for c, kind in entity.columns:
        values = _code_set(entity, c, kind)
        if values is not None:
            add(f"{c}.in_set", "ExpectColumnValuesToBeInSet", c, ERROR, column=c, value_set=values)
        if kind in ("date", "ts"):
            on_d = c in DAY_COLUMN and c not in EARLIER_ALLOWED
            if on_d and kind == "date":
                between(f"{c}.in_range", relative(c, kind), ERROR, min_value=0, max_value=0)
            elif on_d:  # [D 00:00, D + 1 00:00)
                between(
                    f"{c}.in_range",
                    relative(c, kind),
                    ERROR,
                    min_value=0,
                    max_value=SECONDS_PER_DAY,
                    strict_max=True,
                )
            else:
                between(f"{c}.in_range", c, ERROR, min_value=EARLIEST, max_value=LATEST)
            if c in NOT_AFTER_D or c in EARLIER_ALLOWED:
                between(f"{c}.not_after_d", relative(c, kind), ERROR, max_value=0)
            elif kind == "ts" and not on_d:  # a record's timestamps: not after the end of D
                between(
                    f"{c}.not_after_d",
                    relative(c, kind),
                    ERROR,
                    max_value=SECONDS_PER_DAY,
                    strict_max=True,
                )
        if c in EARLIER_ALLOWED:
            between(f"{c}.is_biz_date", relative(c, kind), WARN, min_value=0, max_value=0)
        for sys in (entity.system, None):
            rng = VALUE_RANGES.get((sys, entity.name, c))
            if rng:
                lo, hi, strict_min, severity = rng
                between(f"{c}.in_range", c, severity, min_value=lo, max_value=hi, strict_min=strict_min)
                break

    if "id_no" in entity.column_names and "id_type" in entity.column_names:
        helpers[ID_CHECK_COLUMN] = id_check_ok(pl.col("id_type"), pl.col("id_no"))
        add(
            "id_no.check_rate",
            "ExpectColumnValuesToBeInSet",
            ID_CHECK_COLUMN,
            WARN,
            column=ID_CHECK_COLUMN,
            value_set=[True],
            mostly=ID_CHECK_MOSTLY,
        )
    return tuple(out), tuple(helpers.items())


def suite_for(entity: Entity) -> list[Declaration]:
    """The expectations a frame of `entity` (any number of business dates) must satisfy."""
    return list(_suite((entity.system, entity.name))[0])


def helper_columns(entity: Entity) -> dict[str, pl.Expr]:
    """Columns computed (in polars, from the typed columns and `biz_date`) before
    validation that some declarations check."""
    return dict(_suite((entity.system, entity.name))[1])


# --- ID number check characters, vectorised (same rules as ingest.idcodes) ------------

_ORG_VALUE = {c: i for i, c in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")}
_USCC_VALUE = {c: i for i, c in enumerate(USCC_ALPHABET)}
# GB 11714: check = 11 - sum % 11, written X for 10 and 0 for 11
_ORG_CHECK = {r: {10: "X", 11: "0"}.get(11 - r, str(11 - r)) for r in range(11)}


def _weighted(code: pl.Expr, weights, values: dict[str, int]) -> pl.Expr:
    """Sum of character values times weights, position by position.

    Runs on the materialised column: an eager select would evaluate `code` again for
    each position it reads (3x slower on a million numbers).
    """

    def run(s: pl.Series) -> pl.Series:
        c = pl.lit(s)
        terms = [
            c.str.slice(i, 1).replace_strict(values, default=None, return_dtype=pl.Int64) * int(w)
            for i, w in enumerate(weights)
        ]
        return pl.select(pl.sum_horizontal(terms)).to_series()

    return code.map_batches(run, return_dtype=pl.Int64, is_elementwise=True)


def _org_code_ok(code: pl.Expr) -> pl.Expr:
    """GB 11714 on a 9-character code (no hyphen); False when malformed."""
    check = (_weighted(code, ORG_WEIGHTS, _ORG_VALUE) % 11).replace_strict(
        _ORG_CHECK, return_dtype=pl.String
    )
    shaped = code.str.contains(r"^[0-9A-Z]{8}[0-9X]$")
    return pl.when(shaped).then(check == code.str.slice(8, 1)).otherwise(False)


def _gb11643_sum(first17: pl.Series) -> pl.Series:
    """Weighted digit sum of 17-digit integers (GB 11643), by integer arithmetic."""
    return sum((first17 // 10 ** (16 - i)) % 10 * int(w) for i, w in enumerate(ID_WEIGHTS))


def id_check_ok(id_type: pl.Expr, id_no: pl.Expr) -> pl.Expr:
    """Whether an ID number passes the check of its type; null for unchecked types.

    A missing number of a checked type does not pass.

    01: an 18-digit GB 11643 number with a valid check digit, or an old 15-digit number;
    21: a GB 32100 unified social credit code (its organisation code valid too);
    22: a GB 11714 organisation code (with or without the hyphen before the check).
    """
    s = id_no.str.to_uppercase()
    # each rule reads only the numbers of its types (the others null: no string work)
    p, u, o = (pl.when(id_type == t).then(s) for t in ("01", "21", "22"))

    id18 = p.str.contains(r"^\d{17}[\dX]$")
    id15 = p.str.contains(r"^\d{15}$")
    # the first 17 digits as one integer (cheaper than 17 one-character strings)
    first17 = p.str.slice(0, 17).cast(pl.Int64, strict=False)
    weighted = first17.map_batches(_gb11643_sum, return_dtype=pl.Int64, is_elementwise=True)
    id_check = (weighted % 11).replace_strict(dict(enumerate(ID_CHECK)), return_dtype=pl.String)
    person = pl.when(id18).then(id_check == p.str.slice(17, 1)).otherwise(id15.fill_null(False))

    uscc_shaped = u.str.contains(f"^[{re.escape(USCC_ALPHABET)}]{{18}}$")
    uscc_sum = _weighted(u, USCC_WEIGHTS, _USCC_VALUE)
    uscc_check = ((31 - uscc_sum % 31) % 31).replace_strict(
        dict(enumerate(USCC_ALPHABET)), return_dtype=pl.String
    )
    uscc = (
        pl.when(uscc_shaped)
        .then((uscc_check == u.str.slice(17, 1)) & _org_code_ok(u.str.slice(8, 9)))
        .otherwise(False)
    )

    org = _org_code_ok(o.str.replace_all("-", "", literal=True))

    return (
        pl.when(id_type == "01")
        .then(person)
        .when(id_type == "21")
        .then(uscc)
        .when(id_type == "22")
        .then(org)
        .otherwise(None)
    )
