"""Formatting records as the contract's files, and writing a batch with its `.OK`.

Legacy files: GB18030, fields joined by `|+|`, no header, no quoting. Modern files:
UTF-8 CSV with a header (RFC 4180). Values arrive already as text; `None` is empty.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from contract.extracts import LEGACY, MODERN, Entity, cents_text, ok_file_name


def money(col: str | pl.Expr) -> pl.Expr:
    """int64 cents -> '1234.56' / '-0.05'."""
    c = pl.col(col) if isinstance(col, str) else col
    return (
        pl.when(c < 0).then(pl.lit("-")).otherwise(pl.lit(""))
        + (c.abs() // 100).cast(pl.String)
        + "."
        + (c.abs() % 100).cast(pl.String).str.zfill(2)
    )


def rate(col: str | pl.Expr) -> pl.Expr:
    """int64 in 1/10000 -> '2.1500'."""
    c = pl.col(col) if isinstance(col, str) else col
    return (c // 10_000).cast(pl.String) + "." + (c % 10_000).cast(pl.String).str.zfill(4)


@dataclass
class DataFile:
    """One data file as written: its bytes, record count and control total in cents."""

    name: str
    content: bytes
    records: int
    total_cents: int
    truncate_to: int | None = None  # ok_mismatch: bytes actually delivered


def legacy_lines(frame: pl.DataFrame, entity: Entity) -> list[str]:
    """Text columns named as the entity's columns -> one line per record."""
    if frame.height == 0:
        return []
    cols = [pl.col(c).fill_null("") for c in entity.column_names]
    return frame.select(pl.concat_str(cols, separator=LEGACY.separator)).to_series().to_list()


def encode_legacy(lines: list[str], dirty: dict[int, bytes | None], crlf: bool) -> bytes:
    """Encode lines in GB18030; `dirty` maps a line index to bytes that replace it."""
    eol = "\r\n" if crlf else "\n"
    out, start = [], 0
    for i in sorted(dirty):
        if i > start:
            out.append((eol.join(lines[start:i]) + eol).encode(LEGACY.encoding))
        if dirty[i] is not None:
            out.append(dirty[i] + eol.encode())
        start = i + 1
    if start < len(lines):
        out.append((eol.join(lines[start:]) + eol).encode(LEGACY.encoding))
    return b"".join(out)


def modern_bytes(frame: pl.DataFrame, entity: Entity) -> bytes:
    """RFC 4180 CSV with a header; fields quoted only where they need it."""
    buf = io.BytesIO()
    frame.select(pl.col(c).cast(pl.String) for c in entity.column_names).write_csv(
        buf, separator=MODERN.separator, line_terminator="\n", quote_style="necessary"
    )
    return buf.getvalue()


def ok_text(sys: str, biz_date: str, version: int, mode: str, files: list[DataFile]) -> bytes:
    lines = [f"HDR|{sys}|{biz_date}|{version}|{mode}"]
    for f in files:
        md5 = hashlib.md5(f.content).hexdigest()
        lines.append(f"{f.name}|{f.records}|{cents_text(f.total_cents)}|{md5}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def write_if_changed(path: Path, content: bytes) -> None:
    """Rewrite only when the bytes differ, so re-generation leaves mtimes alone."""
    if path.exists() and path.stat().st_size == len(content) and path.read_bytes() == content:
        return
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(content)
    tmp.replace(path)


def write_batch(
    landing: Path, sys: str, biz_date: str, version: int, mode: str, files: list[DataFile], signal: bool
) -> None:
    """Data files first, the `.OK` last (as a bank's transfer job does)."""
    for f in files:
        data = f.content if f.truncate_to is None else f.content[: f.truncate_to]
        write_if_changed(landing / f.name, data)
    ok = landing / ok_file_name(sys, biz_date)
    if signal:
        write_if_changed(ok, ok_text(sys, biz_date, version, mode, files))
    elif ok.exists():
        ok.unlink()
