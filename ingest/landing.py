"""What has arrived in the landing folder: batches, their `.OK` signals, their files.

The landing folder is the bank's: ingest only reads it. A batch `(sys, D)` is complete
when `{SYS}_{D}.OK` exists; data files of a date without its `.OK` are a batch waiting.
Names are matched whole and in ASCII only (a Unicode digit class would take `٢٠٢٦`, `$` a trailing
newline); only regular files count. Everything else is a `Stray`, recorded in the audit
(`audit_landing`) and never read: a symlink is not followed, whatever it points to.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from contract.extracts import ENTITIES, SYSTEMS, batch_entities, ok_file_name

# matched with fullmatch: the whole name, ASCII letters and digits only
OK_NAME = re.compile(r"([A-Z]{3})_([0-9]{8})\.OK", re.ASCII)
DATA_NAME = re.compile(r"([A-Z]{3})_([A-Z]+)_([0-9]{8})\.(dat|csv)", re.ASCII)
# what a batch file's name looks like to a person (any digits, spaces around): a name
# matching this but not the patterns above is a `bad_name`, not just an unknown file
LOOKS_LIKE_BATCH = re.compile(r"\s*\w{3}_(\w+_)?\d{8}\.(OK|dat|csv)\s*", re.IGNORECASE)


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


@dataclass(frozen=True)
class Stray:
    """A landing-folder entry that is not part of any batch, and why."""

    name: str
    reason: str  # unknown_file | symlink | bad_name | bad_date | not_a_regular_file
    detail: str
    size: int | None = None
    mtime: dt.datetime | None = None


def calendar_date(d: str) -> dt.date | None:
    """`YYYYMMDD` as a date; None when no such day exists (20260231)."""
    try:
        return dt.date(int(d[:4]), int(d[4:6]), int(d[6:]))
    except ValueError:
        return None


def _stray(p: Path, st, reason: str, detail: str) -> Stray:
    return Stray(p.name, reason, detail, st.st_size, dt.datetime.fromtimestamp(st.st_mtime))


def survey(landing: Path) -> tuple[dict[tuple[str, str], Arrival], list[Stray]]:
    """Every (sys, date) with a `.OK` or at least one data file, and every other entry."""
    found: dict[tuple[str, str], Arrival] = {}
    strays: list[Stray] = []
    if not landing.is_dir():
        return found, strays
    for p in sorted(landing.iterdir()):
        st = p.lstat()  # the entry itself: a symlink is never followed
        if stat.S_ISLNK(st.st_mode):
            strays.append(_stray(p, st, "symlink", "symbolic links are not read"))
            continue
        ok, data = OK_NAME.fullmatch(p.name), DATA_NAME.fullmatch(p.name)
        if not (ok or data):
            if not stat.S_ISREG(st.st_mode):
                if not p.name.startswith("_"):  # the generator's `_truth/` is its own
                    strays.append(_stray(p, st, "not_a_regular_file", "not a regular file"))
            elif LOOKS_LIKE_BATCH.fullmatch(p.name):
                why = f"{p.name!r} is not SYS_YYYYMMDD.OK or SYS_ENTITY_YYYYMMDD.dat|csv in ASCII"
                strays.append(_stray(p, st, "bad_name", why))
            else:
                strays.append(_stray(p, st, "unknown_file", "not an extract file name"))
            continue
        sys, d = (ok[1], ok[2]) if ok else (data[1], data[3])
        known = sys in SYSTEMS if ok else (data[1], data[2]) in ENTITIES
        if not known:
            strays.append(_stray(p, st, "unknown_file", "no such system or entity in the contract"))
        elif not stat.S_ISREG(st.st_mode):
            strays.append(_stray(p, st, "not_a_regular_file", "not a regular file"))
        elif calendar_date(d) is None:
            strays.append(_stray(p, st, "bad_date", f"{d} is not a calendar date"))
        elif ok:
            found.setdefault((sys, d), Arrival(sys, d, None)).ok_path = p
        else:
            found.setdefault((sys, d), Arrival(sys, d, None)).data_files.append(p.name)
    return found, strays


def scan(landing: Path) -> dict[tuple[str, str], Arrival]:
    """Every (sys, date) with a `.OK` or at least one data file, by name only."""
    return survey(landing)[0]


def ok_path(landing: Path, sys: str, biz_date: str) -> Path:
    return landing / ok_file_name(sys, biz_date)
