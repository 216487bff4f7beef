"""The ingest's limits on a delivered batch, from the seed `dbt/seeds/ingest_limits.csv`
(a bank tunes them there, beside every other parameter)."""

from __future__ import annotations

import csv
from dataclasses import dataclass, fields
from pathlib import Path

SEED = Path(__file__).resolve().parents[1] / "dbt" / "seeds" / "ingest_limits.csv"


@dataclass(frozen=True)
class Limits:
    max_quarantine_share: float = 0.05
    quarantine_allowance: int = 5
    min_full_snapshot_ratio: float = 0.5
    min_full_snapshot_rows: int = 20
    max_line_bytes: int = 1 << 20
    max_file_bytes: int = 4 << 30


def load_limits(seed: Path = SEED) -> Limits:
    """The seed's values; a limit the seed does not name keeps its default."""
    with seed.open(encoding="utf-8", newline="") as f:
        given = {r["name"]: r["value"] for r in csv.DictReader(f)}
    unknown = set(given) - {f.name for f in fields(Limits)}
    if unknown:
        raise ValueError(f"{seed.name}: unknown limits {sorted(unknown)}")
    # annotations are strings here (postponed evaluation): "int" or "float"
    cast = {"int": lambda v: int(float(v)), "float": float}
    return Limits(**{f.name: cast[f.type](given[f.name]) for f in fields(Limits) if f.name in given})
