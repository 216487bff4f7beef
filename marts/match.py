"""`crmwh match`: a branch's list of customers (ID numbers, mobiles) to party ids.

Party ids are HMACs under the bank's identity key, which never leaves the warehouse, so a
branch cannot hash its own lists. The data team runs this on the work file instead: each
line is normalised as the warehouse normalises source records (the match-key rules of
dbt/macros/identity.sql, mirrored in `match_key`; a test checks both agree on every record),
looked up by its clear match key or mobile, and answered with the party id **only if the
party's home organisation is in the requesting organisation's subtree**.

The list: CSV, UTF-8 (a BOM is fine), a header row naming `id_type` and `id_no`, and/or
`mobile`; other columns are ignored. `id_type` as in the extracts (01 resident ID ... 06,
21 unified social credit code, 22 organisation code, 23 business licence; a leading zero
Excel dropped is put back). The answer, one line per data row in the list's order:
`row` (1 = the first data row), `party_id`, `matched_on` (`id` or `mobile`) and `reason`
(empty when matched; see `REASONS`). An ID number is tried first, then the mobile. No clear
ID number or mobile is ever printed or written.

Every request is recorded in the work file's `meta.match_requests` (when, who, organisation,
the list's sha256, rows, matched) for auditors.
"""

from __future__ import annotations

import csv
import datetime as dt
import getpass
import hashlib
import io
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from contract.idcodes import id15_to_id18, is_valid_id18, is_valid_org_code, is_valid_uscc

REASONS = {
    "not_found": "no party of the warehouse has this ID number or mobile",
    "outside_org": "the party's home organisation is not in the organisation's subtree",
    "ambiguous": "the mobile belongs to several parties",
    "invalid_id": "the ID number fails its check, or the ID type is unknown",
    "invalid_mobile": "not an 11-digit mainland mobile",
    "empty": "no ID number and no mobile",
}
PERSONAL_ID_TYPES = {"01", "02", "03", "04", "05", "06"}
CORPORATE_ID_TYPES = {"21", "22", "23"}

DDL = """
create schema if not exists meta;
create table if not exists meta.match_requests(
    request_id varchar primary key, requested_at timestamp not null,  -- UTC
    requested_by varchar, org_id varchar not null,
    list_sha256 varchar not null,   -- the list file's bytes: which list, not what it held
    rows integer not null, matched integer not null);
"""


class MatchError(ValueError):
    """The list or the organisation cannot be matched (a message for the data team)."""


@dataclass
class Answer:
    row: int
    party_id: str | None = None
    matched_on: str | None = None  # id | mobile
    reason: str | None = None  # None when matched


@dataclass
class MatchResult:
    request_id: str
    org_id: str
    list_sha256: str
    answers: list[Answer] = field(default_factory=list)

    @property
    def matched(self) -> int:
        return sum(a.reason is None for a in self.answers)

    def counts(self) -> dict[str, int]:
        """Rows per outcome: `matched` and each reason."""
        out: dict[str, int] = {}
        for a in self.answers:
            out[a.reason or "matched"] = out.get(a.reason or "matched", 0) + 1
        return out

    def write_csv(self, f) -> None:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["row", "party_id", "matched_on", "reason"])
        for a in self.answers:
            w.writerow([a.row, a.party_id or "", a.matched_on or "", a.reason or ""])


# --- normalisation, as the warehouse's (dbt/macros/identity.sql) ----------------------------

# half_width: full-width ASCII U+FF01-U+FF5E to half-width, U+3000 to a space, every bracket
# style to ( ) (full-width ［］ included, as the macro's one translate does)
_HALF_WIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_HALF_WIDTH.update({0x3000: 0x20, **{ord(c): ord("(") for c in "【〔[［"}})
_HALF_WIDTH.update({ord(c): ord(")") for c in "】〕]］"})


def id_text(text: str | None) -> str | None:
    """normalise_id_text: half-width, no spaces, upper case; empty -> None."""
    if text is None:
        return None
    return text.translate(_HALF_WIDTH).replace(" ", "").upper() or None


