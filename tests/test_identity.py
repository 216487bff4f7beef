"""Keys that reveal nothing: party ids are HMAC-SHA256 of the match key under the bank's
identity key, computed by dbt with the key in no text it writes; brute force over the
published masked ID numbers finds nothing without the key (it found everything with the old
unkeyed md5); a build under another key stops before ids of two keys mix; `crmwh match`
answers a branch's list with party ids of its own subtree only, and prints no clear value.

The session's identity key is tests/conftest.py's (CRMWH_IDENTITY_KEY)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import numpy as np
import pytest

from contract import idcodes
from crmwh.dbt_identity import IdentityKeyChanged, check_key
from marts.masking import (
    _pads,
    find_clear_identity,
    hmac_hex,
    identity_key,
    key_id,
    set_key_variables,
)

DBT_DIR = Path(__file__).resolve().parents[1] / "dbt"
LONG_KEY = "a key longer than SHA-256's 64-byte block: it is hashed first / 身份密钥".encode()
MATCH_KEYS = [
    "P01:110101199003071233",
    "P01:32010619780501008X",
    "C:730730929",
    "C23:华信科技（北京）有限公司",  # UTF-8, several bytes a character
    "X:SAV:S1",
    "P03:" + "E" * 80,  # longer than a block
    "",
]


def _unkeyed(match_key: str) -> str:
    """The party id of the old, unkeyed formula: 'PT' + md5(match key)[:20]."""
    return "PT" + hashlib.md5(match_key.encode()).hexdigest()[:20]


def _keyed(key: bytes, match_key: str) -> str:
    return "PT" + hmac.new(key, match_key.encode(), "sha256").hexdigest()[:20]


# --- the macro and the plugin ------------------------------------------------------------


DBT_KEY = LONG_KEY + b" (dbt's)"


@pytest.fixture(scope="module")
def dbt_show(tmp_path_factory) -> tuple[dict[str, str], str, Path]:
    """`dbt show` of `party_id` and `keyed_hash` over MATCH_KEYS, as its own process with
    the profile's plugin and `DBT_KEY` in the environment: (match key -> party id shown,
    the compiled SQL, dbt's target and log folder)."""
    root = tmp_path_factory.mktemp("dbt_show")
    (root / "data" / "warehouse").mkdir(parents=True)
    env = {**os.environ, "CRMWH_IDENTITY_KEY": DBT_KEY.decode(), "CRMWH_DATA": str(root / "data")}
    values = " union all ".join(f"select '{k}' as k" for k in MATCH_KEYS)
    sql = f"select k, {{{{ keyed_hash('k') }}}} as h, {{{{ party_id('k') }}}} as p from ({values}) as t"
    target = root / "target"
    done = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "--quiet", "show", "--output", "json"]
        + ["--inline", sql, "--limit", "100"]
        + ["--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR)]
        + ["--target-path", str(target), "--log-path", str(target)],
        env=env,
        capture_output=True,
        text=True,
        cwd=DBT_DIR,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    shown = json.loads(done.stdout[done.stdout.index("{") :])["show"]
    results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))["results"]
    return {r["k"]: r["p"] for r in shown}, results[0]["compiled_code"], target


def test_keyed_hash_macro_is_python_hmac(dbt_show):
    """The SQL of `keyed_hash` and `party_id`, given the session variables, is Python's
    HMAC-SHA256 for ASCII and Chinese texts and keys, texts and keys longer than a block;
    without the variables it fails instead of hashing with an empty key."""
    _, sql, _ = dbt_show
    assert "getvariable('crmwh_ipad')" in sql and "md5" not in sql
    keys = [identity_key(), LONG_KEY, b"k" * 64, "三十二个字节以上的中文密钥，用于测试".encode()]
    for key in keys:
        with duckdb.connect() as con:
            set_key_variables(con, key)
            got = sorted(con.execute(sql).fetchall())
        want = sorted(
            (k, hmac.new(key, k.encode(), "sha256").hexdigest(), _keyed(key, k)) for k in MATCH_KEYS
        )
        assert got == want, key
    with duckdb.connect() as con, pytest.raises(duckdb.Error, match="crmwh_.pad is not set"):
        con.execute(sql).fetchall()


