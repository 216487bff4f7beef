"""The analyst notebooks run top to bottom on a demo warehouse and draw real charts."""

from __future__ import annotations

import re

import jupytext
import nbformat
import pytest

from crmwh.notebooks import execute, render, sources, to_html

NOTEBOOKS = sources()
PLACEHOLDERS = re.compile(r"\b(TODO|TBD|FIXME|lorem ipsum|placeholder)\b", re.IGNORECASE)


def test_there_is_a_notebook_per_story():
    names = [p.stem for p in NOTEBOOKS]
    for story in ("vip", "contribution", "manager", "alert", "quality"):
        assert any(story in n for n in names), f"no notebook about {story}: {names}"


@pytest.mark.parametrize("source", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_opens_with_its_question_in_two_sentences(source):
    first = jupytext.read(source).cells[0]
    assert first.cell_type == "markdown"
    text = "\n".join(ln for ln in first.source.splitlines() if not ln.startswith("#"))
    opening = " ".join(p for p in text.strip().split("\n\n")[0].split())  # its first paragraph
    sentences = re.findall(r"[^.?!]+[.?!](?=\s|$)", opening)
    assert len(sentences) == 2, f"{source.name} opens with: {opening!r}"


@pytest.mark.parametrize("source", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_paired_ipynb_has_the_same_cells_and_no_outputs(source):
    paired = source.with_suffix(".ipynb")
    assert paired.exists(), f"run `jupytext --sync {source}`"
    nb = nbformat.read(paired, as_version=4)
    script = jupytext.read(source)
    assert [(c.cell_type, c.source) for c in nb.cells] == [(c.cell_type, c.source) for c in script.cells]
    assert all(
        not c.get("outputs") and c.get("execution_count") is None
        for c in nb.cells
        if c.cell_type == "code"
    )


@pytest.mark.parametrize("source", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_on_the_demo_warehouse_and_draws_every_chart(source, demo_data):
    nb = execute(source, demo_data)  # raises at the first cell that fails
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    charts = source.read_text(encoding="utf-8").count("analyst.drawn(")
    assert charts >= 2, f"{source.name}: a story needs charts"
    # every figure passed through `analyst.drawn` (which refuses an empty one) shows once
    assert len(images) == charts, f"{source.name}: {len(images)} images for {charts} charts"
    errors = [
        o
        for o in outputs
        if o.output_type == "error"
        or (o.output_type == "stream" and o.name == "stderr" and "Traceback" in o.text)
    ]
    assert not errors
    shown = [c.source for c in nb.cells if c.cell_type == "markdown"] + [
        o.get("text", "") + str(o.get("data", {}).get("text/plain", "")) for o in outputs
    ]
    assert not [t for t in shown if PLACEHOLDERS.search(t)], "placeholder text in the story"
    assert to_html(nb).count("<img") >= charts


def test_render_writes_one_page_per_notebook_and_an_index(demo_data, tmp_path, monkeypatch):
    # rendering the first notebook stands for all (each one is executed above)
    monkeypatch.setattr("crmwh.notebooks.sources", lambda: NOTEBOOKS[:1])
    pages = render(demo_data, tmp_path)
    assert [p.name for p in pages] == [f"{NOTEBOOKS[0].stem}.html"]
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert pages[0].name in index and "<img" in pages[0].read_text(encoding="utf-8")


def test_a_failing_notebook_is_named_with_its_cell_and_error(tmp_path, capsys, monkeypatch):
    from crmwh.cli import main

    # no published warehouse in --data: the first code cell of each notebook stops
    monkeypatch.setattr("crmwh.notebooks.sources", lambda: NOTEBOOKS[:2])
    assert main(["notebooks", "--data", str(tmp_path / "none"), "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    for source in NOTEBOOKS[:2]:
        cells = jupytext.read(source).cells
        first_code = next(i for i, c in enumerate(cells, start=1) if c.cell_type == "code")
        assert f"{source.name} failed at cell {first_code}: " in err, err
    assert err.count("FileNotFoundError: no published warehouse") == 2
    assert "0 notebooks rendered, 2 failed" in err
    assert not list(tmp_path.glob("0*.html"))
