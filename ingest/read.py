"""Read one extract file into typed rows and quarantined records, losing nothing.

Legacy files (GB18030, `|+|`, no header, no quoting) and modern CSV files (UTF-8, `,`,
header, RFC 4180) go through the same steps:

1. find physical lines and count separators per line with numpy (no Python loop over
   lines); a line without separator continues the previous record (a newline inside a
   field), so a record is one or more physical lines;
2. records whose field count is wrong, or that span lines, are quarantined from their
   raw bytes; the rest is decoded in chunks (GB18030 is decoded in Python because
   DuckDB cannot) and lines with undecodable bytes are quarantined;
3. the good text is parsed by polars with a pinned dialect (never sniffed), trimmed,
   and cast to the declared types; a bad cast is quarantined too.

Rows in = rows loaded + rows quarantined, for every file.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from contract.extracts import Entity
from ingest.cast import LINE, cast_text, raw_schema

CHUNK_BYTES = 1 << 20  # decode in chunks: bounded memory, and a bad byte re-decodes one chunk
UNIT_SEP = "\x1f"  # single-byte stand-in for `|+|` (polars separators are one byte)
UNIT_SEP_B = UNIT_SEP.encode()


@dataclass
class Quarantined:
    line: int  # first physical line, 1-based
    lines: int  # physical lines the record spans
    reason: str  # broken_line | wrong_field_count | bad_bytes | bad_cast | control_character
    detail: str
    raw: bytes


@dataclass
class ParsedFile:
    frame: pl.DataFrame  # typed rows, the raw zone's schema
    quarantined: list[Quarantined] = field(default_factory=list)
    total_cents: int = 0  # control total over every record, quarantined ones included
    header_ok: bool = True

    @property
    def rows_in(self) -> int:
        return self.frame.height + len(self.quarantined)


# --- physical structure ---------------------------------------------------------------


def _lines(buf: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start, end (before CR/LF) and next-line start of every physical line."""
    a = np.frombuffer(buf, np.uint8)
    nl = np.flatnonzero(a == 10)
    nexts = nl + 1
    if len(buf) and buf[-1] != 10:
        nl = np.append(nl, len(buf))
        nexts = np.append(nexts, len(buf))
    starts = np.r_[0, nexts[:-1]].astype(np.int64) if len(nl) else np.zeros(0, np.int64)
    ends = nl.astype(np.int64)
    cr = (ends > starts) & (a[np.maximum(ends - 1, 0)] == 13) if len(ends) else ends.astype(bool)
    return starts, ends - cr, nexts


def _field_counts(buf: bytes, starts: np.ndarray, ends: np.ndarray, sep: bytes) -> np.ndarray:
    a = np.frombuffer(buf, np.uint8)
    if len(sep) == 1:
        pos = np.flatnonzero(a == sep[0])
    else:  # find the rarer middle byte, then check its neighbours (`|+|`)
        mid = len(sep) // 2
        cand = np.flatnonzero(a[mid : len(a) - (len(sep) - mid - 1)] == sep[mid])
        hit = np.ones(len(cand), bool)
        for k, byte in enumerate(sep):
            if k != mid:
                hit &= a[cand + k] == byte
        pos = cand[hit]
    last = np.searchsorted(pos, ends - len(sep), side="right")
    return last - np.searchsorted(pos, starts, side="left") + 1


def _records(fields: np.ndarray, width: int) -> tuple[np.ndarray, list[tuple[int, int, str]]]:
    """Good single-line records, and (first, last, reason) of every other record.

    A line without separator continues the record before it; a short line completed by
    the lines after it is one broken record; any other wrong count is its own record.
    """
    good = fields == width
    bad: list[tuple[int, int, str]] = []
    n = len(fields)
    odd = np.flatnonzero(~good)
    i_next = 0
    for i in odd.tolist():
        if i < i_next:
            continue
        if fields[i] == 1 and width > 1 and i > 0:  # continuation of the record before
            last = i
            while last + 1 < n and fields[last + 1] == 1:
                last += 1
            if bad and bad[-1][1] == i - 1:
                bad[-1] = (bad[-1][0], last, "broken_line")
            else:
                good[i - 1] = False
                bad.append((i - 1, last, "broken_line"))
            i_next = last + 1
            continue
        total, last = fields[i], i
        while total < width and last + 1 < n and not good[last + 1]:
            total += fields[last + 1] - 1
            last += 1
        if total == width and last > i:
            bad.append((i, last, "broken_line"))
            i_next = last + 1
        else:
            bad.append((i, i, "wrong_field_count"))
            i_next = i + 1
    return good, bad


