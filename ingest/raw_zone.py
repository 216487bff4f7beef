"""The raw zone: `data/raw/{sys}/{entity}/biz_date={D}/version={v}/ok={h}/part-0.parquet`.

Immutable once written: a restatement adds a higher version beside the older one, a
re-delivery of the same version (a new `.OK`) adds its own `ok=` folder beside the
earlier delivery (`h`: the first 12 hex digits of the `.OK`'s md5), and the audit table
says which delivery is current. Rejected batches are kept as delivered under
`_rejected/`; batches being written wait under `_staging/`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

PART = "part-0.parquet"
OK_DIGITS = 12  # of the .OK's md5, in the `ok=` folder's name and the dbt join


def ok_key(ok_md5: str) -> str:
    return ok_md5[:OK_DIGITS]


def batch_dir(raw_root: Path, sys: str, entity: str, biz_date: str, version: int, ok_md5: str) -> Path:
    return (
        raw_root
        / sys.lower()
        / entity.lower()
        / f"biz_date={biz_date}"
        / f"version={version}"
        / f"ok={ok_key(ok_md5)}"
    )


def part_path(raw_root: Path, sys: str, entity: str, biz_date: str, version: int, ok_md5: str) -> Path:
    return batch_dir(raw_root, sys, entity, biz_date, version, ok_md5) / PART


def promote(staged: Path, raw_root: Path, sys: str, biz_date: str, version: int, ok_md5: str) -> None:
    """Move a staged batch into place, entity by entity (a rename: no partial files).
    Its folder exists already only when an earlier run was stopped before recording the
    delivery in the audit (nothing reads it): that copy is replaced."""
    for entity_dir in sorted(staged.iterdir()):
        target = batch_dir(raw_root, sys, entity_dir.name, biz_date, version, ok_md5)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            shutil.rmtree(target)
        entity_dir.rename(target)
    shutil.rmtree(staged)


def discard(staged: Path | None) -> None:
    if staged is not None:
        shutil.rmtree(staged, ignore_errors=True)


def migrate_flat_versions(raw_root: Path, con) -> int:
    """Raw zones written before the `ok=` level kept one file per version
    (`.../version=v/part-0.parquet`), which dbt's glob no longer reads: move each under the
    `ok=` folder of the delivery that wrote it (the last delivery of that version with
    Parquet, as the audit says). The number of files moved."""
    moved = 0
    for part in sorted(Path(raw_root).glob(f"*/*/biz_date=*/version=*/{PART}")):
        version_dir = part.parent
        sys, biz_date = version_dir.parents[2].name.upper(), version_dir.parent.name.split("=", 1)[1]
        row = con.execute(
            """
            select ok_md5 from audit_batch
            where sys = ? and biz_date = strptime(?, '%Y%m%d')::date and version = ?
              and ok_md5 is not null
              and (status in ('loaded', 'superseded') or reason like 'quality:%')
            order by processed_at desc limit 1""",
            [sys, biz_date, int(version_dir.name.split("=", 1)[1])],
        ).fetchone()
        if row is None:
            continue
        target = version_dir / f"ok={ok_key(row[0])}"
        target.mkdir(exist_ok=True)
        part.rename(target / PART)
        moved += 1
    return moved