def test_dbt_sets_the_key_on_its_connections_and_writes_it_nowhere(dbt_show):
    """dbt itself (a separate process, its profile's plugin, the key from the environment)
    gives Python's HMAC; the key and its padded forms are in none of the files dbt writes."""
    shown, _, target = dbt_show
    assert shown == {k: _keyed(DBT_KEY, k) for k in MATCH_KEYS}
    ipad, opad = _pads(DBT_KEY)
    secrets = [DBT_KEY, DBT_KEY.hex().encode(), ipad.hex().encode(), opad.hex().encode(), ipad, opad]
    written = [p for p in target.rglob("*") if p.is_file()]
    assert {"manifest.json", "run_results.json", "dbt.log"} <= {p.name for p in written}
    leaks = [(p.name, s[:8]) for p in written for s in secrets if s in p.read_bytes()]
    assert leaks == []


# --- the published warehouse ---------------------------------------------------------------


@pytest.fixture(scope="module")
def published(demo_data) -> duckdb.DuckDBPyConnection:
    """The demo's published file, read-only, with the work file attached as `w` (the clear
    values the attack is checked against)."""
    con = duckdb.connect(str(demo_data / "warehouse" / "crm.duckdb"), read_only=True)
    con.execute(f"attach '{demo_data / 'warehouse' / 'work.duckdb'}' as w (read_only)")
    yield con
    con.close()


# every birth date from 1900 to 2015, as YYYYMMDD
_FIRST, _END = dt.date(1900, 1, 1), dt.date(2016, 1, 1)
DATES = [(_FIRST + dt.timedelta(n)).strftime("%Y%m%d") for n in range((_END - _FIRST).days)]
DATE_DIGITS = np.array([[int(c) for c in d] for d in DATES], dtype=np.int64)


def _candidates(masked: str) -> list[str]:
    """Every 18-digit ID the masked form allows: first 6 and last 4 shown, the 8 hidden
    digits a birth date from 1900 to 2015, and the check digit fitting."""
    head, seq, check = masked[:6], masked[14:17], masked[17]
    w = idcodes.ID_WEIGHTS
    fixed = sum(int(c) * int(x) for c, x in zip(head + seq, [*w[:6], *w[14:]], strict=True))
    sums = (DATE_DIGITS @ w[6:14] + fixed) % 11
    fits = np.array(list(idcodes.ID_CHECK))[sums] == check
    return [f"{head}{DATES[i]}{seq}{check}" for i in np.flatnonzero(fits)]


def test_brute_force_of_published_party_ids_finds_nothing(published):
    """For published personal parties, every ID number consistent with the published masked
    number: with the old unkeyed md5 the attack gives the true number back (it worked); the
    published party ids match no candidate's md5, nor any candidate's HMAC under a wrong
    key. Only the bank's key links them."""
    parties = published.execute(
        """
        select c.party_id, c.id_no_masked, d.match_key
        from marts.mart_customer_360 as c
        inner join w.core.dim_customer as d using (party_id)
        where c.id_type = '01' and d.match_key like 'P01:%'
          and regexp_full_match(c.id_no_masked, '[0-9]{6}[*]{8}[0-9]{3}[0-9X]')
        order by hash(c.party_id) limit 25"""
    ).fetchall()
    assert len(parties) == 25
    key, wrong = identity_key(), b"the wrong key, guessed by an attacker 0123456789"
    for party_id, masked, match_key in parties:
        true_id = match_key.removeprefix("P01:")
        candidates = _candidates(masked)
        assert true_id in candidates and 3000 < len(candidates) < 5000
        keys = [f"P01:{c}" for c in candidates]
        old = [_unkeyed(k) for k in keys]
        assert [c for c, o in zip(candidates, old, strict=True) if o == _unkeyed(match_key)] == [true_id]
        assert party_id not in old
        assert party_id not in {"PT" + h[:20] for h in hmac_hex(wrong, keys)}
        assert party_id == _keyed(key, match_key)


