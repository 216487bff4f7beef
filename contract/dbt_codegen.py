"""The dbt files that repeat the contract, generated from it (`crmwh codegen`, `make codegen`).

- `dbt/models/staging/_raw__sources.yml`: the raw zone (one source table per entity) and
  the audit tables, every column with its type and meaning.
- `dbt/macros/staging_columns.sql`: each raw table's columns and types, and the select
  list a staging model takes them with (`staging_columns('sav_acct')`).
- `dbt/models/staging/_staging__models.yml`: every staging model's columns with their
  types, meanings and not-null tests (business date and key columns).

Edit `contract/extracts.py` (or `contract/audit.py`), then run `crmwh codegen`;
`crmwh codegen --check` (and tests/test_contract_codegen.py) fails while a generated
file differs from what the contract gives.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import yaml

from contract import audit
from contract.extracts import ACCT_COMMON, ACCT_EXTRA, ENTITIES, SQL_TYPES, SYSTEMS, Entity

ROOT = Path(__file__).resolve().parents[1]
COMMAND = "crmwh codegen"
NOTE = f"Generated from contract/ by `{COMMAND}` (make codegen): do not edit by hand."

RAW_SOURCES = "dbt/models/staging/_raw__sources.yml"
STAGING_COLUMNS = "dbt/macros/staging_columns.sql"
STAGING_MODELS = "dbt/models/staging/_staging__models.yml"

RAW_LOCATION = (
    "read_parquet('{{{{ env_var('CRMWH_DATA', 'data') }}}}/raw/{sys}/{entity}/*/*/*/"
    "*.parquet', hive_partitioning = true, hive_types_autocast = false)"
)

# columns ingest adds to every raw table (the partitions are text: no type autocast)
RAW_EXTRA = (
    ("_line", "bigint", "line of the record in its file"),
    ("biz_date", "varchar", "business date, YYYYMMDD (partition)"),
    ("version", "varchar", "delivery version (partition)"),
    ("ok", "varchar", "first 12 hex digits of the delivery's .OK md5 (partition)"),
)


def raw_table(entity: Entity) -> str:
    return f"{entity.system}_{entity.name}".lower()


def staging_model(entity: Entity) -> str:
    return f"stg_{entity.system.lower()}__{entity.name.lower()}s"


def audit_columns() -> dict[str, list[tuple[str, str, str]]]:
    """Each audit table's (column, type, meaning): types as DuckDB creates them from the
    DDL, meanings from the DDL's comments."""
    import duckdb

    comments: dict[tuple[str, str], str] = {}
    table = ""
    for line in audit.DDL.splitlines():
        if m := re.match(r"create table if not exists (\w+)", line):
            table = m.group(1)
        elif m := re.match(r"\s+(\w+) [^-]*--\s*(.+)$", line):
            comments[table, m.group(1)] = m.group(2).strip()
    with duckdb.connect() as con:
        con.execute(audit.DDL)
        return {
            t: [
                (c, typ.lower(), comments.get((t, c), ""))
                for c, typ, *_ in con.execute(f"describe {t}").fetchall()
            ]
            for t in audit.TABLES
        }


def _column(name: str, data_type: str, description: str, tests: Iterable[str] = ()) -> dict:
    out = {"name": name, "description": description, "data_type": data_type}
    if tests:
        out["data_tests"] = list(tests)
    return out


def _yaml(doc: dict) -> str:
    text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=10_000)
    return f"# {NOTE}\n{text}"


