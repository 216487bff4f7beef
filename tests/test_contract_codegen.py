"""The dbt files generated from the extract contract (`crmwh codegen`) match it."""

from __future__ import annotations

import dataclasses

import duckdb
import polars as pl
import pytest

from contract import dbt_codegen, extracts
from crmwh.cli import main
from ingest.cast import RAW_TYPES


def _with_column(key: tuple[str, str], column: str) -> extracts.Entity:
    entity = extracts.ENTITIES[key]
    return dataclasses.replace(entity, columns=entity.columns + ((column, "str"),))


def test_committed_files_are_what_the_contract_generates():
    assert dbt_codegen.check() == [], "run `crmwh codegen` (make codegen) and commit"
    for path in dbt_codegen.generated():
        first = (dbt_codegen.ROOT / path).read_text(encoding="utf-8").splitlines()[0]
        assert "Generated" in first and "crmwh codegen" in first, path


def test_a_column_added_without_regenerating_fails_the_check(monkeypatch, capsys, tmp_path):
    key = ("SAV", "CUST")
    monkeypatch.setitem(extracts.ENTITIES, key, _with_column(key, "vip_flag"))
    monkeypatch.setitem(extracts.MEANINGS, "vip_flag", "whether the system marks the customer VIP")
    stale = [dbt_codegen.RAW_SOURCES, dbt_codegen.STAGING_COLUMNS, dbt_codegen.STAGING_MODELS]
    assert dbt_codegen.check() == stale
    assert main(["codegen", "--check"]) == 1
    err = capsys.readouterr().err
    assert all(path in err for path in stale), err
    # regenerated (into a copy), the check passes and the column is there with its meaning
    for path in stale:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
    assert dbt_codegen.write(tmp_path) == stale
    assert dbt_codegen.check(tmp_path) == []
    models = (tmp_path / dbt_codegen.STAGING_MODELS).read_text(encoding="utf-8")
    assert "whether the system marks the customer VIP" in models
    assert "['vip_flag', 'varchar']" in (tmp_path / dbt_codegen.STAGING_COLUMNS).read_text()


def test_every_column_has_a_meaning_and_a_missing_one_stops_the_generator(monkeypatch):
    for entity in extracts.ENTITIES.values():
        assert entity.meaning
        for column in entity.column_names:
            assert entity.column_meaning(column) not in extracts.SQL_TYPES.values(), column
    key = ("PUB", "ORG")
    monkeypatch.setitem(extracts.ENTITIES, key, _with_column(key, "no_meaning"))
    with pytest.raises(KeyError, match="PUB_ORG.no_meaning"):
        dbt_codegen.generated()


def test_sql_types_are_the_types_ingest_writes(tmp_path):
    """The data_type of the generated YAML is what DuckDB reads from the raw zone's Parquet."""
    frame = pl.DataFrame(schema={kind: dtype for kind, dtype in RAW_TYPES.items()})
    path = tmp_path / "types.parquet"
    frame.write_parquet(path)
    with duckdb.connect() as con:
        described = con.execute(f"describe select * from read_parquet('{path}')").fetchall()
    got = {c: t.lower() for c, t, *_ in described}
    assert got == {kind: sql.replace(", ", ",") for kind, sql in extracts.SQL_TYPES.items()}


def test_staging_models_take_their_columns_from_the_generated_macro():
    for entity in extracts.ENTITIES.values():
        model = dbt_codegen.staging_model(entity)
        sql = dbt_codegen.ROOT / "dbt/models/staging" / entity.system.lower() / f"{model}.sql"
        assert f"staging_columns('{dbt_codegen.raw_table(entity)}')" in sql.read_text(), model
