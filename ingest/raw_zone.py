"""The raw zone: `data/raw/{sys}/{entity}/biz_date={D}/version={v}/part-0.parquet`.

Immutable once written: a restatement adds a higher version beside the older one, and
the audit table says which version is current. Rejected batches are kept as delivered
under `_rejected/`; batches being written wait under `_staging/`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

PART = "part-0.parquet"


def batch_dir(raw_root: Path, sys: str, entity: str, biz_date: str, version: int) -> Path:
    return raw_root / sys.lower() / entity.lower() / f"biz_date={biz_date}" / f"version={version}"


def part_path(raw_root: Path, sys: str, entity: str, biz_date: str, version: int) -> Path:
    return batch_dir(raw_root, sys, entity, biz_date, version) / PART


def promote(staged: Path, raw_root: Path, sys: str, biz_date: str, version: int) -> None:
    """Move a staged batch into place, entity by entity (a rename: no partial files)."""
    for entity_dir in sorted(staged.iterdir()):
        target = batch_dir(raw_root, sys, entity_dir.name, biz_date, version)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():  # the same version re-delivered with new content
            shutil.rmtree(target)
        entity_dir.rename(target)
    shutil.rmtree(staged)


def discard(staged: Path | None) -> None:
    if staged is not None:
        shutil.rmtree(staged, ignore_errors=True)