def raw_sources() -> str:
    tables = []
    for e in ENTITIES.values():
        system = SYSTEMS[e.system]
        tables.append(
            {
                "name": raw_table(e),
                "description": f"{system.name}: {e.meaning}. `{e.file_name('YYYYMMDD')}` "
                f"({e.snapshot}) as loaded by ingest, every delivered version; "
                "filter with `current_batches`.",
                "meta": {
                    "external_location": RAW_LOCATION.format(sys=e.system.lower(), entity=e.name.lower())
                },
                "columns": [_column(c, SQL_TYPES[t], e.column_meaning(c)) for c, t in e.columns]
                + [_column(c, t, d) for c, t, d in RAW_EXTRA],
            }
        )
    audit_tables = [
        {
            "name": t,
            "description": audit.DESCRIPTIONS[t],
            "columns": [_column(c, typ, d) for c, typ, d in cols],
        }
        for t, cols in audit_columns().items()
    ]
    return _yaml(
        {
            "version": 2,
            "sources": [
                {
                    "name": "raw",
                    "description": "The raw zone: Parquet written by ingest under "
                    "data/raw/{sys}/{entity}/biz_date=D/version=v/ok=h/.",
                    "tables": tables,
                },
                {
                    "name": "audit",
                    "description": "Audit tables written by ingest in the warehouse.",
                    "schema": "main",
                    "tables": audit_tables,
                },
            ],
        }
    )


def staging_models() -> str:
    batch = {c: typ for c, typ, _ in audit_columns()["audit_batch"]}
    models = []
    for e in ENTITIES.values():
        system = SYSTEMS[e.system]
        own_sys = "sys" in e.column_names  # the rows name their system: no constant
        columns = [] if own_sys else [_column("sys", "varchar", "source system")]
        columns += [
            _column("biz_date", batch["biz_date"], "business date of the batch", ["not_null"]),
            _column("source_version", batch["version"], "version of the batch delivery"),
            _column("source_line", "bigint", "line of the record in its file"),
        ]
        columns += [
            _column(c, SQL_TYPES[t], e.column_meaning(c), ["not_null"] if c in e.keys else [])
            for c, t in e.columns
        ]
        models.append(
            {
                "name": staging_model(e),
                "description": f"{system.name}, {e.name}: {e.meaning}; the current version of "
                f"each business date's batch ({e.snapshot} rows).",
                "columns": columns,
            }
        )
    return _yaml({"version": 2, "models": models})


CAST = "cast({{ name }} as {{ sql_type }}) as {{ name }}"


def staging_columns() -> str:
    """The macros: column lists and types as Jinja data, and the select list they give."""
    tables = "".join(
        f"\n        '{raw_table(e)}': ["
        + ", ".join(f"['{c}', '{SQL_TYPES[t]}']" for c, t in e.columns)
        + "],"
        for e in ENTITIES.values()
    )
    extra: dict[str, str] = {}
    for cols in ACCT_EXTRA.values():
        extra.update({c: SQL_TYPES[t] for c, t in cols if c not in extra})
    extra_text = "".join(f"\n        '{c}': '{t}'," for c, t in extra.items())
    common = ",\n".join(f"    {c}" for c, _ in ACCT_COMMON)
    return f"""{{# {NOTE} #}}

{{# Each raw table's columns in file order, with their SQL types: [[name, type], ...]. #}}
{{% macro contract_columns(table) -%}}
    {{{{ return({{{tables}
    }}[table]) }}}}
{{%- endmacro %}}

{{# A staging model's select list of a raw table's columns, each cast to its type. #}}
{{% macro staging_columns(table) -%}}
    {{%- for name, sql_type in contract_columns(table) -%}}
        {{{{ ',\\n        ' if not loop.first }}}}{CAST}
    {{%- endfor -%}}
{{%- endmacro %}}

{{# The account columns every legacy system delivers (names). #}}
{{% macro acct_common_columns() -%}}
{common}
{{%- endmacro %}}

{{# The account columns only some legacy systems deliver, with their SQL types. #}}
{{% macro acct_extra_columns() -%}}
    {{{{ return({{{extra_text}
    }}) }}}}
{{%- endmacro %}}
"""


def generated() -> dict[str, str]:
    """Path (from the project root) -> the text the contract gives for it."""
    return {
        RAW_SOURCES: raw_sources(),
        STAGING_COLUMNS: staging_columns(),
        STAGING_MODELS: staging_models(),
    }


def write(root: Path = ROOT) -> list[str]:
    """Write every generated file; the paths that changed."""
    changed = []
    for path, text in generated().items():
        target = root / path
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed


def check(root: Path = ROOT) -> list[str]:
    """The generated files whose committed text differs from what the contract gives."""
    return [
        path
        for path, text in generated().items()
        if not (root / path).exists() or (root / path).read_text(encoding="utf-8") != text
    ]
