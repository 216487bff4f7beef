"""The warehouse's check characters against an implementation it did not write: python-stdnum.

Three implementations of the same rules live in the project: contract/idcodes.py (the
reference, which the generator uses), the polars check of the raw-zone suites
(expectations/suites.py) and the dbt macros (dbt/macros/identity.sql, ECIF matching);
tests/test_ecif.py checks the macros against idcodes. Here all three are checked against
stdnum's `calc_check_digit` on random numbers: GB 11643 (resident ID, `stdnum.cn.ric`) and
GB 32100 (unified social credit code, `stdnum.cn.uscc`). stdnum 2.2 has no GB 11714
(organisation code). stdnum's `is_valid` is not the rule: it also rejects region codes and
birth dates outside its tables, which well-formed synthetic numbers use.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
from stdnum.cn import ric, uscc

from contract import idcodes
from expectations.suites import id_check_ok

DBT_DIR = Path(__file__).resolve().parents[1] / "dbt"
N = 20_000
DIGITS = "0123456789"


def _random_codes(alphabet: str, length: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    chars = np.array(list(alphabet))[rng.integers(0, len(alphabet), (N, length))]
    return ["".join(row) for row in chars]


def _ric(first17: str) -> str:
    return ric.calc_check_digit(first17 + "?")  # stdnum drops the last character: the check


ID_BODIES = _random_codes(DIGITS, 17, seed=1)
USCC_BODIES = _random_codes(idcodes.USCC_ALPHABET, 17, seed=2)


def _with_any_check(bodies: list[str], check, alphabet: str, seed: int) -> list[str]:
    """Each body with its check character by stdnum's `check` (even rows) or with a random
    character of `alphabet` (odd rows: right about one time in len(alphabet))."""
    rng = np.random.default_rng(seed)
    return [
        b + (check(b) if i % 2 == 0 else alphabet[int(rng.integers(0, len(alphabet)))])
        for i, b in enumerate(bodies)
    ]


def test_stdnum_oracle_agrees_with_itself_on_a_published_example():
    assert uscc.calc_check_digit("91110000600037341") == "L"  # stdnum's own documented example
    assert _ric("11010519491231002") == "X"  # GB 11643's worked example


def test_resident_id_check_digit_matches_stdnum():
    expected = [_ric(b) for b in ID_BODIES]
    assert [idcodes.id_check_digit(b) for b in ID_BODIES] == expected
    # the generator's vectorised form
    digits = np.array([[int(c) for c in b] for b in ID_BODIES], dtype=np.int64)
    assert idcodes.id_check_digits(digits).tolist() == expected
    assert set(expected) == set(idcodes.ID_CHECK), "not every check character was tried"


def test_uscc_check_character_matches_stdnum():
    expected = [uscc.calc_check_digit(b) for b in USCC_BODIES]
    assert [idcodes.uscc_check(b) for b in USCC_BODIES] == expected
    assert set(expected) == set(idcodes.USCC_ALPHABET), "not every check character was tried"


def test_python_rules_accept_exactly_the_numbers_whose_check_stdnum_computes():
    ids = _with_any_check(ID_BODIES, _ric, idcodes.ID_CHECK, seed=3)
    assert [idcodes.is_valid_id18(n) for n in ids] == [_ric(n[:17]) == n[17] for n in ids]
    # USCCs whose organisation code (characters 9-17) is valid: then only the check decides
    codes = _with_any_check(
        _with_valid_org_codes(USCC_BODIES), uscc.calc_check_digit, idcodes.USCC_ALPHABET, seed=4
    )
    assert [idcodes.is_valid_uscc(c) for c in codes] == [
        uscc.calc_check_digit(c[:17]) == c[17] for c in codes
    ]


def _with_valid_org_codes(bodies: list[str]) -> list[str]:
    """17-character USCC bodies whose characters 9-17 are a valid GB 11714 code."""
    return [b[:16] + idcodes.org_code_check(b[8:16]) for b in bodies]


def test_raw_zone_suite_rule_matches_stdnum():
    ids = _with_any_check(ID_BODIES, _ric, idcodes.ID_CHECK, seed=5)
    codes = _with_any_check(
        _with_valid_org_codes(USCC_BODIES), uscc.calc_check_digit, idcodes.USCC_ALPHABET, seed=6
    )
    frame = pl.DataFrame({"id_type": ["01"] * N + ["21"] * N, "id_no": ids + codes})
    got = frame.select(id_check_ok(pl.col("id_type"), pl.col("id_no"))).to_series().to_list()
    expected = [_ric(n[:17]) == n[17] for n in ids] + [
        uscc.calc_check_digit(c[:17]) == c[17] for c in codes
    ]
    assert got == expected
    assert 0.4 < sum(expected) / len(expected) < 0.7  # both outcomes were tried


def _compile(sql: str, data: Path) -> str:
    """dbt's compiled SQL of an inline query that calls the project's macros."""
    from dbt.cli.main import dbtRunner

    os.environ["CRMWH_DATA"] = str(data)
    (data / "warehouse").mkdir(parents=True, exist_ok=True)
    args = ["compile", "--quiet", "--inline", sql, "--project-dir", str(DBT_DIR)]
    res = dbtRunner().invoke([*args, "--profiles-dir", str(DBT_DIR)])
    assert res.success, res.exception
    return res.result.results[0].node.compiled_code


def test_sql_macros_match_stdnum(tmp_path, monkeypatch):
    monkeypatch.setenv("CRMWH_DATA", str(tmp_path / "data"))  # _compile sets it: undone after
    sql = _compile(
        """
        select kind, body,
               case kind when 'id' then {{ gb11643_check_char('body') }}
                         else {{ gb32100_check_char('body') }} end as check_char
        from bodies
        """,
        tmp_path / "data",
    )
    bodies = pl.DataFrame(
        {"kind": ["id"] * N + ["uscc"] * N, "body": ID_BODIES + USCC_BODIES}
    ).to_arrow()
    with duckdb.connect() as con:
        con.register("bodies", bodies)
        got = con.sql(sql).fetchall()
    wrong = [
        (kind, body, check)
        for kind, body, check in got
        if check != (_ric(body) if kind == "id" else uscc.calc_check_digit(body))
    ]
    assert len(got) == 2 * N and wrong == []