# --- decoding -------------------------------------------------------------------------

_errors: list[int] = []


def _collect(exc: UnicodeDecodeError) -> tuple[str, int]:
    _errors.append(exc.start)
    return "\ufffd", exc.end


codecs.register_error("crmwh-collect", _collect)


def _decode_lines(
    buf: bytes, starts: np.ndarray, nexts: np.ndarray, keep: np.ndarray, encoding: str, sep: bytes
) -> tuple[bytes, np.ndarray, list[int]]:
    """UTF-8 bytes of the lines `keep` (physical indices), `sep` replaced by UNIT_SEP.

    Returns the text, the physical index of each line kept, and the physical indices of
    lines dropped for undecodable bytes or a stray UNIT_SEP. Separators are replaced on
    the bytes, before decoding, as the structural pass counted them: a GB18030 trail
    byte `|` followed by `+|` would count as a separator in both, so its record is
    quarantined (wrong field count or bad bytes), never split silently.
    """
    if len(keep) == 0:
        return b"", keep, []
    # contiguous runs of kept lines -> one slice each
    brk = np.flatnonzero(np.diff(keep) != 1)
    run_first = np.r_[keep[0], keep[brk + 1]]
    run_last = np.r_[keep[brk], keep[-1]]
    if len(run_first) == 1:  # the common case: no copy of the file
        body = memoryview(buf)[starts[run_first[0]] : nexts[run_last[0]]]
    else:
        body = memoryview(
            b"".join(buf[starts[f] : nexts[la]] for f, la in zip(run_first.tolist(), run_last.tolist()))
        )
    off = np.r_[0, np.cumsum(nexts[keep] - starts[keep])]
    out: list[bytes] = []
    dropped: list[int] = []
    a = 0
    while a < len(keep):
        b = max(int(np.searchsorted(off, off[a] + CHUNK_BYTES, side="right")) - 1, a + 1)
        chunk = bytes(body[off[a] : off[b]])
        utf8 = _to_utf8(chunk, encoding, sep)
        if utf8 is None:  # rare: find the lines at fault, drop them, convert the rest
            bad = _bad_lines(chunk, encoding, off[a : b + 1] - off[a])
            dropped += keep[a:b][bad].tolist()
            # the good lines between bad ones, one slice per stretch
            edges = [0, *[x for k in bad for x in (k, k + 1)], b - a]
            local = off[a : b + 1] - off[a]
            chunk = b"".join(
                chunk[local[edges[i]] : local[edges[i + 1]]]
                for i in range(0, len(edges), 2)
                if edges[i] < edges[i + 1]
            )
            utf8 = _to_utf8(chunk, encoding, sep)
        out.append(utf8)
        a = b
    kept = np.setdiff1d(keep, np.array(dropped, dtype=keep.dtype)) if dropped else keep
    return b"".join(out), kept, dropped


def _to_utf8(chunk: bytes, encoding: str, sep: bytes) -> bytes | None:
    """`chunk` as UTF-8 with `sep` -> UNIT_SEP; None if it has bad bytes or a UNIT_SEP."""
    if UNIT_SEP_B in chunk:
        return None
    chunk = chunk.replace(sep, UNIT_SEP_B)
    if chunk.isascii():  # ASCII is UTF-8 already: most account files need no decoding
        return chunk
    try:
        text = chunk.decode(encoding)
    except UnicodeDecodeError:
        return None
    return chunk if encoding == "utf-8" else text.encode("utf-8")


def _bad_lines(chunk: bytes, encoding: str, line_off: np.ndarray) -> list[int]:
    """Chunk-local indices of lines with undecodable bytes or a stray UNIT_SEP."""
    _errors.clear()
    chunk.decode(encoding, "crmwh-collect")
    positions = list(_errors)
    stray = chunk.find(UNIT_SEP_B)
    while stray >= 0:
        positions.append(stray)
        stray = chunk.find(UNIT_SEP_B, stray + 1)
    lines = np.searchsorted(line_off, np.array(positions), side="right") - 1
    return sorted(set(lines.tolist()))


# --- parsing --------------------------------------------------------------------------


