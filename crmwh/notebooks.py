"""Execute the analyst notebooks (notebooks/*.py, jupytext percent scripts) against a
published warehouse and render them to HTML.

The percent scripts are the source (diff-friendly, reviewed); the paired `.ipynb` files
carry no outputs. Outputs exist only in the rendered copies under `data/reports/`.
"""

from __future__ import annotations

import html
import os
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
CELL_TIMEOUT_S = 600


def sources() -> list[Path]:
    """The notebooks, in reading order (their names start with a number)."""
    return sorted(p for p in NOTEBOOKS.glob("[0-9]*.py"))


def execute(source: Path, data: Path) -> nbformat.NotebookNode:
    """The notebook run top to bottom in a fresh kernel reading `data`; raises
    `nbclient.exceptions.CellExecutionError` at the first cell that fails."""
    nb = jupytext.read(source)
    previous = os.environ.get("CRMWH_DATA")
    os.environ["CRMWH_DATA"] = str(Path(data).resolve())  # the kernel inherits it
    try:
        NotebookClient(
            nb,
            timeout=CELL_TIMEOUT_S,
            kernel_name="python3",
            resources={"metadata": {"path": str(source.parent)}},
        ).execute()
    finally:
        if previous is None:
            os.environ.pop("CRMWH_DATA", None)
        else:
            os.environ["CRMWH_DATA"] = previous
    return nb


def to_html(nb: nbformat.NotebookNode) -> str:
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter(exclude_input_prompt=True, exclude_output_prompt=True).from_notebook_node(nb)
    return body


def render(data: Path, out: Path) -> list[Path]:
    """Every notebook executed on `data` and written as `out/<name>.html`, plus an index."""
    out.mkdir(parents=True, exist_ok=True)
    pages = []
    for source in sources():
        page = out / f"{source.stem}.html"
        page.write_text(to_html(execute(source, data)), encoding="utf-8")
        pages.append(page)
        print(f"rendered {page}")
    items = "\n".join(f'<li><a href="{p.name}">{html.escape(title(p))}</a></li>' for p in pages)
    index = (
        f"<!doctype html><meta charset='utf-8'><title>crmwh reports</title>"
        f"<h1>crmwh analyst notebooks</h1><ul>{items}</ul>\n"
    )
    (out / "index.html").write_text(index, encoding="utf-8")
    return pages


def title(page: Path) -> str:
    """The first heading of a notebook's source, for the index."""
    source = NOTEBOOKS / f"{page.stem}.py"
    for cell in jupytext.read(source).cells:
        for line in cell.source.splitlines():
            if line.startswith("#"):
                return line.lstrip("# ").strip()
    return page.stem
