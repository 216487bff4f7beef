"""The README's BI examples run, as written, on a published demo warehouse."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from expectations.marts import MART_SUITES

README = Path(__file__).resolve().parents[1] / "README.md"
SECTION = "## Reading the marts: BI tools and notebooks"


def _queries() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index(SECTION):]
    section = section[:section.index("\n## ", len(SECTION))]
    return re.findall(r"```sql\n(.*?)```", section, re.DOTALL)


QUERIES = _queries()


def test_there_is_a_worked_query_for_every_mart():
    for mart in MART_SUITES:
        assert any(q.startswith(f"-- {mart}:") for q in QUERIES), f"no README query for {mart}"


@pytest.mark.parametrize("sql", QUERIES, ids=[q.splitlines()[0][3:40] for q in QUERIES])
def test_readme_query_runs_on_the_published_file(sql, demo_data, monkeypatch):
    monkeypatch.chdir(demo_data.parent)  # the README's paths are relative to the repo: data/...
    with duckdb.connect(str(demo_data / "warehouse" / "crm.duckdb"), read_only=True) as con:
        rows = con.execute(sql).fetchall()
    assert rows, "an example that shows nothing on the demo data"
