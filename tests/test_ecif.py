"""ECIF customer layer: the SQL identity macros against contract/idcodes.py, and the matching
of the whole dbt project against the generator's ground truth: records of one real party
that carry a valid identity number share one party_id, no party_id holds two real parties,
a record with an invalid number is a party of its own and is queued for review, and
normalised names (width, spaces, bracket style) are compared, not raw names."""

from __future__ import annotations

import hmac
import os
from pathlib import Path

import dagster as dg
import duckdb
import numpy as np
import polars as pl
import pytest
from helpers import START

from contract import idcodes
from marts.masking import hmac_hex, identity_key, set_key_variables

DBT_DIR = Path(__file__).resolve().parents[1] / "dbt"
DIGITS = "0123456789"


# --- the macros agree with contract/idcodes.py ----------------------------------------------


def _typo(code: str, rng: np.random.Generator, alphabet: str) -> str:
    """One character replaced by another of the alphabet (never by itself)."""
    i = int(rng.integers(0, len(code)))
    others = alphabet.replace(code[i], "")
    return code[:i] + others[int(rng.integers(0, len(others)))] + code[i + 1 :]


def _sample_codes(n: int = 1500, seed: int = 3) -> pl.DataFrame:
    """Valid and corrupted resident IDs (18 and 15 digits), USCCs and organisation codes."""
    rng = np.random.default_rng(seed)
    rows: list[tuple[str, str]] = []
    for _ in range(n):
        body = "".join(rng.choice(list(DIGITS), 17))
        id18 = body + idcodes.id_check_digit(body)
        rows += [
            ("id", id18),
            ("id", _typo(id18, rng, DIGITS)),
            ("id", id18.lower()),
            ("id", id18[:17]),
            ("id", id18 + "1"),
            ("id", id18[:9] + "A" + id18[10:]),
        ]
        rows.append(("id15", "".join(rng.choice(list(DIGITS), 15))))
        org8 = "".join(rng.choice(list(DIGITS + "ABCDEFGHJKLMNPQRTUWXY"), 8))
        org = org8 + idcodes.org_code_check(org8)
        rows += [
            ("org", org),
            ("org", f"{org[:8]}-{org[8]}"),
            ("org", _typo(org, rng, DIGITS + "X")),
            ("org", org[:8]),
        ]
        region = "".join(rng.choice(list(DIGITS), 6))
        uscc = idcodes.make_uscc(region, org8, registry=str(rng.integers(1, 10)))
        rows += [
            ("uscc", uscc),
            ("uscc", _typo(uscc, rng, idcodes.USCC_ALPHABET)),
            ("uscc", uscc[:17] + "I"),
        ]
        # a USCC whose own check fits but whose organisation code inside does not
        broken_org = uscc[:16] + _typo(uscc[16], rng, DIGITS)
        rows.append(("uscc", broken_org + idcodes.uscc_check(broken_org)))
    return pl.DataFrame(rows, schema=["kind", "code"], orient="row")


def _expected(kind: str, code: str) -> tuple[bool, str | None]:
    """(valid, key material) by the Python reference implementation."""
    if kind == "id":
        return idcodes.is_valid_id18(code), code.upper()
    if kind == "id15":
        return True, idcodes.id15_to_id18(code)
    if kind == "org":
        return idcodes.is_valid_org_code(code), code.replace("-", "")
    return idcodes.is_valid_uscc(code), code[8:17]


def _compile(sql: str, data: Path) -> str:
    """dbt's compiled SQL of an inline query that calls the project's macros."""
    from dbt.cli.main import dbtRunner

    os.environ["CRMWH_DATA"] = str(data)
    (data / "warehouse").mkdir(parents=True, exist_ok=True)
    res = dbtRunner().invoke(
        [
            "compile",
            "--quiet",
            "--inline",
            sql,
            "--project-dir",
            str(DBT_DIR),
            "--profiles-dir",
            str(DBT_DIR),
        ]
    )
    assert res.success, res.exception
    return res.result.results[0].node.compiled_code


