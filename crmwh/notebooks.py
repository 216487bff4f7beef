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
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
CELL_TIMEOUT_S = 600


def sources() -> list[Path]:
    """The notebooks, in reading order (their names start with a number)."""
    return sorted(p for p in NOTEBOOKS.glob("[0-9]*.py"))


class NotebookFailed(Exception):
    """A notebook stopped at a cell: which notebook, which cell (its number among the
    notebook's cells, from 1, and its first line of code) and the error."""

    def __init__(self, source: Path, cell: int | None, first_line: str, error: str):
        self.source, self.cell, self.first_line, self.error = source, cell, first_line, error
        where = f"cell {cell} ({first_line})" if cell is not None else "before its first cell"
        super().__init__(f"{source.name}, {where}: {error}")


def execute(source: Path, data: Path) -> nbformat.NotebookNode:
    """The notebook run top to bottom in a fresh kernel reading `data`; raises
    `NotebookFailed` at the first cell that fails (or when the kernel dies or a cell
    times out)."""
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
    except CellExecutionError as e:
        raise _failed(source, nb, f"{e.ename}: {e.evalue}") from e
    except (CellTimeoutError, DeadKernelError) as e:
        raise _failed(source, nb, f"{type(e).__name__}: {e}") from e
    finally:
        if previous is None:
            os.environ.pop("CRMWH_DATA", None)
        else:
            os.environ["CRMWH_DATA"] = previous
    return nb


def _failed(source: Path, nb: nbformat.NotebookNode, error: str) -> NotebookFailed:
    """The cell that failed: the one with an error output, else the last one started."""
    code = [(i, c) for i, c in enumerate(nb.cells, start=1) if c.cell_type == "code"]
    failing = [(i, c) for i, c in code if any(o.output_type == "error" for o in c.get("outputs", []))]
    started = [(i, c) for i, c in code if c.get("execution_count") is not None]
    for i, cell in failing[:1] or started[-1:]:
        lines = [ln.strip() for ln in cell.source.splitlines() if ln.strip()]
        return NotebookFailed(source, i, lines[0] if lines else "", error)
    return NotebookFailed(source, None, "", error)


def to_html(nb: nbformat.NotebookNode) -> str:
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter(exclude_input_prompt=True, exclude_output_prompt=True).from_notebook_node(nb)
    return body


def render(data: Path, out: Path) -> list[Path]:
    """Every notebook executed on `data` and written as `out/<name>.html`, plus an index
    of those that ran. A notebook that fails does not stop the others: the failures are
    raised together at the end (`NotebooksFailed`), after the index is written."""
    out.mkdir(parents=True, exist_ok=True)
    pages, failures = [], []
    for source in sources():
        page = out / f"{source.stem}.html"
        try:
            nb = execute(source, data)
        except NotebookFailed as e:
            failures.append(e)
            page.unlink(missing_ok=True)  # no stale page of an earlier run
            continue
        page.write_text(to_html(nb), encoding="utf-8")
        pages.append(page)
        print(f"rendered {page}")
    items = "\n".join(f'<li><a href="{p.name}">{html.escape(title(p))}</a></li>' for p in pages)
    index = (
        f"<!doctype html><meta charset='utf-8'><title>crmwh reports</title>"
        f"<h1>crmwh analyst notebooks</h1><ul>{items}</ul>\n"
    )
    (out / "index.html").write_text(index, encoding="utf-8")
    if failures:
        raise NotebooksFailed(failures, pages)
    return pages


class NotebooksFailed(Exception):
    """Some notebooks failed (`failures`); the others were rendered (`pages`)."""

    def __init__(self, failures: list[NotebookFailed], pages: list[Path]):
        self.failures, self.pages = failures, pages
        super().__init__("; ".join(str(f) for f in failures))


def title(page: Path) -> str:
    """The first heading of a notebook's source, for the index."""
    source = NOTEBOOKS / f"{page.stem}.py"
    for cell in jupytext.read(source).cells:
        for line in cell.source.splitlines():
            if line.startswith("#"):
                return line.lstrip("# ").strip()
    return page.stem
