"""Keyed hashes and clear-identity detection for everything that leaves the warehouse.

Identity numbers are guessable (area code, birth date, sequence, check digit), so a plain or
salted hash of one is reversed by enumeration: every published surrogate of an identity or
an account (`party_id`, `account_hash`) is HMAC-SHA256 under the bank's identity key. The
key comes from the environment (`CRMWH_IDENTITY_KEY`), never from the repository or the
published files; a development machine without it gets a random key generated once outside
the repository (`~/.config/crmwh/identity.key`, 0600). It never leaves the warehouse: a
branch matches its lists through `crmwh match`, run by the data team.

`find_clear_identity` is the last line of defence: every published file and export is
scanned with it, and any hit aborts the publish.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

log = logging.getLogger(__name__)

KEY_ENV = "CRMWH_IDENTITY_KEY"
KEY_FILE_ENV = "CRMWH_IDENTITY_KEY_FILE"  # where the development key is kept (optional)
MIN_KEY_BYTES = 32


# Boundaries are "not a letter or digit", so a digit run inside a hex digest or an id like
# PT04baea... never counts, while 手机13812345678 or "ID:1101..." does.
_B = r"(?<![0-9A-Za-z])"
_E = r"(?![0-9A-Za-z])"
# Resident ID, 18 characters: 17 digits and a digit or X. Loose on purpose: numbers with a
# wrong check digit or an impossible birth date (the review queue's) are still identities.
ID18 = r"[1-9]\d{16}[\dXx]"
# Old 15-digit ID: area, YYMMDD, sequence. The date shape keeps other 15-digit codes out.
ID15 = r"[1-9]\d{5}\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}"
# Mainland mobile, optionally +86 and written 138-1234-5678 or 138 1234 5678.
MOBILE = r"(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}"

# Card and account numbers: a run of 13 or more digits (two letters may lead: LN3100...,
# the style of loan and fund accounts), or a card written in groups of four. 13 keeps out
# amounts (up to 11 integer digits), dates, and the 12-digit CNAPS bank codes (行号, public,
# in counterparty fields and the seeds), so a 12-digit number in free text is not caught
# here: account columns are masked by name when published (marts/publish.py), whatever
# their length.
# With two letters, at most 19 digits: the published surrogates (party_id PT..., account_hash
# AC..., a role's HM...) are two letters and 20 hex digits, all of them decimal digits for
# about 1 in 12,000 ids, and are not account numbers.
ACCOUNT = r"[A-Za-z]{2}\d{13,19}|\d{13,}|\d{4}(?:[- ]\d{4}){3}(?:[- ]?\d{1,3})?"

CLEAR_IDENTITY = re.compile(f"{_B}(?:{ID18}|{ID15}|{MOBILE}|{ACCOUNT}){_E}")
# The same in RE2 syntax (no look-around) for Arrow's vectorised prefilter; a value it flags
# is confirmed with CLEAR_IDENTITY.
_NA = "[^0-9A-Za-z]"
CLEAR_IDENTITY_RE2 = f"(?:^|{_NA})(?:{ID18}|{ID15}|{MOBILE}|{ACCOUNT})(?:{_NA}|$)"


def dev_key_path() -> Path:
    """The development key's file: `$CRMWH_IDENTITY_KEY_FILE`, else
    `${XDG_CONFIG_HOME:-~/.config}/crmwh/identity.key` (outside any checkout, so `make
    clean` or a fresh clone keeps the same party ids on this machine)."""
    if os.environ.get(KEY_FILE_ENV):
        return Path(os.environ[KEY_FILE_ENV])
    config = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(config) / "crmwh" / "identity.key"


def identity_key() -> bytes:
    """The bank's identity key: `$CRMWH_IDENTITY_KEY` (text, used as UTF-8 bytes, at least
    32) when set; otherwise a random 32-byte development key made once in `dev_key_path()`
    (file 0600, folder 0700), with a warning."""
    env = os.environ.get(KEY_ENV)
    if env:
        key = env.encode()
        if len(key) < MIN_KEY_BYTES:
            raise ValueError(f"{KEY_ENV} holds {len(key)} bytes; a key needs at least {MIN_KEY_BYTES}")
        return key
    path = dev_key_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(path.parent, 0o700)
        # O_EXCL: two processes racing here must not end with two different keys.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as f:
                f.write(secrets.token_bytes(MIN_KEY_BYTES))
                f.flush()
                os.fsync(f.fileno())
    log.warning(
        "%s is not set: using the development key %s (production sets %s)", KEY_ENV, path, KEY_ENV
    )
    key = path.read_bytes()
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"{path} holds {len(key)} bytes; a key needs at least {MIN_KEY_BYTES}")
    return key


def key_id(key: bytes) -> str:
    """A fingerprint that names a key without revealing it (recorded with what it built, so
    a changed key is noticed before ids built under two keys mix)."""
    return hmac.new(key, b"crmwh key id", "sha256").hexdigest()[:16]


def _pads(key: bytes) -> tuple[bytes, bytes]:
    """RFC 2104's inner and outer padded keys (the key hashed first when longer than
    SHA-256's 64-byte block)."""
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    block = key.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block)