def test_identity_macros_agree_with_idcodes(tmp_path):
    codes = _sample_codes()
    sql = _compile(
        """
        with c as (select kind, code, upper(code) as u, replace(upper(code), '-', '') as o
                   from codes)
        select
            kind, code,
            case kind
                when 'id' then {{ is_valid_gb11643('u') }}
                when 'id15' then {{ is_valid_gb11643(id15_to_id18('u')) }}
                when 'org' then {{ is_valid_gb11714('o') }}
                else {{ is_valid_gb32100('u') }}
            end as valid,
            case kind
                when 'id' then u
                when 'id15' then {{ id15_to_id18('u') }}
                when 'org' then o
                else {{ uscc_org_code('u') }}
            end as key_material
        from c
        """,
        tmp_path / "data",
    )
    with duckdb.connect() as con:
        con.register("codes", codes.to_arrow())
        got = con.sql(sql).fetchall()
    assert len(got) == codes.height > 10_000
    mismatches = [(k, c, v, m) for k, c, v, m in got if (v, m) != _expected(k, c)]
    assert mismatches == []
    # both valid and invalid numbers of every kind were tried
    tried = {(k, v) for k, _, v, _ in got}
    assert tried == {(k, b) for k in ("id", "org", "uscc") for b in (True, False)} | {("id15", True)}


def test_name_normalisation_and_party_id(tmp_path):
    sql = _compile(
        """
        select {{ normalise_name("'华信科技（北京） 有限公司'") }} as a,
               {{ normalise_name("'华信科技(北京)有限公司'") }} as b,
               {{ normalise_name("'ＡＢＣ　１２３【集团】〔Ｘ〕[y]［ｚ］＇＼'") }} as c,
               {{ party_id("'P01:110101199003071233'") }} as p
        """,
        tmp_path / "data",
    )
    key = identity_key()
    with duckdb.connect() as con:
        set_key_variables(con, key)  # as dbt's plugin does (crmwh/dbt_identity.py)
        a, b, c, p = con.execute(sql).fetchone()
    assert a == b == "华信科技(北京)有限公司"
    assert c == "ABC123(集团)(X)(y)(z)'\\"
    assert p == "PT" + hmac.new(key, b"P01:110101199003071233", "sha256").hexdigest()[:20]


# --- the whole project on a generated landing folder, against the ground truth -------------


@pytest.fixture(scope="module", params=["dirty_landing", "heavy_landing"])
def ecif_run(request, warehouses):
    """The warehouse built from a generated landing folder (default dirt, and heavy dirt:
    rejected batches and more of every identity fault; shared core builds), with its truth
    as temp tables."""
    scenario = warehouses(request.param, "core")
    landing, data, built = scenario.landing, scenario.data, scenario.built
    # warnings allowed (an account whose customer's batch was rejected has no party yet)
    failed = [
        e.check_name
        for e in built.get_asset_check_evaluations()
        if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR
    ]
    assert failed == []
    con = duckdb.connect(str(data / "warehouse" / "work.duckdb"), read_only=True)
    truth = landing / "_truth"
    con.execute(f"create temp table manifest as select * from read_json('{truth / 'manifest.json'}')")
    con.execute(
        f"create temp table truth as select * from read_csv('{truth / 'customers.csv'}', "
        "all_varchar = true, header = true)"
    )
    con.execute(
        f"create temp table faults as select * from read_csv('{truth / 'faults.csv'}', "
        "all_varchar = true, header = true)"
    )
    # the truth restricted to the records the warehouse holds
    con.execute(
        "create temp table matched as select t.*, x.party_id, x.match_rule, "
        "x.id_quality, x.name_normalised "
        "from truth t join core.bridge_customer_xref x using (sys, cust_no)"
    )
    yield con
    con.close()