def match_key(id_type: str | None, id_no: str | None) -> str | None:
    """The warehouse's match key of an identity (int_customer_records_keyed): `P01:{18
    digits}` (a 15-digit number converted), `P{type}:{number}`, `C:{organisation code}` for
    a valid USCC (characters 9-17) or organisation code, `C23:{number}`. None: no key (an
    invalid number, which the warehouse never merges, or an unknown type)."""
    text = id_text(id_no)
    if text is None or id_type is None:
        return None
    # ASCII digits and letters only, as the SQL's alphabets (str.isdigit takes ² and ٣)
    if id_type == "01":
        if re.fullmatch(r"[0-9]{15}", text):
            text = id15_to_id18(text)
        valid = re.fullmatch(r"[0-9]{17}[0-9X]", text) and is_valid_id18(text)
        return f"P01:{text}" if valid else None
    if id_type in PERSONAL_ID_TYPES:
        return f"P{id_type}:{text}"
    if id_type == "21":
        return f"C:{text[8:17]}" if is_valid_uscc(text) else None
    if id_type == "22":
        code = text.replace("-", "")
        valid = re.fullmatch(r"[0-9A-Z]{8}[0-9X]", code) and is_valid_org_code(code)
        return f"C:{code}" if valid else None
    if id_type == "23":
        return f"C23:{text}"
    return None


_MOBILE = re.compile(r"1[3-9]\d{9}")


def mobile_digits(text: str | None) -> str | None:
    """An 11-digit mainland mobile from what people write (`138 1234 5678`, `+86-138...`);
    None when it is not one. `MOBILE_SQL` is the same for the warehouse's records."""
    if text is None:
        return None
    digits = re.sub(r"\D", "", text.translate(_HALF_WIDTH))
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits if _MOBILE.fullmatch(digits) else None


MOBILE_SQL = """
    case when length(regexp_replace({x}, '[^0-9]', '', 'g')) = 13
              and starts_with(regexp_replace({x}, '[^0-9]', '', 'g'), '86')
         then substring(regexp_replace({x}, '[^0-9]', '', 'g'), 3)
         else regexp_replace({x}, '[^0-9]', '', 'g') end"""


# --- the list -------------------------------------------------------------------------------


@dataclass
class Line:
    row: int
    key: str | None
    mobile: str | None
    id_given: bool
    mobile_given: bool