# HMAC-SHA256 in DuckDB SQL (hex, as `hmac.new(key, x.encode(), "sha256").hexdigest()`): the
# padded keys are session variables set by `set_key_variables`, so the key is in no SQL text,
# compiled file or log. `{x}` is a VARCHAR expression.
KEYED_HASH_SQL = (
    "sha256(getvariable('crmwh_opad') || from_hex(sha256(getvariable('crmwh_ipad') || encode({x}))))"
)


def set_key_variables(con, key: bytes) -> None:
    """Set `crmwh_ipad` and `crmwh_opad` (BLOBs) on a DuckDB connection or cursor for
    `KEYED_HASH_SQL` (and dbt's `keyed_hash` macro)."""
    inner, outer = _pads(key)
    con.execute("set variable crmwh_ipad = from_hex(?)", [inner.hex()])
    con.execute("set variable crmwh_opad = from_hex(?)", [outer.hex()])


def hmac_hex(key: bytes, values: Iterable[str | None]) -> list[str | None]:
    """HMAC-SHA256 of each value's UTF-8 bytes, as lowercase hex; None stays None. The keyed
    object is made once and copied per value (the per-call set-up of `hmac.digest` dominates
    on short values); repeated values are hashed once."""
    base = hmac.new(key, digestmod="sha256")
    seen: dict[str, str] = {}
    out: list[str | None] = []
    append = out.append
    for v in values:
        if v is None:
            append(None)
            continue
        h = seen.get(v)
        if h is None:
            m = base.copy()
            m.update(v.encode())
            h = seen[v] = m.hexdigest()
        append(h)
    return out


def find_clear_identity(texts: Iterable[str | None]) -> list[str]:
    """Every clear ID number (18 or 15 digits) or mobile found in the texts, in order."""
    found: list[str] = []
    for t in texts:
        if t:
            found.extend(m.group(0) for m in CLEAR_IDENTITY.finditer(t))
    return found


def find_clear_identity_arrow(column: pa.Array | pa.ChunkedArray) -> list[str]:
    """`find_clear_identity` over an Arrow string column: RE2 filters in C++, Python confirms
    only the flagged values (so a clean million-row column costs one vectorised pass)."""
    flagged = pc.filter(
        column, pc.fill_null(pc.match_substring_regex(column, CLEAR_IDENTITY_RE2), False)
    )
    return find_clear_identity(flagged.to_pylist()) if len(flagged) else []


def mask_clear_identity(text: str | None) -> str | None:
    """The text with each clear ID, mobile, card or account number in its masked form
    (110105********002X, 138****5678, 625900******2384)."""
    if text is None:
        return None
    return CLEAR_IDENTITY.sub(lambda m: mask_value(m.group(0)), text)


def mask_value(value: str) -> str:
    """One clear ID, mobile, card or account number, masked: ID numbers keep the first 6
    and last 4 characters, mobiles the first 3 and last 4 digits; card and account numbers
    the first 6 and last 4 (PCI DSS) from 16 characters, the first and last 4 below."""
    if re.fullmatch(ID18, value) or re.fullmatch(ID15, value):
        return value[:6] + "*" * (len(value) - 10) + value[-4:]
    if re.fullmatch(MOBILE, value):
        digits = re.sub(r"\D", "", value)[-11:]
        return digits[:3] + "****" + digits[-4:]
    return mask_account(re.sub(r"[- ]", "", value))


def mask_account(number: str) -> str:
    """A card or account number with all but its first 6 and last 4 characters starred
    (first and last 4 when shorter than 16, so at most half is shown)."""
    head = 6 if len(number) >= 16 else 4
    if len(number) <= head + 4:
        return "*" * len(number)
    return number[:head] + "*" * (len(number) - head - 4) + number[-4:]