def _rows(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def _count(con, sql: str) -> int:
    return con.execute(f"select count(*) from ({sql})").fetchone()[0]


def test_every_missing_record_is_explained(ecif_run):
    con = ecif_run
    days = con.execute("select days from manifest").fetchone()[0]
    # a record is first delivered on its onboarding day (or in the first FULL file)
    missing = _rows(
        con,
        f"""
        select t.sys, t.cust_no, t.onboard_day::int as day,
               '{START:%Y-%m-%d}'::date + greatest(t.onboard_day::int, 0) as first_date
        from truth t anti join core.bridge_customer_xref x using (sys, cust_no)""",
    )
    never_delivered = [m for m in missing if m[2] >= days]  # onboarding after the window
    rest = [m for m in missing if m[2] < days]
    rejected = set(
        _rows(con, "select sys, biz_date from audit_batch where status <> 'loaded' and not is_current")
    )
    quarantined = {
        r[0] for r in _rows(con, "select raw_text from quarantine_rows where entity = 'CUST'")
    }
    unexplained = [
        m for m in rest if (m[0], m[3]) not in rejected and not any(m[1] in q for q in quarantined if q)
    ]
    assert unexplained == []
    total = _count(con, "select * from truth")
    assert len(rest) <= 0.01 * total, rest
    # nothing in the warehouse the generator did not make
    assert (
        _count(con, "select * from core.bridge_customer_xref x anti join truth t using (sys, cust_no)")
        == 0
    )
    print(
        f"\ntruth {total}, in bridge_customer_xref {total - len(missing)}, not yet onboarded "
        f"{len(never_delivered)}, lost to rejected batches or quarantine {len(rest)}"
    )


def test_precision_and_recall(ecif_run):
    con = ecif_run
    # precision: no party holds records of two different real parties
    impure = _count(con, "select party_id from matched group by 1 having count(distinct party_ref) > 1")
    assert impure == 0
    # recall: every two records of one real party with valid numbers share a party_id
    split = _count(
        con,
        "select party_ref from matched where id_quality = 'valid' group by 1 "
        "having count(distinct party_id) > 1",
    )
    assert split == 0
    pairs = _count(
        con,
        "select * from matched a join matched b on a.party_ref = b.party_ref "
        "and a.cust_no < b.cust_no where a.id_quality = 'valid' "
        "and b.id_quality = 'valid'",
    )
    parties = _count(con, "select distinct party_id from matched")
    print(f"\nprecision 100% over {parties} parties, recall 100% over {pairs} matchable pairs")
    assert pairs > 1000


def test_unmatched_records_are_exactly_the_invalid_numbers(ecif_run):
    con = ecif_run
    invalid = set(_rows(con, "select sys, cust_no from matched where id_quality = 'invalid'"))
    broken = set(
        _rows(
            con,
            "select f.sys, f.key from faults f join matched m "
            "on m.sys = f.sys and m.cust_no = f.key "
            "where f.kind = 'invalid_check_digit'",
        )
    )
    assert invalid == broken and invalid
    # a record is unmatched when its real party has a record in another party_id
    unmatched = set(
        _rows(
            con,
            """
        select a.sys, a.cust_no from matched a join matched b
          on a.party_ref = b.party_ref and a.party_id <> b.party_id
        where a.id_quality = 'invalid'
        union
        select a.sys, a.cust_no from matched a join matched b
          on a.party_ref = b.party_ref and a.party_id <> b.party_id
        where a.id_quality = 'valid' and b.id_quality = 'valid'""",
        )
    )
    assert unmatched <= invalid
    # every invalid record is a party of its own, with id_quality invalid, and under review
    alone = _count(
        con,
        "select party_id from core.bridge_customer_xref where id_quality = 'invalid' "
        "group by 1 having count(*) > 1",
    )
    assert alone == 0
    queued = set(
        _rows(con, "select sys, cust_no from core.exc_customer_review_queue where reason = 'invalid_id'")
    )
    assert queued == invalid
    dims = _rows(
        con,
        "select distinct d.id_quality from core.dim_customer d join matched m "
        "using (party_id) where m.id_quality = 'invalid'",
    )
    assert dims == [("invalid",)]
    print(f"\ninvalid numbers {len(invalid)}, of them unmatched from other records {len(unmatched)}")


def test_dirty_identities_are_merged(ecif_run):
    con = ecif_run

    def merged(kind: str, rule: str | None = None) -> tuple[int, int]:
        """(records of this fault with other records of their party, of them merged)."""
        rows = _rows(
            con,
            f"""
            select m.match_rule, bool_and(o.party_id = m.party_id) as all_merged
            from faults f
            join matched m on m.sys = f.sys and m.cust_no = f.key
            join matched o on o.party_ref = m.party_ref and o.cust_no <> m.cust_no
                and o.id_quality = 'valid'
            where f.kind = '{kind}' and m.id_quality = 'valid'
            group by m.sys, m.cust_no, m.match_rule""",
        )
        if rule:
            assert {r[0] for r in rows} <= {rule}  # heavy_landing may have none with a partner
        return len(rows), sum(r[1] for r in rows)

    for kind, rule in [
        ("old_15_digit_id", "P01_from15"),
        ("corp_org_code_only", "C_orgcode"),
        ("name_variant", None),
    ]:
        n, ok = merged(kind, rule)
        assert n == ok, kind
        print(f"\n{kind}: {n} records with other records of their party, all merged")
    assert merged("old_15_digit_id")[0] > 0 and merged("name_variant")[0] > 0


def test_name_variants_normalise_to_one_name(ecif_run):
    """Names that differ only by width, spaces or bracket style are one name once normalised
    (normalise_name), and a name conflict is two *normalised* names that differ for one
    party: so name variants are not conflicts."""
    con = ecif_run
    variants = _rows(
        con,
        """
        select m.sys, m.cust_no, count(distinct o.name_normalised) as names
        from faults f join matched m on m.sys = f.sys and m.cust_no = f.key
        join matched o on o.party_id = m.party_id
        where f.kind = 'name_variant' group by 1, 2""",
    )
    assert variants and all(n == 1 for _, _, n in variants)
    listed = set(
        _rows(
            con, "select sys, cust_no from core.exc_customer_review_queue where reason = 'name_conflict'"
        )
    )
    assert not {(s, c) for s, c, _ in variants} & listed
    # the generator gives one real party one name: no conflict is left to review
    assert listed == set()


def test_party_id_is_the_keyed_hash_of_the_key_and_dim_matches_history(ecif_run):
    con = ecif_run
    keys = _rows(con, "select party_id, match_key from core.dim_customer")
    hashes = hmac_hex(identity_key(), [k for _, k in keys])
    assert keys and all(p == "PT" + h[:20] for (p, _), h in zip(keys, hashes, strict=True))
    assert (
        _count(
            con,
            "select * from core.bridge_customer_xref x anti join core.dim_customer d using (party_id)",
        )
        == 0
    )
    # the open history row holds dim_customer's golden attributes
    differ = _count(
        con,
        """
        select * from core.dim_customer d join core.dim_customer_history h
          on h.party_id = d.party_id and h.valid_to = date '9999-12-31'
        where h.cust_name is distinct from d.cust_name or h.mobile is distinct from d.mobile
           or h.org_code is distinct from d.org_code or h.golden_sys is distinct from d.golden_sys
           or h.cust_status is distinct from d.cust_status""",
    )
    assert differ == 0
    assert (
        _count(
            con,
            "select party_id from core.dim_customer_history "
            "where valid_to = date '9999-12-31' "
            "group by 1 having count(*) > 1",
        )
        == 0
    )
    assert (
        _count(
            con,
            "select * from core.dim_customer d anti join core.dim_customer_history h using (party_id)",
        )
        == 0
    )
    # stretches follow each other without gap or overlap
    gaps = _count(
        con,
        """
        select * from (select valid_to, lead(valid_from) over (partition by party_id
                       order by valid_from) as next_from from core.dim_customer_history)
        where next_from is not null and next_from <> valid_to""",
    )
    assert gaps == 0


def test_crmwh_match_keys_agree_with_the_warehouse(ecif_run):
    """`crmwh match` keys a branch's list in Python (marts/match.py): the same key as the
    warehouse's SQL for every record, dirty ones included (15-digit numbers, full-width
    characters, a lower-case x), and no key where the warehouse finds the number invalid."""
    from marts.match import CORPORATE_ID_TYPES, PERSONAL_ID_TYPES, match_key

    records = _rows(
        ecif_run,
        "select party_kind, id_type, id_no, match_key, id_quality "
        "from intermediate.int_customer_records_keyed",
    )
    kinds = {"personal": PERSONAL_ID_TYPES, "corporate": CORPORATE_ID_TYPES}
    # a list says nothing of the party's kind: its id_type does (a record whose type does
    # not fit its system's kind is keyed by the system in the warehouse)
    checked = [r for r in records if r[1] in kinds[r[0]]]
    differ = [(t, k, q) for _, t, i, k, q in checked if match_key(t, i) != (k if q == "valid" else None)]
    assert differ == []
    assert len(checked) > 0.95 * len(records)
    assert {q for *_, q in checked} == {"valid", "invalid"}
