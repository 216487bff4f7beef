"""What `make lint` runs, so a change that fails it fails the tests too."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUFF = str(Path(sys.executable).parent / "ruff")


@pytest.mark.parametrize("args", [["check", "."], ["format", "--check", "."]], ids=["check", "format"])
def test_ruff(args):
    done = subprocess.run([RUFF, *args], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_no_formatter_escapes():
    """ruff format owns the layout: no formatter escape comments (fmt skip / off) left to rot."""
    marked = [
        f"{p.relative_to(ROOT)}:{i}"
        for p in ROOT.glob("**/*.py")
        if not {".venv", "data", ".git"} & set(p.relative_to(ROOT).parts)
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if "# fmt: " + "skip" in line or "# fmt: " + "off" in line
    ]
    assert not marked, marked