def read_list(data: bytes) -> list[Line]:
    """The list's data rows, normalised."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MatchError("the list is not UTF-8 text (save it as CSV UTF-8)") from None
    reader = csv.DictReader(io.StringIO(text))
    columns = {c.strip().lower(): c for c in reader.fieldnames or []}
    if "id_no" in columns and "id_type" not in columns:
        raise MatchError("the list has id_no but no id_type column")
    if "id_no" not in columns and "mobile" not in columns:
        raise MatchError(f"the list's header names neither id_type,id_no nor mobile: {sorted(columns)}")
    lines = []
    for row, record in enumerate(reader, start=1):

        def value(name: str, record=record) -> str | None:
            v = record.get(columns[name]) if name in columns else None
            return v.strip() or None if v else None

        id_type, id_no, mobile = value("id_type"), value("id_no"), value("mobile")
        if id_type and id_type.isdigit() and len(id_type) == 1:
            id_type = "0" + id_type  # Excel's 1 for 01
        key, digits = match_key(id_type, id_no), mobile_digits(mobile)
        lines.append(Line(row, key, digits, id_no is not None, mobile is not None))
    return lines


# --- matching -------------------------------------------------------------------------------


def match_list(work: Path, list_file: Path, org_id: str) -> MatchResult:
    """Match the list against the work file's parties for organisation `org_id` and record
    the request. Raises MatchError for an unreadable list, an unknown organisation or a
    warehouse without customers and marts."""
    data = Path(list_file).read_bytes()
    lines = read_list(data)
    result = MatchResult(uuid.uuid4().hex[:12], org_id, hashlib.sha256(data).hexdigest())
    with duckdb.connect(str(work)) as con:
        _check_tables(con)
        scope = con.execute("select org_path from core.dim_org where org_id = ?", [org_id]).fetchone()
        if scope is None:
            raise MatchError(f"no organisation {org_id} in core.dim_org")
        by_key = _parties_by_key(con, {ln.key for ln in lines if ln.key})
        by_mobile = _parties_by_mobile(con, {ln.mobile for ln in lines if ln.mobile})
        result.answers = [_answer(ln, by_key, by_mobile, scope[0]) for ln in lines]
        con.execute(DDL)
        con.execute(
            "insert into meta.match_requests values (?, ?, ?, ?, ?, ?, ?)",
            [
                result.request_id,
                dt.datetime.now(dt.UTC).replace(tzinfo=None),
                getpass.getuser(),
                org_id,
                result.list_sha256,
                len(lines),
                result.matched,
            ],
        )
    return result


def _answer(line: Line, by_key: dict, by_mobile: dict, scope: str) -> Answer:
    """The ID number first; the mobile when the number gives no party."""
    reason = None
    if line.key is not None:
        party = by_key.get(line.key)
        if party is not None:
            return _in_scope(line.row, party, "id", scope)
        reason = "not_found"
    elif line.id_given:
        reason = "invalid_id"
    if line.mobile is not None:
        parties = by_mobile.get(line.mobile, [])
        if len(parties) == 1:
            return _in_scope(line.row, parties[0], "mobile", scope)
        reason = reason or ("ambiguous" if parties else "not_found")
    elif line.mobile_given:
        reason = reason or "invalid_mobile"
    return Answer(line.row, reason=reason or "empty")


def _in_scope(row: int, party: tuple[str, str], on: str, scope: str) -> Answer:
    party_id, org_path = party
    if org_path == scope or org_path.startswith(scope + "/"):
        return Answer(row, party_id, on)
    return Answer(row, matched_on=on, reason="outside_org")


def _check_tables(con: duckdb.DuckDBPyConnection) -> None:
    have = {
        f"{s}.{t}"
        for s, t in con.execute("select schema_name, table_name from duckdb_tables()").fetchall()
    }
    need = {
        "core.dim_customer",
        "core.dim_org",
        "intermediate.int_customer_records_keyed",
        "marts.mart_customer_360",
    }
    if need - have:
        raise MatchError(f"the warehouse has no {', '.join(sorted(need - have))}: run `crmwh run` first")


# a party's home organisation: mart_customer_360's (the outlet of the month so far); a party
# without one belongs to the head office, as in the exports' folders (marts/exports.py)
_PARTIES = """
    select d.party_id, coalesce(o.org_path, root.org_path) as org_path
    from core.dim_customer as d
    left join marts.mart_customer_360 as c on c.party_id = d.party_id
    left join core.dim_org as o on o.org_id = c.home_org_id
    cross join (select min(org_path) as org_path from core.dim_org
                where parent_org_id is null) as root
"""


def _parties_by_key(con, keys: Iterable[str]) -> dict[str, tuple[str, str]]:
    keys = sorted(keys)
    if not keys:
        return {}
    rows = con.execute(
        f"""select d.match_key, p.party_id, p.org_path
            from core.dim_customer as d inner join ({_PARTIES}) as p on p.party_id = d.party_id
            where d.match_key in (select unnest(?::varchar[]))""",
        [keys],
    ).fetchall()
    return {k: (p, o) for k, p, o in rows}


def _parties_by_mobile(con, mobiles: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
    """Every party with a source record (any system, its latest version) holding the mobile."""
    mobiles = sorted(mobiles)
    if not mobiles:
        return {}
    rows = con.execute(
        f"""select distinct r.mobile_digits, p.party_id, p.org_path
            from (select party_id, {MOBILE_SQL.format(x="mobile")} as mobile_digits
                  from intermediate.int_customer_records_keyed where mobile is not null) as r
            inner join ({_PARTIES}) as p on p.party_id = r.party_id
            where r.mobile_digits in (select unnest(?::varchar[]))
            order by 1, 2""",
        [mobiles],
    ).fetchall()
    out: dict[str, list[tuple[str, str]]] = {}
    for m, p, o in rows:
        out.setdefault(m, []).append((p, o))
    return out
