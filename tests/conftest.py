"""Shared fixtures: small generated landing folders, made once per test session."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from pathlib import Path

import pytest

from contract.extracts import ENTITIES, LEGACY
from crmwh.synth.generate import generate

START = dt.date(2026, 7, 1)


@pytest.fixture(scope="session")
def clean_landing(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("clean")
    generate(out, customers=600, days=6, start=START, seed=7, dirt="none")
    return out


@pytest.fixture(scope="session")
def dirty_landing(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("default")
    generate(out, customers=3000, days=12, start=START, seed=11, dirt="default")
    return out


@pytest.fixture(scope="session")
def heavy_landing(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("heavy")
    generate(out, customers=1500, days=10, start=START, seed=5, dirt="heavy")
    return out


@pytest.fixture(scope="session")
def months_landing(tmp_path_factory) -> Path:
    """Three months (June, July finished; August to the 9th): what monthly marts need."""
    out = tmp_path_factory.mktemp("months")
    generate(out, customers=800, days=70, start=dt.date(2026, 6, 1), seed=3, dirt="default")
    return out


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory) -> Path:
    """What `make demo` leaves in data/, at a test's scale: three finished months and
    September to the 8th, run through the project's Dagster definitions, published,
    exported, with dbt docs and GX Data Docs. The notebooks and the browser check read it."""
    import dagster as dg

    from crmwh.cli import main
    from dagster_project.run import run_pipeline

    root = tmp_path_factory.mktemp("demo")
    landing, data = root / "landing", root / "data"
    generate(landing, customers=600, days=100, start=dt.date(2026, 6, 1), seed=42, dirt="default")
    result = run_pipeline(landing, data, dg.DagsterInstance.ephemeral())
    assert result.built is not None and result.built.success
    assert main(["docs", "--data", str(data)]) == 0
    return data


def read_ok(path: Path) -> tuple[list[str], list[list[str]]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return lines[0].split("|"), [ln.split("|") for ln in lines[1:]]


def entity_of(file_name: str):
    sys, name = file_name.split("_")[:2]
    return ENTITIES[(sys, name)]


def records(path: Path) -> list[list[str]]:
    """A clean file's records as field lists (the contract's dialect, nothing sniffed)."""
    entity = entity_of(path.name)
    if entity.family is LEGACY:
        text = path.read_bytes().decode("gb18030")
        return [ln.split("|+|") for ln in text.replace("\r\n", "\n").split("\n")[:-1]]
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == entity.column_names, path.name
    return rows[1:]


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()
