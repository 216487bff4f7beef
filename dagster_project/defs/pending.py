"""What is left to do: business dates with a delivery not yet ingested, and the dates
loaded since the marts were last published (what a build has to recompute).

Both the command line (`crmwh run`) and the schedule and sensors ask these questions, so
a run started by hand and one started by Dagster cover the same dates.
"""

import datetime as dt
import json
from pathlib import Path

import duckdb

from dagster_project.defs.partitions import biz_dates
from ingest.landing import scan
from ingest.run import pending_dates


def landed_dates(landing: Path) -> tuple[list[str], list[str]]:
    """Business dates with anything in the landing folder: (inside, outside) the partitions."""
    dates = sorted({d for _, d in scan(landing)})
    valid = set(biz_dates.get_partition_keys())
    return [d for d in dates if d in valid], [d for d in dates if d not in valid]


def new_dates(landing: Path, warehouse: Path) -> list[str]:
    """Business dates of the landing folder with a delivery not yet ingested. Dates
    outside the partitions (in the future, or before CRMWH_FIRST_DATE) are not run: the
    ingest records their files in `audit_landing` (`bad_date`), and the other dates go on."""
    dates, _outside = landed_dates(landing)
    pending = set(pending_dates(landing, warehouse))
    return [d for d in dates if d in pending]


def _published_at(published: Path) -> dt.datetime | None:
    if not published.exists():
        return None
    with duckdb.connect(str(published), read_only=True) as con:
        row = con.execute("select max(published_at) from meta.published").fetchone()
    return row[0]


def unpublished_window(warehouse: Path, published: Path) -> tuple[str, str] | None:
    """(first, last) `YYYYMMDD`: from the earliest date whose batches changed since the last
    publish (loaded, restated, rejected) to the latest loaded date; every loaded date when
    nothing was published yet; None when nothing changed. A restated or late batch of an
    old date thus rebuilds everything after it, which is what a clean rebuild gives."""
    if not warehouse.exists():
        return None
    since = _published_at(published)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        first, last = con.execute(
            """
            select min(biz_date) filter (where ?::timestamp is null or processed_at > ?),
                   max(biz_date) filter (where is_current)
            from audit_batch where status in ('loaded', 'superseded', 'rejected')
        """,
            [since, since],
        ).fetchone()
    if first is None or last is None:
        return None
    return first.strftime("%Y%m%d"), max(first, last).strftime("%Y%m%d")


def published_run_id(published: Path) -> str | None:
    """The run that built the published file (`meta.published.run_id`); None: none yet."""
    if not published.exists():
        return None
    with duckdb.connect(str(published), read_only=True) as con:
        row = con.execute("select run_id from meta.published").fetchone()
    return row[0] if row else None


def exports_run_id(exports: Path) -> str | None:
    """The published run the current exports were made from (their `manifest.json`)."""
    try:
        return json.loads((exports / "manifest.json").read_text())["published_run_id"]
    except (OSError, ValueError, KeyError):
        return None


def lineage_run_id(docs: Path) -> str | None:
    """The published run the lineage report describes (`lineage.json`, written last)."""
    try:
        return json.loads((docs / "lineage.json").read_text())["header"]["Dagster run id"]
    except (OSError, ValueError, KeyError):
        return None


def readers_run_id(readers: Path) -> str | None:
    """The published run the readers' folders were made from (`published_run.json`)."""
    try:
        return json.loads((readers / "published_run.json").read_text())["published_run_id"]
    except (OSError, ValueError, KeyError):
        return None


def incomplete_publish(
    published: Path, exports: Path, docs: Path, readers: Path | None = None
) -> list[str]:
    """What a publish still lacks ("exports", "lineage", "readers"): a publish counts only
    when the published file, the exports, the lineage and the readers' folders carry the
    same run id. A run killed after the swap of `crm.duckdb` leaves the others behind;
    empty when nothing is published."""
    run_id = published_run_id(published)
    if run_id is None:
        return []
    readers = readers or exports.parent / "published"
    return [
        part
        for part, theirs in (
            ("exports", exports_run_id(exports)),
            ("lineage", lineage_run_id(docs)),
            ("readers", readers_run_id(readers)),
        )
        if theirs != run_id
    ]