def _text_frame(utf8: bytes, entity: Entity, physical: np.ndarray) -> pl.DataFrame:
    cols = entity.column_names
    if utf8:
        frame = pl.read_csv(
            io.BytesIO(utf8),
            separator=UNIT_SEP,
            has_header=False,
            quote_char=None,
            schema={c: pl.String for c in cols},
        )
    else:
        frame = pl.DataFrame(schema={c: pl.String for c in cols})
    frame.insert_column(len(cols), pl.Series(LINE, physical + 1, dtype=pl.Int64))
    return frame


def _amount_from_text(value: str | None) -> int:
    return _raw_amount((value or "").encode(), 0, b",")


def _finish(
    text: pl.DataFrame,
    entity: Entity,
    quarantined: list[Quarantined],
    q_cents: int,
    raw_line,
    clean: bool,
) -> ParsedFile:
    """Cast, quarantine bad casts with their source line, and total the amount column."""
    typed, bad, total = cast_text(text, entity, clean)
    for row in bad.iter_rows(named=True):
        quarantined.append(Quarantined(row[LINE], 1, "bad_cast", row["detail"], raw_line(row[LINE])))
        amount = entity.amount_column
        if amount and row[amount] is not None and f"{amount} '" in row["detail"]:
            # the amount itself failed its strict form ('1.5'): total it leniently, as the
            # source did; other bad rows' amounts are already in `total`
            total += _amount_from_text(row[amount])
    quarantined.sort(key=lambda q: q.line)
    return ParsedFile(typed, quarantined, total + q_cents)


def _structural(buf: bytes, entity: Entity, skip_header: bool):
    fam = entity.family
    starts, ends, nexts = _lines(buf)
    first = 1 if skip_header else 0
    fields = _field_counts(buf, starts[first:], ends[first:], fam.separator.encode())
    good, bad = _records(fields, len(entity.columns))
    quarantined, q_cents = [], 0
    amount_at = _amount_index(entity)
    for f, la, reason in bad:
        raw = buf[starts[f + first] : ends[la + first]]
        quarantined.append(
            _quarantine(raw, f + first, la - f + 1, reason, fields[f], len(entity.columns))
        )
        q_cents += _raw_amount(raw, amount_at, fam.separator.encode())
    keep = np.flatnonzero(good) + first
    return starts, nexts, keep, quarantined, q_cents


def _quarantine(raw: bytes, index: int, lines: int, reason: str, fields: int, width: int) -> Quarantined:
    if reason == "broken_line":
        detail = f"record spans {lines} lines (a newline inside a field)"
    else:
        detail = f"{int(fields)} fields, expected {width}"
    return Quarantined(index + 1, lines, reason, detail, raw)


def _raw_amount(raw: bytes, at: int | None, sep: bytes) -> int:
    """The amount field of a quarantined record, from its bytes (0 if unreadable)."""
    if at is None:
        return 0
    parts = raw.split(sep)
    if len(parts) <= at:
        return 0
    try:
        text = parts[at].decode("ascii").strip()
        whole, _, frac = text.partition(".")
        sign = -1 if whole.startswith("-") else 1
        return sign * (abs(int(whole)) * 100 + int((frac + "00")[:2]))
    except (UnicodeDecodeError, ValueError):
        return 0


def parse_legacy(buf: bytes, entity: Entity) -> ParsedFile:
    fam = entity.family
    starts, nexts, keep, quarantined, q_cents = _structural(buf, entity, skip_header=False)
    utf8, kept, dropped = _decode_lines(buf, starts, nexts, keep, fam.encoding, fam.separator.encode())
    q_cents += _quarantine_dropped(buf, starts, nexts, dropped, entity, quarantined)
    text = _text_frame(utf8, entity, kept)
    return _finish(text, entity, quarantined, q_cents, _line_getter(buf, starts, nexts), True)


def _line_getter(buf: bytes, starts: np.ndarray, nexts: np.ndarray):
    return lambda line: buf[starts[line - 1] : nexts[line - 1]].rstrip(b"\r\n")


def _amount_index(entity: Entity) -> int | None:
    return entity.column_names.index(entity.amount_column) if entity.amount_column else None


def _bad_bytes_detail(raw: bytes, encoding: str) -> tuple[str, str]:
    """(reason, detail) of a line dropped while decoding."""
    try:
        raw.decode(encoding)
        return "control_character", "unit separator (0x1F) inside a field"
    except UnicodeDecodeError as e:
        bad = raw[e.start : e.end].hex()
        return "bad_bytes", f"bytes {bad} at byte {e.start} are not valid {encoding}"


