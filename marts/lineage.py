"""The lineage report for auditors: every published mart column traced to its extract fields.

`lineage_report(manifest, published, out_dir)` writes `lineage.md`, `lineage.html` (one
self-contained page) and `lineage.json` into `out_dir`:

- a header saying what produced the published marts: the run, code version and window from
  the published file's `meta.published`, the dbt version from the manifest, and the batch
  versions behind them (`meta.published_batches`, summarised per system);
- per mart (the models of schema `marts`) and per column: the extract files and fields
  it comes from (`SAV_ACCT_YYYYMMDD.dat` field `balance`, a seed `seeds/x.csv` column, the
  `.OK` batch audit), the tables whose whole row set it depends on (counts, window
  partitions), and the models in between.

How: the manifest `dbt parse` leaves has no compiled SQL, so the models are compiled once
per code version (`dbt compile` in a subprocess, on the manifest already parsed and an empty
DuckDB file, so the work file is never opened and the SQL is the full-build form) and the
result is cached by a digest of the code the manifest describes. Each model's SQL is then
qualified and traced with sqlglot one model at a time, in dependency order (a model's output
columns become the schema of the models that read it), and the per-model column maps are
composed down to the dbt sources and seeds. A model sqlglot cannot qualify falls back to
table-level lineage from the manifest's `depends_on`, and is flagged in the report; no column
is dropped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.lineage import lineage as sqlglot_lineage
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, build_scope
from sqlglot.schema import MappingSchema

REPO = Path(__file__).resolve().parents[1]
DBT_DIR = REPO / "dbt"
DIALECT = "duckdb"
# batch rows listed one by one up to this many; beyond it the per-system summary stands alone
BATCH_ROWS_LISTED = 40


def is_mart(node: dict) -> bool:
    """A published mart: a model of schema `marts` (the intermediates under models/marts/
    have schema `intermediate`)."""
    return node["config"].get("schema") == "marts"


# window functions that rank rows: their value depends on the whole partition
# pseudo-field of an extract file: its system code, written as a literal by staging models
FILE_NAME_FIELD = "(system code in the file name)"
RANKING = (exp.RowNumber, exp.Rank, exp.DenseRank, exp.Ntile, exp.PercentRank, exp.CumeDist)


# --- compiling --------------------------------------------------------------------------


def _code_digest(manifest: dict) -> str:
    """What the compiled SQL depends on: model and seed files, macros, sources, vars."""
    h = hashlib.sha256()
    for uid in sorted(manifest["nodes"]):
        node = manifest["nodes"][uid]
        if node["resource_type"] in ("model", "seed"):
            h.update(f"{uid}:{node['checksum']['checksum']}:{node.get('relation_name')}\n".encode())
    for uid in sorted(manifest["macros"]):
        h.update(f"{uid}:{manifest['macros'][uid]['macro_sql']}\n".encode())
    for uid in sorted(manifest["sources"]):
        h.update(f"{uid}:{manifest['sources'][uid].get('relation_name')}\n".encode())
    h.update(manifest["metadata"].get("dbt_version", "").encode())
    return h.hexdigest()[:16]


def _run_dbt_compile(manifest_path: Path, project_dir: Path, target: Path) -> None:
    """Run in a child process: compile every model from the parsed manifest (no re-parse)."""
    from dbt.cli.main import dbtRunner
    from dbt.contracts.graph.manifest import Manifest, WritableManifest

    parsed = Manifest.from_writable_manifest(
        WritableManifest.read_and_check_versions(str(manifest_path))
    )
    result = dbtRunner(manifest=parsed).invoke(
        [
            "compile",
            "--project-dir",
            str(project_dir),
            "--profiles-dir",
            str(project_dir),
            "--target-path",
            str(target),
            "--log-path",
            str(target / "logs"),
            "--select",
            "resource_type:model",
            "--indirect-selection",
            "empty",
            "--quiet",
        ]
    )
    if not result.success:
        raise SystemExit(f"dbt compile failed: {result.exception}")


def compile_models(
    manifest_path: Path, manifest: dict, project_dir: Path, cache_dir: Path
) -> tuple[dict[str, str], str]:
    """Compiled SQL of every model ({unique_id: sql}) and a note on how it was obtained.

    Cached per code digest in `cache_dir`. dbt runs in a child process against an empty
    DuckDB file in a temporary CRMWH_DATA: `is_incremental()` is false there, so the SQL is
    the full-build form, and the warehouse a run may be writing is never touched.
    """
    digest = _code_digest(manifest)
    cached = cache_dir / f"compiled-{digest}.json"
    if cached.exists():
        return json.loads(cached.read_text()), f"cached compile {digest}"
    models = {u: n for u, n in manifest["nodes"].items() if n["resource_type"] == "model"}
    with tempfile.TemporaryDirectory(prefix="lineage-") as tmp:
        (Path(tmp) / "data" / "warehouse").mkdir(parents=True)
        env = {**os.environ, "CRMWH_DATA": str(Path(tmp) / "data")}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
        target = Path(tmp) / "target"
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "marts.lineage",
                "compile",
                str(manifest_path),
                str(project_dir),
                str(target),
            ],
            cwd=project_dir,
            env=env,
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"dbt compile failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
        root = target / "compiled" / manifest["metadata"]["project_name"]
        compiled = {
            u: (root / n["original_file_path"]).read_text()
            for u, n in models.items()
            if (root / n["original_file_path"]).exists()
        }
    cache_dir.mkdir(parents=True, exist_ok=True)
    part = cached.with_suffix(".tmp")
    part.write_text(json.dumps(compiled))
    part.replace(cached)
    return compiled, f"dbt compile {digest}"


# --- per-model column lineage -------------------------------------------------------------


@dataclass
class ColumnDeps:
    """What one output column of one model reads, one model deep."""

    columns: set[tuple[str, str]] = field(default_factory=set)  # (upstream uid, column)
    whole: set[str] = field(default_factory=set)  # upstream uids whose row set counts
    constants: set[str] = field(default_factory=set)  # literals the value is made of


@dataclass
class ModelLineage:
    columns: dict[str, ColumnDeps]
    error: str | None = None  # set when the model fell back to table-level lineage


def _table_token(uid: str) -> str:
    # one identifier per relation: sqlglot then resolves sources by name alone
    return "t__" + uid.replace(".", "__")


def _relation_tokens(manifest: dict) -> dict[str, str]:
    """Relation name as it appears in compiled SQL → identifier standing for the node."""
    tokens = {}
    for uid, node in [*manifest["nodes"].items(), *manifest["sources"].items()]:
        if node["resource_type"] in ("model", "seed", "source") and node.get("relation_name"):
            tokens[node["relation_name"]] = _table_token(uid)
    return tokens


def _base_schema(manifest: dict, project_dir: Path) -> dict[str, dict[str, str]]:
    """Columns of the sources and seeds, keyed by table token."""
    schema: dict[str, dict[str, str]] = {}
    for uid, src in manifest["sources"].items():  # every column listed (generated from contract/)
        cols = list(src["columns"])
        schema[_table_token(uid)] = {c: "text" for c in cols}
    for uid, node in manifest["nodes"].items():
        if node["resource_type"] == "seed":
            header = (project_dir / node["original_file_path"]).read_text().splitlines()[0]
            schema[_table_token(uid)] = {c.strip().strip('"'): "text" for c in header.split(",")}
    return schema


def _scope_tables(scope: Scope, seen: set[int] | None = None) -> set[str]:
    """The tables (tokens) a scope reads, through its CTEs, subqueries and unions."""
    seen = seen if seen is not None else set()
    if id(scope) in seen:
        return set()
    seen.add(id(scope))
    out: set[str] = set()
    for src in scope.sources.values():
        if isinstance(src, exp.Table):
            out.add(src.name)
        elif isinstance(src, Scope):
            out |= _scope_tables(src, seen)
    for child in [*scope.set_operation_scopes, *scope.subquery_scopes]:
        out |= _scope_tables(child, seen)
    return out


def _reads_whole_rows(expression: exp.Expression) -> bool:
    """count(*), count(1) or a ranking window: a value of the row set, not of a field."""
    for node in expression.find_all(exp.Count, exp.Window):
        if isinstance(node, exp.Window):
            if isinstance(node.this, RANKING) or node.args.get("partition_by"):
                return True
        elif not list(node.find_all(exp.Column)):
            return True
    return False


def _is_null(expression: exp.Expression) -> bool:
    value = expression.this if isinstance(expression, exp.Alias) else expression
    while isinstance(value, exp.Cast):
        value = value.this
    return isinstance(value, exp.Null)


def _literal_text(expression: exp.Expression) -> str:
    value = expression.this if isinstance(expression, exp.Alias) else expression
    while isinstance(value, exp.Cast):  # 'DORMANT', not CAST('DORMANT' AS TEXT)
        value = value.this
    return value.sql(dialect=DIALECT)[:60]


def analyse_model(
    sql: str,
    schema: dict,
    tokens: dict[str, str],
    file_tokens: frozenset[str] = frozenset(),
    audit_tokens: frozenset[str] = frozenset(),
) -> tuple[list[str], dict]:
    """Output columns of one model and, per column, its ColumnDeps on table tokens.

    file_tokens: the tables that are extract files (a literal selected straight from one
    stands for the system code in the file's name); audit_tokens: the batch audit tables
    staging joins them with.
    """
    used = []
    for relation in sorted(tokens, key=len, reverse=True):
        if relation in sql:
            sql = sql.replace(relation, f'"{tokens[relation]}"')
            used.append(tokens[relation])
    # only the tables this model reads: sqlglot normalises the whole schema it is given
    schema = MappingSchema({t: schema[t] for t in used if t in schema}, dialect=DIALECT)
    parsed = sqlglot.parse_one(sql, dialect=DIALECT)
    qualified = qualify(parsed, schema=schema, dialect=DIALECT, validate_qualify_columns=True)
    root = build_scope(qualified)
    scopes = {id(s.expression): s for s in root.traverse()}
    names = list(qualified.named_selects)
    deps: dict[str, ColumnDeps] = {}
    for name in names:
        d = ColumnDeps()
        node = sqlglot_lineage(
            name, qualified, schema=schema, dialect=DIALECT, scope=root, copy=False, trim_selects=False
        )
        for n in node.walk():
            if isinstance(n.expression, exp.Table):
                d.columns.add((n.expression.name, n.name.split(".")[-1].strip('"')))
                continue
            whole_rows = _reads_whole_rows(n.expression)
            literal = not n.downstream and not whole_rows and not n.expression.find(exp.Column)
            if literal and not _is_null(n.expression):
                d.constants.add(_literal_text(n.expression))
            # a count or ranking window reads the row set of its scope; so does a literal
            # (a tag, a rule id) that a filter or join puts on some rows and not others
            filtered = isinstance(n.source, exp.Select) and any(
                n.source.args.get(k) for k in ("where", "joins", "having")
            )
            scope = scopes.get(id(n.source))
            tables = _scope_tables(scope) if scope else set()
            if literal and not filtered and tables and tables <= file_tokens | audit_tokens:
                # 'SAV' as sys straight over an extract: the system code in the file name
                d.columns |= {(t, FILE_NAME_FIELD) for t in tables & file_tokens}
            elif whole_rows or (literal and not _is_null(n.expression)):
                # which rows carry a literal ('personal' in one branch of a union, a tag
                # under a filter) is what the tables of its scope decide
                d.whole |= tables
        deps[name] = d
    return names, deps


# --- composing down to sources and seeds --------------------------------------------------


@dataclass(frozen=True)
class Traced:
    fields: frozenset[tuple[str, str]]  # (source/seed uid, column)
    whole: frozenset[str]  # source/seed uids whose whole row set the value depends on
    via: frozenset[str]  # models in between
    table_level: frozenset[str]  # models that fell back to table-level lineage
    constants: frozenset[str]


class Tracer:
    def __init__(self, manifest: dict, models: dict[str, ModelLineage]):
        self.manifest = manifest
        self.models = models
        self.token_uid = {_table_token(u): u for u in [*manifest["nodes"], *manifest["sources"]]}
        self.trace = cache(self._trace)
        self.base_of = cache(self._base_of)

    def _parents(self, uid: str) -> list[str]:
        return self.manifest["nodes"][uid]["depends_on"]["nodes"]

    def _base_of(self, uid: str) -> tuple[frozenset[str], frozenset[str]]:
        """Table-level: the sources/seeds under a model, and the models on the way."""
        if uid not in self.models:
            return frozenset([uid]), frozenset()
        base: set[str] = set()
        via: set[str] = {uid}
        for parent in self._parents(uid):
            b, v = self.base_of(parent)
            base |= b
            via |= v
        return frozenset(base), frozenset(via)

    def _table_level(self, uid: str) -> Traced:
        base, via = self.base_of(uid)
        return Traced(frozenset(), base, via, frozenset([uid]), frozenset())

    def _trace(self, uid: str, column: str) -> Traced:
        if uid not in self.models:  # a source or seed: the field itself
            return Traced(frozenset([(uid, column)]), frozenset(), frozenset(), frozenset(), frozenset())
        model = self.models[uid]
        deps = model.columns.get(column)
        if model.error or deps is None:
            return self._table_level(uid)
        fields: set = set()
        whole: set = set()
        via: set = {uid}
        flagged: set = set()
        constants: set = set(deps.constants)
        for token, col in deps.columns:
            t = self.trace(self.token_uid[token], col)
            fields |= t.fields
            whole |= t.whole
            via |= t.via
            flagged |= t.table_level
            constants |= t.constants
        for token in deps.whole:
            base, v = self.base_of(self.token_uid[token])
            whole |= base
            via |= v
        return Traced(
            frozenset(fields), frozenset(whole), frozenset(via), frozenset(flagged), frozenset(constants)
        )


def analyse_project(manifest: dict, compiled: dict[str, str], project_dir: Path) -> dict:
    """ModelLineage of every model, in dependency order."""
    schema = _base_schema(manifest, project_dir)
    tokens = _relation_tokens(manifest)
    file_tokens = frozenset(
        _table_token(u) for u, src in manifest["sources"].items() if src["source_name"] == "raw"
    )
    audit_tokens = frozenset(
        _table_token(u) for u, src in manifest["sources"].items() if src["source_name"] != "raw"
    )
    nodes = manifest["nodes"]
    models = {u for u, n in nodes.items() if n["resource_type"] == "model"}
    done: dict[str, ModelLineage] = {}

    def visit(uid: str) -> None:
        if uid in done:
            return
        for parent in nodes[uid]["depends_on"]["nodes"]:
            if parent in models:
                visit(parent)
        yml_cols = list(nodes[uid]["columns"])
        try:
            if uid not in compiled:
                raise ValueError("no compiled SQL")
            names, deps = analyse_model(compiled[uid], schema, tokens, file_tokens, audit_tokens)
            done[uid] = ModelLineage(deps)
        except Exception as e:  # noqa: BLE001 - any parse failure means table-level lineage
            names = yml_cols
            done[uid] = ModelLineage({c: ColumnDeps() for c in names}, f"{type(e).__name__}: {e}")
        schema[_table_token(uid)] = {c: "text" for c in names}

    for uid in sorted(models):
        visit(uid)
    return done


# --- what the columns mean in the extract contract ----------------------------------------


def describe_base(manifest: dict, project_dir: Path, uid: str, column: str) -> dict[str, str]:
    """{file, field, note} for a source or seed column."""
    from contract.extracts import ENTITIES

    if uid in manifest["sources"]:
        src = manifest["sources"][uid]
        note = (src["columns"].get(column) or {}).get("description", "")
        if src["source_name"] == "raw":
            sys_code, entity = src["name"].upper().split("_", 1)
            e = ENTITIES.get((sys_code, entity))
            if e is not None:  # the column's meaning, generated from the contract
                return {
                    "file": e.file_name("YYYYMMDD"),
                    "field": column,
                    "note": note or dict(e.columns).get(column, ""),
                }
            return {"file": src["name"], "field": column, "note": note}
        # ingest's audit tables: one audit_batch row per delivered {SYS}_{D}.OK control file
        return {
            "file": f"{{SYS}}_YYYYMMDD.OK ({src['name']})",
            "field": column,
            "note": src.get("description", ""),
        }
    node = manifest["nodes"][uid]
    return {"file": node["original_file_path"], "field": column, "note": "seed (parameter table)"}


def describe_table(manifest: dict, uid: str) -> str:
    from contract.extracts import ENTITIES

    if uid in manifest["sources"]:
        src = manifest["sources"][uid]
        if src["source_name"] == "raw":
            e = ENTITIES.get(tuple(src["name"].upper().split("_", 1)))
            return e.file_name("YYYYMMDD") if e else src["name"]
        return f"{{SYS}}_YYYYMMDD.OK ({src['name']})"
    return manifest["nodes"][uid]["original_file_path"]


# --- the published file -------------------------------------------------------------------


def read_published(published: Path) -> tuple[dict, list[tuple]]:
    """meta.published (one row, as a dict) and meta.published_batches rows."""
    con = duckdb.connect(str(published), read_only=True)
    try:
        cur = con.execute("select * from meta.published")
        cols = [d[0] for d in cur.description]
        rows = cur.fetchall()
        head = dict(zip(cols, rows[0])) if rows else {}
        batches = con.execute(
            "select sys, biz_date, version, ok_md5, processed_at from meta.published_batches "
            "order by sys, biz_date"
        ).fetchall()
    finally:
        con.close()
    return head, batches


def summarise_batches(batches: list[tuple]) -> list[dict]:
    """Per system: dates from..to, how many, and which dates were restated (version > 1)."""
    out: dict[str, dict] = {}
    for sys_code, biz_date, version, _md5, _at in batches:
        s = out.setdefault(sys_code, {"sys": sys_code, "dates": [], "restated": []})
        s["dates"].append(biz_date)
        if version is not None and version > 1:
            s["restated"].append(f"{biz_date} (v{version})")
    return [
        {
            "sys": s["sys"],
            "from": str(min(s["dates"])),
            "to": str(max(s["dates"])),
            "count": len(s["dates"]),
            "restated": s["restated"],
        }
        for s in out.values()
    ]


# --- the report ---------------------------------------------------------------------------


def _layer_order(manifest: dict, uid: str) -> tuple:
    # the folders follow the flow: marts/_monthly, then each area's intermediate/, its marts
    path = manifest["nodes"][uid]["original_file_path"]
    layers = ["models/staging/", "models/intermediate/", "models/core/", "models/marts/"]
    return (next((i for i, p in enumerate(layers) if path.startswith(p)), 9), path)


def build_lineage(manifest: dict, models: dict[str, ModelLineage], project_dir: Path) -> dict:
    """{mart: {description, model_path, flags, columns: {col: record}}} for the marts."""
    tracer = Tracer(manifest, models)
    nodes = manifest["nodes"]
    marts = sorted(u for u, n in nodes.items() if n["resource_type"] == "model" and is_mart(n))
    out = {}
    for uid in marts:
        node = nodes[uid]
        cols = {}
        # documented columns the SQL does not produce stay in the report (table-level)
        names = [*models[uid].columns, *(c for c in node["columns"] if c not in models[uid].columns)]
        for column in names:
            t = tracer.trace(uid, column)
            fields = sorted(
                (describe_base(manifest, project_dir, u, c) for u, c in t.fields),
                key=lambda f: (f["file"], f["field"]),
            )
            via = sorted(t.via - {uid}, key=lambda u: _layer_order(manifest, u))
            cols[column] = {
                "description": (node["columns"].get(column) or {}).get("description", ""),
                "sources": fields,
                "whole_tables": sorted(describe_table(manifest, u) for u in t.whole),
                "models": ["dbt/" + nodes[u]["original_file_path"] for u in via],
                "lineage": "table" if t.table_level else "column",
                "table_level_models": sorted(nodes[u]["name"] for u in t.table_level),
                # literals matter where no field gives the value (a tag, a rule id)
                "constants": [] if t.fields else sorted(t.constants),
            }
        out[node["name"]] = {
            "description": " ".join(node.get("description", "").split()),
            "model_path": "dbt/" + node["original_file_path"],
            "parse_error": models[uid].error,
            "columns": cols,
        }
    return out


def _fmt(value) -> str:
    return "" if value is None else str(value)


def _source_text(rec: dict) -> list[str]:
    """One line per file: `SAV_ACCT_YYYYMMDD.dat : acct_no, balance`."""
    by_file: dict[str, list[str]] = {}
    for f in rec["sources"]:
        by_file.setdefault(f["file"], []).append(f["field"])
    return [f"{file} : {', '.join(names)}" for file, names in by_file.items()]


def _column_lines(rec: dict) -> tuple[str, str, str]:
    """(from fields, whole tables, note) as plain text for one column."""
    fields = "; ".join(_source_text(rec))
    whole = "; ".join(rec["whole_tables"])
    note = ""
    if rec["lineage"] == "table":
        through = ", ".join(rec["table_level_models"])
        note = f"TABLE-LEVEL ONLY (no column lineage through: {through})"
    elif not rec["sources"] and not rec["whole_tables"]:
        note = "constant, reads no table"
    elif not rec["sources"]:
        note = "no single field: depends on whole tables (count, window or which rows pass filters)"
    if rec["constants"]:
        note = (note + "; " if note else "") + "literals: " + ", ".join(rec["constants"][:8])
    return fields, whole, note


def render_markdown(header: dict, summary: list[dict], batches: list[tuple], marts: dict) -> str:
    lines = ["# Lineage of the published marts", ""]
    lines += ["| | |", "| --- | --- |"]
    lines += [f"| {k} | {_fmt(v)} |" for k, v in header.items()]
    lines += ["", "## Batch versions behind the published marts", ""]
    lines += [
        "| system | dates from | to | dates | restated (version > 1) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for s in summary:
        lines.append(
            f"| {s['sys']} | {s['from']} | {s['to']} | {s['count']} | "
            f"{', '.join(s['restated']) or 'none'} |"
        )
    if len(batches) <= BATCH_ROWS_LISTED:
        lines += [
            "",
            "| sys | biz_date | version | ok_md5 | processed_at |",
            "| --- | --- | --- | --- | --- |",
        ]
        lines += [f"| {' | '.join(_fmt(v) for v in b)} |" for b in batches]
    lines += ["", "## Marts", ""]
    lines += [f"- [{m}](#{m.replace('_', '-')})" for m in marts]
    lines += [
        "",
        "Each column lists the extract files and fields its value is computed from (files "
        "named with their business date `YYYYMMDD`; seeds are parameter tables), tables whose "
        "whole row set it depends on (counts, ranking windows), and the dbt models in between. "
        "Which rows a mart holds also depends on the joins and filters of those models.",
    ]
    for name, mart in marts.items():
        lines += ["", f"## {name}", "", mart["description"], "", f"Model: `{mart['model_path']}`"]
        if mart["parse_error"]:
            lines += ["", f"**Flag:** {mart['parse_error']}"]
        lines += [
            "",
            "| column | from files : fields | whole tables | via models | note |",
            "| --- | --- | --- | --- | --- |",
        ]
        for col, rec in mart["columns"].items():
            fields, whole, note = _column_lines(rec)
            via = ", ".join(Path(m).stem for m in rec["models"])
            cells = [f"`{col}`", fields.replace("; ", "<br>"), whole.replace("; ", "<br>"), via, note]
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


CSS = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1200px;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:0.9em;width:100%}
th,td{border:1px solid #ccc;padding:4px 6px;vertical-align:top;text-align:left}
th{background:#f0f0f0}code{background:#f6f6f6;padding:0 2px}
.flag{color:#a00;font-weight:bold}.muted{color:#666}nav li{margin:2px 0}
td ul{margin:0;padding-left:1.1em}section{margin-top:2.5em;border-top:2px solid #ddd}
"""


def _ul(items: list[str]) -> str:
    if not items:
        return ""
    return "<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>"


def render_html(header: dict, summary: list[dict], batches: list[tuple], marts: dict) -> str:
    e = html.escape
    out = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<title>Lineage of the published marts</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>Lineage of the published marts</h1><table>",
    ]
    out += [f"<tr><th>{e(k)}</th><td>{e(_fmt(v))}</td></tr>" for k, v in header.items()]
    out.append("</table><nav><h2>Contents</h2><ul><li><a href='#batches'>Batch versions</a></li>")
    out += [
        f"<li><a href='#{e(m)}'>{e(m)}</a> <span class='muted'>({len(d['columns'])} columns)</span></li>"
        for m, d in marts.items()
    ]
    out.append("</ul></nav><section id='batches'><h2>Batch versions behind the published marts</h2>")
    out.append(
        "<table><tr><th>system</th><th>dates from</th><th>to</th><th>dates</th>"
        "<th>restated (version &gt; 1)</th></tr>"
    )
    for s in summary:
        restated = ", ".join(s["restated"]) or "none"
        out.append(
            f"<tr><td>{e(s['sys'])}</td><td>{e(s['from'])}</td><td>{e(s['to'])}</td>"
            f"<td>{s['count']}</td><td>{e(restated)}</td></tr>"
        )
    out.append("</table>")
    if len(batches) <= BATCH_ROWS_LISTED:
        out.append(
            "<table><tr><th>sys</th><th>biz_date</th><th>version</th><th>ok_md5</th>"
            "<th>processed_at</th></tr>"
        )
        out += ["<tr>" + "".join(f"<td>{e(_fmt(v))}</td>" for v in b) + "</tr>" for b in batches]
        out.append("</table>")
    out.append(
        "<p class='muted'>Per column: the extract files and fields its value is computed "
        "from, tables whose whole row set it depends on (counts, ranking windows), and the "
        "dbt models in between. Which rows a mart holds also depends on the joins and "
        "filters of those models.</p></section>"
    )
    for name, mart in marts.items():
        out.append(
            f"<section id='{e(name)}'><h2>{e(name)}</h2><p>{e(mart['description'])}</p>"
            f"<p>Model: <code>{e(mart['model_path'])}</code></p>"
        )
        if mart["parse_error"]:
            out.append(f"<p class='flag'>Flag: {e(mart['parse_error'])}</p>")
        out.append(
            "<table><tr><th>column</th><th>from files : fields</th><th>whole tables</th>"
            "<th>via models</th></tr>"
        )
        for col, rec in mart["columns"].items():
            _f, _w, note = _column_lines(rec)
            desc = f"<div class='muted'>{e(rec['description'])}</div>" if rec["description"] else ""
            flag = f"<div class='flag'>{e(note)}</div>" if note else ""
            via = [Path(m).stem for m in rec["models"]]
            out.append(
                f"<tr id='{e(name)}.{e(col)}'><td><code>{e(col)}</code>{desc}</td>"
                f"<td>{_ul(_source_text(rec))}{flag}</td><td>{_ul(rec['whole_tables'])}</td>"
                f"<td class='muted'>{e(', '.join(via))}</td></tr>"
            )
        out.append("</table></section>")
    out.append("</body></html>")
    return "\n".join(out)


