"""What the analyst notebooks (notebooks/) read the published warehouse with.

Only published things: `warehouse/crm.duckdb` opened read-only (a run replaces the file
atomically, so an open connection keeps the version it opened) and the Parquet exports.
Never `work.duckdb`, which runs write.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import polars as pl

from marts.exports import mart_dataset

REPO = Path(__file__).resolve().parents[1]


def data_dir() -> Path:
    """`$CRMWH_DATA` (what `crmwh run --data` wrote), else the repository's `data/`."""
    return Path(os.environ.get("CRMWH_DATA") or REPO / "data").resolve()


def published(data: Path | None = None) -> duckdb.DuckDBPyConnection:
    """The published marts, read-only; a clear error when nothing has been published."""
    path = (data or data_dir()) / "warehouse" / "crm.duckdb"
    if not path.exists():
        raise FileNotFoundError(
            f"no published warehouse at {path}: run `make demo` "
            "(or `crmwh run`) first, or set CRMWH_DATA"
        )
    return duckdb.connect(str(path), read_only=True)


def query(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pl.DataFrame:
    """A query's result as a polars frame; decimals as floats, which plots and ratios want."""
    return _floats(con.sql(sql, params=params or None).pl())


def export(mart: str, org_id: str | None = None, data: Path | None = None) -> pl.DataFrame:
    """A mart from the Parquet exports (whole bank, or one organisation's subtree), as a
    BI tool sees it: identity as masks and keyed hashes, the partition column included."""
    exports = (data or data_dir()) / "exports"
    dataset = mart_dataset(exports, mart, org_id)
    if not dataset.files:
        raise FileNotFoundError(f"no Parquet export of {mart} under {exports}")
    return _floats(pl.from_arrow(dataset.to_table()))


def _floats(df: pl.DataFrame) -> pl.DataFrame:
    return df.with_columns(pl.col(pl.Decimal).cast(pl.Float64))


def drawn(fig):
    """The figure, after checking every axes shows data: an empty chart is an error,
    not a picture (the notebooks' tests rely on it)."""
    for ax in fig.get_axes():
        if ax.get_label() == "<colorbar>":
            continue
        artists = [*ax.lines, *ax.patches, *ax.collections, *ax.images]
        if not artists:
            raise ValueError(f"empty chart: {ax.get_title() or fig.get_suptitle() or 'untitled'}")
    return fig
