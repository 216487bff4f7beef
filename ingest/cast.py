"""Text fields -> the contract's declared types, with every failed cast reported.

A value that does not match its type's exact text form (`YYYYMMDD`, two decimals for
amounts, four for rates, ...) is a bad cast: the row goes to quarantine, never to a null.
"""

from __future__ import annotations

import functools

import polars as pl

from contract.extracts import Entity

# the raw zone's column types, by contract type
RAW_TYPES: dict[str, pl.DataType] = {
    "str": pl.String(),
    "date": pl.Date(),
    "ts": pl.Datetime("us"),
    "time": pl.Time(),
    "amount": pl.Decimal(18, 2),
    "rate": pl.Decimal(10, 4),
    "decimal": pl.Decimal(18, 6),
    "int": pl.Int64(),
}

# the exact text forms, checked cheaply beside the cast (a regex per column costs more
# than the rest of the read): strptime alone would take '2026071' as a date, and a
# decimal cast alone would take '1.5' as an amount
_LENGTH = {"date": 8, "ts": 14, "time": 6}
_POINT_FROM_END = {"amount": -3, "rate": -5}  # 2 and 4 decimals
_FORMAT = {"date": "%Y%m%d", "ts": "%Y%m%d%H%M%S", "time": "%H%M%S"}

LINE = "_line"  # physical line number (1-based) of the record's first line in its file
TRIM = " \u3000"  # ASCII and full-width spaces


def raw_schema(entity: Entity) -> dict[str, pl.DataType]:
    return {**{c: RAW_TYPES[t] for c, t in entity.columns}, LINE: pl.Int64()}


def _typed(col: str, kind: str) -> pl.Expr:
    c = pl.col(col)
    if kind == "str":
        return c
    if kind in _FORMAT:
        ok = c.str.len_bytes() == _LENGTH[kind]
        parsed = c.str.strptime(RAW_TYPES[kind], _FORMAT[kind], strict=False)
    else:
        parsed = c.cast(RAW_TYPES[kind], strict=False)
        if kind not in _POINT_FROM_END:
            return parsed
        ok = c.str.slice(_POINT_FROM_END[kind], 1) == "."
    return pl.when(ok).then(parsed)


def cast_text(
    frame: pl.DataFrame, entity: Entity, clean: bool
) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """Text columns -> (typed rows, bad rows with a `detail`, control total in cents).

    `frame` holds the entity's columns as text plus `_line`. With `clean`, fields are
    first trimmed of ASCII and full-width spaces, and empty fields become null. The
    control total sums the amount column over every row, bad casts included.
    One polars query does it all: per-file overhead matters with thousands of files.
    """
    cleaning, typing = _expressions(entity, clean)
    lazy = frame.lazy()
    if cleaning:
        lazy = lazy.with_columns(cleaning)
    typed = lazy.select(typing).collect()
    total = 0
    if entity.amount_column and typed.height:
        s = typed[entity.amount_column].sum()
        total = int(round(s * 100)) if s is not None else 0
    bad_mask = typed["_bad"]
    if not bad_mask.any():
        return typed.drop("_bad"), pl.DataFrame(schema={"detail": pl.String}), total
    bad = lazy.filter(bad_mask).collect()
    checked = [(c, t) for c, t in entity.columns if t != "str"]
    detail = pl.concat_str(
        [
            pl.when(pl.col(c).is_not_null() & _typed(c, t).is_null()).then(
                pl.lit(f"{c} '") + pl.col(c) + pl.lit(f"' is not a valid {t}; ")
            )
            for c, t in checked
        ],
        ignore_nulls=True,
    ).str.strip_chars_end("; ")
    return typed.filter(~bad_mask).drop("_bad"), bad.with_columns(detail=detail), total


@functools.cache
def _expressions(entity: Entity, clean: bool) -> tuple[list[pl.Expr], list[pl.Expr]]:
    """Built once per entity: building polars expressions costs more than running them
    on a small file."""
    cleaning = [_empty_is_null(pl.col(c).str.strip_chars(TRIM)) for c in entity.column_names]
    checked = [(c, t) for c, t in entity.columns if t != "str"]
    failed = [pl.col(c).is_not_null() & _typed(c, t).is_null() for c, t in checked]
    typing = [
        *[_typed(c, t).alias(c) for c, t in entity.columns],
        pl.col(LINE),
        (pl.any_horizontal(failed) if failed else pl.lit(False)).alias("_bad"),
    ]
    return (cleaning if clean else []), typing


def _empty_is_null(e: pl.Expr) -> pl.Expr:
    return pl.when(e != "").then(e)
