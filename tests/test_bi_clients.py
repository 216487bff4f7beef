"""What readers open without the warehouse's own tools: the published DuckDB files in the
BI clients banks use, not only in DuckDB 2.0, and the dbt docs from disk.

DuckDB 2.0 writes storage version 2 by default, which DuckDB 1.x refuses; DBeaver, the
ODBC driver, Evidence and Metabase's driver bundle DuckDB 1.x, and Superset reads through
SQLAlchemy 1.4 and duckdb-engine. `tests/bi_clients.py` runs in their own environment
(`.venv-bi`, requirements-bi.txt, made by `make setup`) on the demo warehouse's whole-bank
file and every per-role file under `published/`: DuckDB 1.x counts the rows of every table
and runs the documented queries (the `sql` blocks of the README and docs/analysts.md, read
from the pages so they cannot drift), SQLAlchemy lists schemas, tables and columns and runs
the queries too; everything is compared with what DuckDB 2.0 sees in the same files."""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[1]
BI_PYTHON = ROOT / ".venv-bi" / "bin" / "python"
BI_REQUIREMENTS = ROOT / "requirements-bi.txt"
SCRIPT = Path(__file__).with_name("bi_clients.py")
PAGES = (ROOT / "README.md", ROOT / "docs" / "analysts.md")

TABLES_SQL = """select table_schema, table_name from information_schema.tables
    where table_catalog = current_database() order by all"""


def _sql_blocks(page: Path) -> list[str]:
    """Every ```sql block of a page: each is meant to run on the published file."""
    return re.findall(r"```sql\n(.*?)```", page.read_text(encoding="utf-8"), re.DOTALL)


README_QUERIES = _sql_blocks(PAGES[0])
QUERIES = [q for page in PAGES for q in _sql_blocks(page)]
QUERY_IDS = [q.splitlines()[0].removeprefix("-- ")[:40] for q in QUERIES]


def _bi_python() -> Path:
    if not BI_PYTHON.exists():
        pytest.fail(
            f"the BI clients' environment is missing ({BI_PYTHON.relative_to(ROOT)}): run make setup",
            pytrace=False,
        )
    return BI_PYTHON


def _pins() -> dict[str, str]:
    lines = BI_REQUIREMENTS.read_text(encoding="utf-8").splitlines()
    return dict(line.split("==") for line in lines if line and not line.startswith("#"))