def _unkeyed_digests(con) -> dict[int, set[str]]:
    """Prefixes (by length) of md5, sha1 and sha256 hex digests of every clear identity the
    work file holds: ID numbers (as delivered and normalised), match keys, mobiles and
    account numbers and keys."""
    values = {
        v
        for (v,) in con.execute(
            """
            select id_no from w.intermediate.int_customer_records_keyed union
            select id_no_normalised from w.intermediate.int_customer_records_keyed union
            select match_key from w.intermediate.int_customer_records_keyed union
            select mobile from w.intermediate.int_customer_records_keyed union
            select acct_no from w.core.dim_account union
            select account_key from w.core.dim_account"""
        ).fetchall()
        if v
    }
    digests = [
        f(v.encode()).hexdigest() for v in values for f in (hashlib.md5, hashlib.sha1, hashlib.sha256)
    ]
    return {n: {d[:n] for d in digests if len(d) >= n} for n in range(12, 65)}


def _text_columns(con, database: str) -> list[str]:
    """`select distinct` of every text column of every table of an attached database."""
    rows = con.execute(
        "select schema_name, table_name, column_name from duckdb_columns() "
        "where database_name = ? and data_type = 'VARCHAR'",
        [database],
    ).fetchall()
    return [f'select distinct "{c}" from "{database}"."{s}"."{t}"' for s, t, c in rows]


def test_nothing_published_is_an_unkeyed_hash_of_an_identity(published, demo_data):
    """No text value of any published form (the whole-bank file, every role's file and
    Parquet, the exports) is or holds an unkeyed md5, sha1 or sha256 of an ID number, match
    key, mobile or account number, whatever prefix (PT, AC) it carries."""
    prefixes = _unkeyed_digests(published)
    queries = _text_columns(published, "crm")
    assert len(queries) > 50
    for i, path in enumerate(sorted((demo_data / "published").glob("*/*/crm.duckdb"))):
        published.execute(f"attach '{path}' as r{i} (read_only)")
        queries += _text_columns(published, f"r{i}")
    parquet = sorted(str(p) for p in demo_data.glob("exports/orgs/**/*.parquet"))
    parquet += sorted(str(p) for p in (demo_data / "published").glob("*/*/parquet/**/*.parquet"))
    assert parquet
    published.execute(
        "create temp table pq as select * from read_parquet(?, union_by_name = true)", [parquet]
    )
    queries += _text_columns(published, "temp")
    found = [
        (sql, value)
        for sql in queries
        for (value,) in published.execute(sql).fetchall()
        if _holds_digest(value, prefixes)
    ]
    assert found == []
    # what the old party ids were, it would have found
    ((match_key,),) = published.execute("select min(match_key) from w.core.dim_customer").fetchall()
    assert _holds_digest(_unkeyed(match_key), prefixes)


HEX_RUN = re.compile(r"[0-9a-fA-F]{12,64}")


def _holds_digest(value: str | None, prefixes: dict[int, set[str]]) -> bool:
    """A run of 12+ hex digits in the value is the start of one of the digests, from any
    offset (a prefix of hex letters, AC..., may run into the digest)."""
    for run in HEX_RUN.findall(value or ""):
        run = run.lower()
        if any(run[i:] in prefixes.get(len(run) - i, ()) for i in range(len(run) - 11)):
            return True
    return False


def test_party_ids_are_the_keyed_hash_under_the_recorded_key(published, demo_data):
    """Every party id of the build is HMAC(session key, match key), computed here by hand:
    the same key gives the same ids in any build. The key's fingerprint is recorded once."""
    rows = published.execute("select party_id, match_key from w.core.dim_customer").fetchall()
    hashes = hmac_hex(identity_key(), [k for _, k in rows])
    assert rows and [p for p, _ in rows] == ["PT" + h[:20] for h in hashes]
    recorded = published.execute("select key_id from w.meta.identity_key").fetchall()
    assert recorded == [(key_id(identity_key()),)]
    assert (
        published.execute(
            "select count(*) from marts.mart_customer_360 "
            "where party_id not in (select party_id from w.core.dim_customer)"
        ).fetchone()[0]
        == 0
    )


