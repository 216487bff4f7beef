"""What has arrived in the landing folder: batches, their `.OK` signals, their files.

The landing folder is the bank's: ingest only reads it. A batch `(sys, D)` is complete
when `{SYS}_{D}.OK` exists; data files of a date without its `.OK` are a batch waiting.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from contract.extracts import ENTITIES, SYSTEMS, batch_entities, ok_file_name

OK_NAME = re.compile(r"^([A-Z]{3})_(\d{8})\.OK$")
DATA_NAME = re.compile(r"^([A-Z]{3})_([A-Z]+)_(\d{8})\.(dat|csv)$")


class OkError(ValueError):
    """A `.OK` file that does not follow the contract."""


@dataclass(frozen=True)
class OkEntry:
    file: str
    records: int
    total_cents: int
    md5: str


@dataclass(frozen=True)
class OkSignal:
    sys: str
    biz_date: str
    version: int
    mode: str
    entries: tuple[OkEntry, ...]
    md5: str  # of the .OK file itself: a new delivery has a new md5


def _cents(text: str) -> int:
    if not re.fullmatch(r"-?\d+\.\d{2}", text):
        raise OkError(f"control total {text!r} is not an amount with 2 decimals")
    whole, frac = text.lstrip("-").split(".")
    return (-1 if text.startswith("-") else 1) * (int(whole) * 100 + int(frac))


def parse_ok(content: bytes, sys: str, biz_date: str) -> OkSignal:
    """Parse and validate a `.OK` file against the contract and its own name."""
    md5 = hashlib.md5(content).hexdigest()
    try:
        lines = content.decode("utf-8").splitlines()
    except UnicodeDecodeError as e:
        raise OkError(f".OK is not UTF-8: {e}") from None
    if not lines:
        raise OkError(".OK is empty")
    head = lines[0].split("|")
    if len(head) != 5 or head[0] != "HDR":
        raise OkError(f"bad header line {lines[0]!r}: expected HDR|SYS|D|version|FULL or DELTA")
    _, h_sys, h_date, h_version, mode = head
    if (h_sys, h_date) != (sys, biz_date):
        raise OkError(f"header names {h_sys} {h_date}, the file name {sys} {biz_date}")
    if not h_version.isdigit() or int(h_version) < 1:
        raise OkError(f"version {h_version!r} is not a positive integer")
    if mode not in ("FULL", "DELTA"):
        raise OkError(f"mode {mode!r} is neither FULL nor DELTA")
    entries = []
    for line in lines[1:]:
        parts = line.split("|")
        if len(parts) != 4 or not parts[1].isdigit() or not re.fullmatch(r"[0-9a-f]{32}", parts[3]):
            raise OkError(f"bad file line {line!r}: expected name|records|total|md5")
        entries.append(OkEntry(parts[0], int(parts[1]), _cents(parts[2]), parts[3]))
    expected = {e.file_name(biz_date) for e in batch_entities(sys, biz_date)}
    listed = [e.file for e in entries]
    if len(set(listed)) != len(listed):
        raise OkError("a file is listed twice")
    if set(listed) - expected:
        raise OkError(f"lists files outside the contract: {sorted(set(listed) - expected)}")
    if expected - set(listed):
        raise OkError(f"does not list {sorted(expected - set(listed))}")
    return OkSignal(sys, biz_date, int(h_version), mode, tuple(entries), md5)


@dataclass
class Arrival:
    """One system's date as seen in the landing folder."""

    sys: str
    biz_date: str
    ok_path: Path | None
    data_files: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.ok_path is not None


def scan(landing: Path) -> dict[tuple[str, str], Arrival]:
    """Every (sys, date) with a `.OK` or at least one data file, by name only."""
    found: dict[tuple[str, str], Arrival] = {}
    if not landing.is_dir():
        return found
    for p in landing.iterdir():
        if m := OK_NAME.match(p.name):
            if m[1] in SYSTEMS:
                found.setdefault((m[1], m[2]), Arrival(m[1], m[2], None)).ok_path = p
        elif (m := DATA_NAME.match(p.name)) and (m[1], m[2]) in ENTITIES:
            found.setdefault((m[1], m[3]), Arrival(m[1], m[3], None)).data_files.append(p.name)
    return found


def ok_path(landing: Path, sys: str, biz_date: str) -> Path:
    return landing / ok_file_name(sys, biz_date)