def _clients(files: list[Path], queries: list[str], cwd: Path, tmp: Path) -> dict:
    """What tests/bi_clients.py reports of `files`, run in the BI environment from `cwd`."""
    listed = tmp / "queries.json"
    listed.write_text(json.dumps(queries), encoding="utf-8")
    done = subprocess.run(
        [str(_bi_python()), str(SCRIPT), str(listed), *map(str, files)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_bi_environment_holds_the_pinned_clients():
    done = subprocess.run(
        [
            str(_bi_python()),
            "-c",
            "import duckdb, sqlalchemy, duckdb_engine; "
            "print(duckdb.__version__, sqlalchemy.__version__, duckdb_engine.__version__)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    pins = _pins()
    assert done.stdout.split() == [pins["duckdb"], pins["sqlalchemy"], pins["duckdb-engine"]]
    # the clients under test: DuckDB 1.x and Superset's SQLAlchemy
    assert pins["duckdb"].startswith("1.") and pins["sqlalchemy"].startswith("1.4.")


def test_a_file_in_duckdb_2_default_storage_does_not_open(tmp_path):
    """The check can fail: a file DuckDB 2.0 writes by default is refused by both clients."""
    path = tmp_path / "default.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create table t as select 1 as x")
    report = _clients([path], [], tmp_path, tmp_path)["files"][str(path)]
    assert "version number" in report["duckdb"]["error"], report
    assert "version number" in report["superset"]["error"], report


# --- the demo warehouse's published files ----------------------------------------------------


@pytest.fixture(scope="module")
def published(demo_data) -> list[Path]:
    """The whole-bank file first (the documented queries run on it), then every per-role one."""
    return [demo_data / "warehouse" / "crm.duckdb", *sorted(demo_data.glob("published/**/crm.duckdb"))]


@pytest.fixture(scope="module")
def report(published, demo_data, tmp_path_factory) -> dict:
    # the pages' paths are relative to the repository: data/...
    return _clients(published, QUERIES, demo_data.parent, tmp_path_factory.mktemp("bi"))["files"]


@pytest.fixture(scope="module")
def duckdb2(published, demo_data) -> dict:
    """DuckDB 2.0's view of the same files: rows per table, columns per table, and the
    documented queries' columns and row counts on the whole-bank file."""
    seen = {}
    for i, path in enumerate(published):
        with duckdb.connect(str(path), read_only=True) as con, contextlib.chdir(demo_data.parent):
            tables = [f"{s}.{t}" for s, t in con.execute(TABLES_SQL).fetchall()]
            queries = [_query(con, sql) for sql in (QUERIES if i == 0 else [])]
            seen[str(path)] = {
                "rows": {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in tables},
                "columns": {
                    t: [d[0] for d in con.execute(f"select * from {t} limit 0").description]
                    for t in tables
                },
                "queries": queries,
            }
    return seen


def _query(con: duckdb.DuckDBPyConnection, sql: str) -> dict:
    try:
        cur = con.execute(sql)
    except duckdb.Error as e:  # reported by the query's own test
        return {"error": str(e)}
    return {"columns": [d[0] for d in cur.description], "rows": len(cur.fetchall())}


def test_the_pages_have_queries_for_bi_users():
    assert README_QUERIES, "no ```sql block in README.md: its BI section's example is gone"
    assert len(QUERIES) > len(README_QUERIES), "no ```sql block in docs/analysts.md"


def test_the_per_role_files_are_among_those_checked(published):
    assert len(published) > 1, "no published/<role>/<org>/crm.duckdb in the demo: the layout moved?"


def test_duckdb_1x_opens_every_published_file_and_counts_what_duckdb_2_counts(report, duckdb2):
    for path, seen in duckdb2.items():
        got = report[path]["duckdb"]
        assert "error" not in got, f"DuckDB 1.x cannot open {path}: {got['error']}"
        assert got["rows"] == seen["rows"], path
    whole_bank = next(iter(duckdb2.values()))["rows"]
    assert sum(t.startswith("marts.mart_") for t in whole_bank) >= 10


@pytest.mark.parametrize("at", range(len(QUERIES)), ids=QUERY_IDS)
def test_documented_query_runs_in_duckdb_1x(at, report, duckdb2):
    path, seen = next(iter(duckdb2.items()))
    assert "error" not in seen["queries"][at], f"DuckDB 2.0 too: {seen['queries'][at]['error']}"
    got = report[path]["duckdb"]["queries"][at]
    assert "error" not in got, f"DuckDB 1.x: {got['error']}\n{QUERIES[at]}"
    assert got == seen["queries"][at]
    assert got["rows"], "an example that shows nothing on the demo data"


def test_superset_lists_the_schemas_tables_and_columns_of_every_published_file(report, duckdb2):
    for path, seen in duckdb2.items():
        got = report[path]["superset"]
        assert "error" not in got, f"SQLAlchemy + duckdb-engine cannot list {path}: {got['error']}"
        assert got["columns"] == seen["columns"], path
        assert got["marts"] == sorted(t.split(".", 1)[1] for t in seen["rows"] if t.startswith("marts."))


@pytest.mark.parametrize("at", range(len(QUERIES)), ids=QUERY_IDS)
def test_documented_query_runs_through_sqlalchemy(at, report, duckdb2):
    path, seen = next(iter(duckdb2.items()))
    assert "error" not in seen["queries"][at], f"DuckDB 2.0 too: {seen['queries'][at]['error']}"
    got = report[path]["superset"]["queries"][at]
    assert "error" not in got, f"SQLAlchemy + duckdb-engine: {got['error']}\n{QUERIES[at]}"
    assert got == seen["queries"][at]


# --- dbt docs from disk --------------------------------------------------------------------


def test_dbt_docs_open_from_disk_with_the_manifest_and_catalog_inside(demo_data):
    """`crmwh docs` (run by the demo fixture) writes static_index.html: opened over file://
    a browser will not fetch index.html's manifest.json, so the static page carries it."""
    page = (demo_data / "docs" / "dbt" / "static_index.html").read_text(encoding="utf-8")
    assert "schemas.getdbt.com/dbt/manifest/" in page and "schemas.getdbt.com/dbt/catalog/" in page
    assert "model.crmwh.mart_vip_tier" in page