def test_a_build_under_another_key_stops_with_what_to_do(demo_data, tmp_path, monkeypatch):
    """A run whose key is not the one the work file's parties were built under fails before
    dbt runs, saying how to go on; the work file is untouched."""
    from dagster_project.run import run_dbt

    data = tmp_path / "data"
    (data / "warehouse").mkdir(parents=True)
    work = data / "warehouse" / "work.duckdb"
    shutil.copyfile(demo_data / "warehouse" / "work.duckdb", work)
    with duckdb.connect(str(work), read_only=True) as con:
        ((built_under,),) = con.execute("select key_id from meta.identity_key").fetchall()
        parties = con.execute("select * from core.dim_customer order by party_id").fetchall()
    monkeypatch.setenv("CRMWH_IDENTITY_KEY", "another identity key, 32 bytes or more")
    result = run_dbt(data, dg.DagsterInstance.ephemeral(), dates=["20260901", "20260901"])
    assert result is not None and not result.success
    errors = [e.step_failure_data.error.message for e in result.all_events if e.is_step_failure]
    assert len(errors) == 1 and "the identity key changed" in errors[0], errors
    assert f"built under key {built_under}" in errors[0]
    assert f"is key {key_id(identity_key())}" in errors[0] and "restore the key" in errors[0]
    assert "crmwh run --landing LANDING --data NEW_DATA" in errors[0]
    with duckdb.connect(str(work), read_only=True) as con:
        assert con.execute("select key_id from meta.identity_key").fetchall() == [(built_under,)]
        assert con.execute("select * from core.dim_customer order by party_id").fetchall() == parties


def test_key_check_records_the_first_key_and_catches_unkeyed_ids(tmp_path):
    key = identity_key()
    fresh = tmp_path / "fresh.duckdb"
    assert check_key(fresh, key) == key_id(key)  # recorded before any party exists
    assert check_key(fresh, key) == key_id(key)
    with pytest.raises(IdentityKeyChanged, match=f"built under key {key_id(key)}"):
        check_key(fresh, LONG_KEY)
    # a warehouse built before ids were keyed: parties, no record
    old = tmp_path / "old.duckdb"
    with duckdb.connect(str(old)) as con:
        con.execute("create schema core")
        con.execute(
            "create table core.dim_customer as select ? as party_id, ? as match_key",
            [_unkeyed(MATCH_KEYS[0]), MATCH_KEYS[0]],
        )
    with pytest.raises(IdentityKeyChanged, match="have no recorded key.*unkeyed md5"):
        check_key(old, key)
    with duckdb.connect(str(old)) as con:
        con.execute("update core.dim_customer set party_id = ?", [_keyed(key, MATCH_KEYS[0])])
    assert check_key(old, key) == key_id(key)


# --- crmwh match ---------------------------------------------------------------------------


def _write_list(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.DictWriter(f, ["ref", "id_type", "id_no", "mobile"])
        w.writeheader()
        w.writerows(rows)


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) for c in text)


