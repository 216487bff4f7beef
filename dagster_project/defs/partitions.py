"""Business dates (`YYYYMMDD`, as the extract contract names them) as daily partitions.

The range starts at `CRMWH_FIRST_DATE` (default 2024-01-01) and ends today, or at
`CRMWH_LAST_DATE` for a landing folder dated in the future.
"""

from __future__ import annotations

import datetime as dt
import os

import dagster as dg

DATE_FMT = "%Y%m%d"

_last = os.environ.get("CRMWH_LAST_DATE")
biz_dates = dg.DailyPartitionsDefinition(
    start_date=dt.datetime.fromisoformat(os.environ.get("CRMWH_FIRST_DATE", "2024-01-01")),
    end_date=dt.datetime.fromisoformat(_last) if _last else None,
    fmt=DATE_FMT,
    end_offset=1,  # today's business date may already be complete
)


def range_tags(first: str, last: str) -> dict[str, str]:
    """Run tags for one run over a range of dates (the single-run backfill policy)."""
    return {
        "dagster/asset_partition_range_start": first,
        "dagster/asset_partition_range_end": last,
    }


def run_window(tags: dict[str, str]) -> tuple[str, str] | None:
    """A run's business dates (`YYYYMMDD`, first and last) from its tags: the range of a
    single-run backfill, or one partition; None for a run over every date."""
    first = tags.get("dagster/asset_partition_range_start") or tags.get("dagster/partition")
    last = tags.get("dagster/asset_partition_range_end") or first
    return (first, last) if first else None
