"""What a BI client sees of published DuckDB files, printed as JSON.

Runs in the BI clients' environment (`.venv-bi`: DuckDB 1.x, SQLAlchemy 1.4, duckdb-engine
0.17; see requirements-bi.txt), never in the project's, and imports nothing of the project:
tests/test_bi_clients.py starts it and compares what it prints with DuckDB 2.0's view of
the same files.

    python tests/bi_clients.py QUERIES_JSON FILE [FILE ...]

For every FILE, two clients: DuckDB 1.x (as DBeaver, the ODBC driver, Evidence and
Metabase's driver bundle it) opens the file read-only, lists every table and view and
counts the rows of each; SQLAlchemy with duckdb-engine, as Superset connects
(`create_engine('duckdb:///FILE', connect_args={'read_only': True})`), lists the schemas,
the tables and views of each schema and the columns of each. On the first FILE both run
every query of QUERIES_JSON (a JSON list of SQL texts, from the current folder: queries
may read Parquet exports by relative path). A failure is reported in the output, where it
happened, rather than raised: the test names what a client could not do.
"""

from __future__ import annotations

import json
import sys

import duckdb
import sqlalchemy as sa

# the system schemas every DuckDB file shows; what is published is in the others
SYSTEM_SCHEMAS = ("information_schema", "pg_catalog")


def _error(e: Exception) -> str:
    return f"{type(e).__name__}: {e}".splitlines()[0]


def duckdb_client(path: str, queries: list[str]) -> dict:
    """DuckDB 1.x on the file: its tables and views with their row counts, the queries'
    column names and row counts."""
    try:
        con = duckdb.connect(path, read_only=True)
    except Exception as e:  # noqa: BLE001 - reported: a file this DuckDB cannot open
        return {"error": _error(e)}
    with con:
        names = con.execute(
            "select table_schema, table_name from information_schema.tables"
            " where table_catalog = current_database() order by all"
        ).fetchall()
        rows = {}
        for schema, table in names:
            try:
                rows[f"{schema}.{table}"] = con.execute(
                    f'select count(*) from "{schema}"."{table}"'
                ).fetchone()[0]
            except Exception as e:  # noqa: BLE001
                rows[f"{schema}.{table}"] = _error(e)
        return {"rows": rows, "queries": [_run(lambda q: _duckdb_query(con, q), q) for q in queries]}


def _duckdb_query(con, sql: str) -> dict:
    cur = con.execute(sql)
    return {"columns": [d[0] for d in cur.description], "rows": len(cur.fetchall())}


def _run(run, sql: str) -> dict:
    try:
        return run(sql)
    except Exception as e:  # noqa: BLE001 - reported with the query it failed on
        return {"error": _error(e)}


def superset_client(path: str, queries: list[str]) -> dict:
    """SQLAlchemy and duckdb-engine as Superset uses them: what its database and dataset
    pages list (schemas, tables, views, columns), and the queries as SQL Lab runs them.
    duckdb-engine names schemas with their database (`crm.marts`); the report drops it."""
    engine = sa.create_engine(f"duckdb:///{path}", connect_args={"read_only": True})
    try:
        inspector = sa.inspect(engine)
        with engine.connect() as con:
            catalog = con.exec_driver_sql("select current_database()").scalar()
        columns: dict[str, list[str] | str] = {}
        for schema in inspector.get_schema_names():
            if not schema.startswith(f"{catalog}."):  # system and temp: DuckDB's own
                continue
            tables = inspector.get_table_names(schema=schema) + inspector.get_view_names(schema=schema)
            for table in tables:
                name = f"{schema.removeprefix(catalog + '.')}.{table}"
                try:
                    columns[name] = [c["name"] for c in inspector.get_columns(table, schema=schema)]
                except Exception as e:  # noqa: BLE001
                    columns[name] = _error(e)
        with engine.connect() as con:
            ran = [_run(lambda q: _sqlalchemy_query(con, q), q) for q in queries]
        return {
            "schemas": inspector.get_schema_names(),
            # the schema as a user types it in Superset's dataset form
            "marts": inspector.get_table_names(schema="marts"),
            "columns": columns,
            "queries": ran,
        }
    except Exception as e:  # noqa: BLE001 - reported: a file Superset cannot list
        return {"error": _error(e)}
    finally:
        engine.dispose()


def _sqlalchemy_query(con, sql: str) -> dict:
    # exec_driver_sql: the text as written (SQL Lab sends it so; no ':name' binding)
    result = con.exec_driver_sql(sql)
    return {"columns": list(result.keys()), "rows": len(result.fetchall())}


def main(argv: list[str]) -> int:
    with open(argv[0], encoding="utf-8") as f:
        queries = json.load(f)
    files = argv[1:]
    report = {
        "versions": {
            "duckdb": duckdb.__version__,
            "sqlalchemy": sa.__version__,
            "duckdb_engine": __import__("duckdb_engine").__version__,
        },
        "files": {
            path: {
                "duckdb": duckdb_client(path, queries if i == 0 else []),
                "superset": superset_client(path, queries if i == 0 else []),
            }
            for i, path in enumerate(files)
        },
    }
    json.dump(report, sys.stdout, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