def test_crmwh_match_answers_only_for_the_organisations_subtree(demo_data, tmp_path, capsys):
    from crmwh.cli import main

    data = tmp_path / "data"
    (data / "warehouse").mkdir(parents=True)
    work = data / "warehouse" / "work.duckdb"
    shutil.copyfile(demo_data / "warehouse" / "work.duckdb", work)
    with duckdb.connect(str(work), read_only=True) as con:
        # a second-level organisation, and personal parties with a valid resident ID in it and
        # outside it; a mobile only one party has
        org, path = con.execute(
            "select org_id, org_path from core.dim_org where org_level = 2 order by org_id limit 1"
        ).fetchone()
        parties = con.execute(
            """
            select d.party_id, d.match_key, d.mobile, o.org_path = ? or o.org_path like ? || '/%'
            from core.dim_customer as d
            inner join marts.mart_customer_360 as c using (party_id)
            inner join core.dim_org as o on o.org_id = c.home_org_id
            where d.match_key like 'P01:%'
            order by d.party_id""",
            [path, path],
        ).fetchall()
        single_mobiles = {
            m
            for (m,) in con.execute(
                "select mobile from intermediate.int_customer_records_keyed "
                "where mobile is not null group by 1 having count(distinct party_id) = 1"
            ).fetchall()
        }
    inside = [p for p in parties if p[3]]
    outside = [p for p in parties if not p[3]]
    assert len(inside) >= 3 and outside
    by_mobile = next(p for p in inside[3:] if p[2] in single_mobiles and re.fullmatch(r"1\d{10}", p[2]))
    a, b, c = (p[1].removeprefix("P01:") for p in inside[:3])
    # a number born in the 1900s: its old 15-digit form (no '19', no check digit) converts back
    old = next(p for p in inside[3:] if p[1][10:12] == "19" and p is not by_mobile)
    id15 = old[1][4:10] + old[1][12:21]
    unknown = "110101190001011234"
    unknown = unknown[:17] + idcodes.id_check_digit(unknown[:17])
    rows = [
        {"ref": "r1", "id_type": "01", "id_no": a.lower()},
        {"ref": "r2", "id_type": "1", "id_no": _full_width(b)},  # Excel's 1, full-width digits
        {"ref": "r3", "id_type": "01", "id_no": f" {c[:6]} {c[6:]} "},
        {"ref": "r4", "id_type": "01", "id_no": id15},
        {"ref": "r5", "mobile": f"+86 {by_mobile[2][:3]}-{by_mobile[2][3:7]}-{by_mobile[2][7:]}"},
        {"ref": "r6", "id_type": "01", "id_no": outside[0][1].removeprefix("P01:")},
        {"ref": "r7", "id_type": "01", "id_no": unknown},
        {"ref": "r8", "id_type": "01", "id_no": a[:17] + ("0" if a[17] != "0" else "1")},
        {"ref": "r9", "mobile": "1234"},
        {"ref": "r10"},
    ]
    listed = tmp_path / "branch_list.csv"
    _write_list(listed, rows)
    out = tmp_path / "answer.csv"
    args = ["match", "--list", str(listed), "--data", str(data)]
    assert main([*args, "--org", org, "--out", str(out)]) == 0
    answer = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [tuple(r.values()) for r in answer] == [
        ("1", inside[0][0], "id", ""),
        ("2", inside[1][0], "id", ""),
        ("3", inside[2][0], "id", ""),
        ("4", old[0], "id", ""),
        ("5", by_mobile[0], "mobile", ""),
        ("6", "", "id", "outside_org"),
        ("7", "", "", "not_found"),
        ("8", "", "", "invalid_id"),
        ("9", "", "", "invalid_mobile"),
        ("10", "", "", "empty"),
    ]
    printed = capsys.readouterr()
    assert "10 rows" in printed.err and "5 matched" in printed.err
    # no clear value in what it wrote or printed
    text = out.read_text(encoding="utf-8") + printed.out + printed.err
    assert find_clear_identity([text]) == []
    clear = [a, b, c, id15, by_mobile[2], outside[0][1][4:], unknown]
    assert not [v for v in clear if v in text]
    with duckdb.connect(str(work), read_only=True) as con:
        recorded = con.execute(
            "select org_id, list_sha256, rows, matched, requested_by from meta.match_requests"
        ).fetchall()
    assert recorded == [(org, hashlib.sha256(listed.read_bytes()).hexdigest(), 10, 5, recorded[0][4])]
    # the whole bank sees the party outside the branch; an unknown organisation is refused
    assert main([*args, "--org", path.split("/")[0]]) == 0
    assert "6 matched" in capsys.readouterr().err
    assert main([*args, "--org", "nope"]) == 2
    assert "no organisation nope" in capsys.readouterr().err


def test_list_values_are_normalised_as_the_warehouse_normalises_records():
    """The forms people type meet the warehouse's keys (the agreement with the SQL over
    every generated record is tests/test_ecif.py); odd characters give no key, no error."""
    from marts.match import match_key, mobile_digits

    id18 = "P01:32010619780501008X"
    for id_no in ("32010619780501008x", "３２０１０６１９７８０５０１００８Ｘ", " 320106 19780501008X "):
        assert match_key("01", id_no) == id18
    assert match_key("01", "110101900307123") == "P01:110101199003071233"  # 15 digits
    assert match_key("01", "32010619780501008") is None  # no check digit
    assert match_key("01", "3201061978050100²X") is None  # not an ASCII digit
    assert match_key("21", "911101087307309297") == match_key("22", "73073092-9") == "C:730730929"
    assert match_key("03", "e12345678") == "P03:E12345678"
    assert match_key("99", "E12345678") is None and match_key(None, "E1") is None
    for mobile in ("13812345678", "138 1234 5678", "+86-138-1234-5678", "8613812345678"):
        assert mobile_digits(mobile) == "13812345678"
    assert mobile_digits("1381234567") is None and mobile_digits("23812345678") is None
