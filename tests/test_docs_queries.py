"""The analysts' queries (docs/analysts.md) run, as written, on a published demo warehouse."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from expectations.marts import MART_SUITES

PAGE = Path(__file__).resolve().parents[1] / "docs" / "analysts.md"


def _queries() -> list[str]:
    """Every ```sql block of the page: each is meant to run on the published file."""
    return re.findall(r"```sql\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.DOTALL)


QUERIES = _queries()


def test_the_page_has_queries():
    assert len(QUERIES) >= len(MART_SUITES)


def test_there_is_a_worked_query_for_every_mart():
    for mart in MART_SUITES:
        assert any(q.startswith(f"-- {mart}:") for q in QUERIES), f"no query for {mart} in {PAGE}"


@pytest.mark.parametrize("sql", QUERIES, ids=[q.splitlines()[0][3:40] for q in QUERIES])
def test_docs_query_runs_on_the_published_file(sql, demo_data, monkeypatch):
    monkeypatch.chdir(demo_data.parent)  # the page's paths are relative to the repo: data/...
    with duckdb.connect(str(demo_data / "warehouse" / "crm.duckdb"), read_only=True) as con:
        rows = con.execute(sql).fetchall()
    assert rows, "an example that shows nothing on the demo data"