def _quarantine_dropped(
    buf: bytes,
    starts: np.ndarray,
    nexts: np.ndarray,
    dropped: list[int],
    entity: Entity,
    quarantined: list[Quarantined],
) -> int:
    """Quarantine the lines dropped while decoding; returns their amounts in cents."""
    cents = 0
    for i in dropped:
        raw = buf[starts[i] : nexts[i]].rstrip(b"\r\n")
        reason, detail = _bad_bytes_detail(raw, entity.family.encoding)
        quarantined.append(Quarantined(i + 1, 1, reason, detail, raw))
        cents += _raw_amount(raw, _amount_index(entity), entity.family.separator.encode())
    return cents


def parse_modern(buf, entity: Entity) -> ParsedFile:
    """RFC 4180 CSV with a header. Files without quotes take the fast structural path."""
    nl = buf.find(b"\n")
    header = bytes(buf[: nl if nl >= 0 else len(buf)]).rstrip(b"\r")
    if header.decode("utf-8", errors="replace").split(",") != entity.column_names:
        return ParsedFile(pl.DataFrame(schema=raw_schema(entity)), header_ok=False)
    if buf.find(b'"') >= 0:
        return _parse_quoted_csv(buf, entity)
    fam = entity.family
    starts, nexts, keep, quarantined, q_cents = _structural(buf, entity, skip_header=True)
    utf8, kept, dropped = _decode_lines(buf, starts, nexts, keep, fam.encoding, b",")
    q_cents += _quarantine_dropped(buf, starts, nexts, dropped, entity, quarantined)
    text = _text_frame(utf8, entity, kept)
    return _finish(text, entity, quarantined, q_cents, _line_getter(buf, starts, nexts), False)


def _parse_quoted_csv(buf, entity: Entity) -> ParsedFile:
    """The slow, exact path for CSV with quoted fields (which may hold newlines).

    One pass, line by line: a line that is not UTF-8 is quarantined and read as an empty
    line (line numbers stay those of the file), the rest goes to the csv module. A stray
    quote (`csv.Error`) is the caller's to catch: the file cannot be read reliably."""
    width = len(entity.columns)
    at = _amount_index(entity)
    starts, ends, nexts = _lines(buf)
    starts_l, ends_l, nexts_l = starts.tolist(), ends.tolist(), nexts.tolist()
    quarantined: list[Quarantined] = []
    q_cents = 0

    def raw(first: int, last: int) -> bytes:  # physical lines first..last, 1-based
        return bytes(buf[starts_l[first - 1] : ends_l[last - 1]])

    def text_lines():
        nonlocal q_cents
        for i in range(1, len(starts_l)):  # line 0 is the header
            line = bytes(buf[starts_l[i] : nexts_l[i]])
            try:
                yield line.decode("utf-8")
            except UnicodeDecodeError:
                bad = raw(i + 1, i + 1)
                quarantined.append(Quarantined(i + 1, 1, *_bad_bytes_detail(bad, "utf-8"), bad))
                q_cents += _raw_amount(bad, at, b",")
                yield "\n"

    reader = csv.reader(text_lines(), delimiter=",", quotechar='"', strict=True)
    rows, lines = [], []
    prev = 1  # physical line of the last record read (the header)
    for rec in reader:
        first, prev = prev + 1, reader.line_num + 1
        if len(rec) == width:
            rows.append(rec)
            lines.append(first)
        elif rec:  # a blank line, or one quarantined above for its bytes
            quarantined.append(
                Quarantined(
                    first,
                    prev - first + 1,
                    "wrong_field_count",
                    f"{len(rec)} fields, expected {width}",
                    raw(first, prev),
                )
            )
            if at is not None and len(rec) > at:
                q_cents += _raw_amount(rec[at].encode(), 0, b",")
    frame = pl.DataFrame(rows, schema={c: pl.String for c in entity.column_names}, orient="row")
    frame = frame.with_columns(pl.when(pl.col(c) != "").then(pl.col(c)) for c in frame.columns)
    frame.insert_column(len(entity.columns), pl.Series(LINE, lines, dtype=pl.Int64))
    return _finish(frame, entity, quarantined, q_cents, lambda line: raw(line, line), False)


def parse_file(buf, entity: Entity) -> ParsedFile:
    """`buf`: the file's bytes, or a read-only mmap of the file (no copy of it is made)."""
    if entity.family.header:
        return parse_modern(buf, entity)
    return parse_legacy(buf, entity)