def lineage_report(
    manifest: Path,
    published: Path,
    out_dir: Path,
    *,
    project_dir: Path | None = None,
    cache_dir: Path | None = None,
) -> Path:
    """Write lineage.md, lineage.html and lineage.json into out_dir; return the Markdown path.

    manifest: the manifest.json of `dbt parse` for the code that built the published marts.
    published: the published DuckDB file (read-only; its `meta` schema gives the header).
    project_dir: the dbt project (default: the repository's dbt/).
    cache_dir: where compiled SQL is cached per code digest (default: next to the manifest).
    """
    project_dir = Path(project_dir or DBT_DIR)
    cache_dir = Path(cache_dir or Path(manifest).parent / "lineage_cache")
    doc = json.loads(Path(manifest).read_text())
    try:
        compiled, how = compile_models(Path(manifest), doc, project_dir, cache_dir)
    except RuntimeError as err:  # every model falls back to table-level lineage, flagged
        compiled, how = {}, f"compile failed, table-level lineage only: {str(err)[:300]}"
    models = analyse_project(doc, compiled, project_dir)
    marts = build_lineage(doc, models, project_dir)
    flagged = sum(bool(m.error) for m in models.values())
    published_row, batches = read_published(Path(published))
    header = {
        "published at": published_row.get("published_at"),
        "Dagster run id": published_row.get("run_id"),
        "code version": published_row.get("code_version"),
        "business dates": f"{published_row.get('min_date')} .. {published_row.get('max_date')}",
        "dbt version": doc["metadata"].get("dbt_version"),
        "compiled SQL": how,
        "models parsed / table-level": f"{len(models) - flagged} / {flagged}",
        "report written": dt.datetime.now().isoformat(timespec="seconds"),
    }
    summary = summarise_batches(batches)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    md = out_dir / "lineage.md"
    files = {
        md: render_markdown(header, summary, batches, marts),
        out_dir / "lineage.html": render_html(header, summary, batches, marts),
        out_dir / "lineage.json": json.dumps(
            {"header": {k: _fmt(v) for k, v in header.items()}, "batches": summary, "marts": marts},
            indent=1,
            ensure_ascii=False,
        ),
    }
    for path, text in files.items():  # readers never see a half-written report
        part = path.with_name(path.name + ".part")
        part.write_text(text, encoding="utf-8")
        part.replace(path)
    return md


if __name__ == "__main__" and len(sys.argv) == 5 and sys.argv[1] == "compile":
    _run_dbt_compile(Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]))
