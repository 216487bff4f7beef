"""Raw-zone Great Expectations suites (expectations/) on small hand-built frames.

Most cases validate one business date (`validate_batch`); the last ones give `validate`
frames of several dates, each row naming its own in `biz_date`.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from decimal import Decimal

import great_expectations.expectations as gxe
import polars as pl
import pytest

from contract import idcodes
from contract.extracts import ENTITIES, Entity
from expectations import validate as validate_module
from expectations.suites import ERROR, WARN, helper_columns, id_check_ok, suite_for
from expectations.validate import Outcome, summarise, validate, validate_batch
from ingest.cast import RAW_TYPES as TYPES  # the raw zone's column types

D = dt.date(2026, 7, 1)


def frame(entity: Entity, rows: list[dict]) -> pl.DataFrame:
    """A typed raw frame: the entity's columns (absent values null) and `_line`."""
    series = [pl.Series(c, [r.get(c) for r in rows], dtype=TYPES[t]) for c, t in entity.columns]
    return pl.DataFrame([*series, pl.Series("_line", range(1, len(rows) + 1), dtype=pl.Int64)])


def by_name(outcomes: list[Outcome]) -> dict[str, Outcome]:
    return {o.name: o for o in outcomes}


def id18(first17: str) -> str:
    return first17 + idcodes.id_check_digit(first17)


def broken(code: str) -> str:
    """The same number with another check character."""
    return code[:-1] + ("1" if code[-1] != "1" else "2")


def person(i: int, **kw) -> dict:
    row = {
        "cust_no": f"C{i:05d}",
        "cust_name": "张三",
        "id_type": "01",
        "id_no": id18(f"11010819800101{i:03d}"),
        "gender": "1",
        "birth_date": dt.date(1980, 1, 1),
        "org_code": "30001",
        "cust_status": "0",
        "update_ts": dt.datetime(2026, 7, 1, 9, 30),
    }
    return {**row, **kw}


def txn(i: int, **kw) -> dict:
    row = {
        "txn_id": f"SAV20260701{i:09d}",
        "txn_date": D,
        "txn_time": dt.time(10, 0),
        "acct_no": "6217000000000001",
        "dr_cr": "C",
        "amount": Decimal("100.00"),
        "currency": "CNY",
        "channel": "01",
        "txn_code": "1001",
        "org_code": "30001",
        "balance_after": Decimal("100.00"),
    }
    return {**row, **kw}


CLEAN = {
    ("SAV", "CUST"): [
        person(1),
        person(2, id_no="110108800101002", gender="2"),  # old 15-digit number
        person(3, id_type="03", id_no="E12345678", birth_date=None),  # passport: not checked
    ],
    ("ACC", "CUST"): [
        {
            "cust_no": "5000000001",
            "cust_name": "北京某某有限公司",
            "id_type": "21",
            "id_no": idcodes.make_uscc("110108", "12345678"),
            "industry_code": "C13",
            "scale": "3",
            "reg_capital": Decimal("1000000.00"),
            "org_code": "A0001",
            "cust_status": "0",
            "update_ts": dt.datetime(2026, 6, 30, 12, 0),
        },
        {
            "cust_no": "5000000002",
            "cust_name": "某某厂",
            "id_type": "22",
            "id_no": "87654321-" + idcodes.org_code_check("87654321"),
            "scale": "4",
            "cust_status": "0",
            "update_ts": dt.datetime(2026, 7, 1, 23, 59, 59),
        },
    ],
    ("CCS", "ACCT"): [
        {
            "acct_no": "6259000000000001",
            "cust_no": "8000000001",
            "product_code": "CCS-GLD",
            "currency": "CNY",
            "org_code": "C0001",
            "open_date": dt.date(2021, 3, 4),
            "acct_status": "0",
            "balance": Decimal("0.00"),
            "rate": Decimal("18.2500"),
            "credit_limit": Decimal("50000.00"),
            "bill_day": 5,
        },
        {
            "acct_no": "6259000000000002",
            "cust_no": "8000000002",
            "product_code": "CCS-STD",
            "currency": "CNY",
            "org_code": "C0002",
            "open_date": D,
            "close_date": D,
            "acct_status": "1",
            "balance": Decimal("12.50"),
            "rate": Decimal("18.2500"),
        },
    ],
    ("SAV", "TXN"): [
        txn(1),
        txn(2, dr_cr="D", channel="04", txn_code="1002"),
        txn(3, txn_code="9001", reversal_of="SAV20260701000000001", dr_cr="D"),
    ],
    ("CRM", "ASSIGN"): [
        {
            "assign_id": "AS01",
            "manager_id": "M00001",
            "sys": "SAV",
            "acct_no": "6217000000000001",
            "share_pct": Decimal("60"),
            "purpose": "assess",
            "valid_from": dt.date(2024, 1, 1),
        },
        {
            "assign_id": "AS02",
            "manager_id": "M00002",
            "sys": "SAV",
            "acct_no": "6217000000000001",
            "share_pct": Decimal("40"),
            "purpose": "watch",
            "valid_from": dt.date(2024, 1, 1),
            "valid_to": dt.date(2026, 12, 31),
        },
    ],
    ("PUB", "ORGMAP"): [
        {
            "sys": "SAV",
            "org_code": "30001",
            "org_id": "50001",
            "valid_from": dt.date(2000, 1, 1),
            "valid_to": dt.date(2026, 7, 20),
        },
        {"sys": "SAV", "org_code": "30001", "org_id": "50002", "valid_from": dt.date(2026, 7, 21)},
        {"sys": "CCS", "org_code": "30001", "org_id": "50001", "valid_from": dt.date(2000, 1, 1)},
    ],
}


def test_suites_build_for_every_entity():
    for entity in ENTITIES.values():
        decls = suite_for(entity)
        assert decls, entity
        names = [d.name for d in decls]
        assert len(names) == len(set(names)), entity
        helpers = helper_columns(entity)
        known = set(entity.column_names) | set(helpers)
        for d in decls:
            assert d.severity in (ERROR, WARN)
            assert set(d.columns) <= known, d
            assert "$PARAMETER" not in repr(d.kwargs), d  # rules relative to D use helpers
            getattr(gxe, d.expectation)(**d.kwargs)  # GX accepts the declaration
        assert set(helpers) <= {c for d in decls for c in d.columns}, entity
        for key in entity.keys:
            assert f"{key}.not_null" in names
    # the choices the brief fixes
    assert by_severity("SAV", "TXN")["txn_id.unique"] == WARN
    assert by_severity("SAV", "CUST")["cust_no.unique"] == ERROR
    assert by_severity("CRM", "TARGET")["period,manager_id,indicator.unique"] == ERROR
    assert by_severity("SAV", "CUST")["id_no.check_rate"] == WARN
    assert "id_no.check_rate" not in by_severity("SAV", "ACCT")
    txn = by_severity("SAV", "TXN")
    assert (txn["txn_date.not_after_d"], txn["txn_date.is_biz_date"]) == (ERROR, WARN)
    assert by_severity("SAV", "CUST")["update_ts.not_after_d"] == ERROR
    assert by_severity("CRM", "CONTACT")["contact_ts.in_range"] == ERROR


def by_severity(sys: str, name: str) -> dict[str, str]:
    return {d.name: d.severity for d in suite_for(ENTITIES[(sys, name)])}


@pytest.mark.parametrize("key", sorted(CLEAN), ids="_".join)
def test_clean_frame_passes(key):
    entity = ENTITIES[key]
    outcomes = validate_batch(entity, frame(entity, CLEAN[key]), D)
    assert [o.name for o in outcomes] == [d.name for d in suite_for(entity)]
    failed = [(o.name, o.observed) for o in outcomes if not o.success]
    assert failed == []
    passed, metadata = summarise(outcomes)
    assert passed and metadata["failed_errors"] == metadata["failed_warnings"] == []
    assert all(o.observed["element_count"] == len(CLEAN[key]) for o in outcomes)


@pytest.mark.parametrize("key", sorted(ENTITIES), ids="_".join)
def test_empty_frame_passes(key):
    entity = ENTITIES[key]
    outcomes = validate_batch(entity, frame(entity, []), D)
    assert outcomes and all(o.success for o in outcomes)
    assert summarise(outcomes)[0]


def test_wrong_code_fails_an_error_expectation_and_shows_the_value():
    entity = ENTITIES[("SAV", "TXN")]
    rows = [txn(1), txn(2, channel="99"), txn(3)]
    outcomes = validate_batch(entity, frame(entity, rows), D)
    channel = by_name(outcomes)["channel.in_set"]
    assert (channel.success, channel.severity, channel.column) == (False, ERROR, "channel")
    assert channel.observed["partial_unexpected_list"] == ["99"]
    assert channel.observed["unexpected_count"] == 1
    passed, metadata = summarise(outcomes)
    assert not passed and metadata["failed_errors"] == ["channel.in_set"]
    json.dumps(metadata)


def test_product_of_another_system_is_an_error():
    entity = ENTITIES[("CCS", "ACCT")]
    rows = [{**CLEAN[("CCS", "ACCT")][0], "product_code": "SAV-DD"}]
    outcome = by_name(validate_batch(entity, frame(entity, rows), D))["product_code.in_set"]
    assert not outcome.success and outcome.observed["partial_unexpected_list"] == ["SAV-DD"]


def test_duplicate_txn_id_is_a_warning():
    entity = ENTITIES[("SAV", "TXN")]
    rows = [txn(1), txn(2), txn(1), txn(3)]
    outcomes = validate_batch(entity, frame(entity, rows), D)
    dup = by_name(outcomes)["txn_id.unique"]
    assert (dup.success, dup.severity) == (False, WARN)
    assert dup.observed["unexpected_count"] == 2  # every row of a repeated key
    assert dup.observed["partial_unexpected_list"] == ["2026-07-01|SAV20260701000000001"] * 2
    passed, metadata = summarise(outcomes)
    assert passed and metadata["failed_warnings"] == ["txn_id.unique"]


def test_txn_date_before_d_warns_after_d_fails():
    entity = ENTITIES[("SAV", "TXN")]
    yesterday = D - dt.timedelta(days=1)
    out = by_name(validate_batch(entity, frame(entity, [txn(1), txn(2, txn_date=yesterday)]), D))
    assert out["txn_date.in_range"].success and out["txn_date.not_after_d"].success
    assert not out["txn_date.is_biz_date"].success
    assert out["txn_date.is_biz_date"].observed["partial_unexpected_list"] == [-1]  # days after D
    rows = [txn(1), txn(2, txn_date=D + dt.timedelta(1))]
    out = by_name(validate_batch(entity, frame(entity, rows), D))
    assert out["txn_date.in_range"].success  # a plausible date ...
    after = out["txn_date.not_after_d"]  # ... but after D
    assert (after.success, after.severity, after.column) == (False, ERROR, "_txn_date__days_after_d")
    assert after.observed["partial_unexpected_list"] == [1]


def test_ranges_amounts_and_dates():
    entity = ENTITIES[("SAV", "TXN")]
    out = by_name(validate_batch(entity, frame(entity, [txn(1), txn(2, amount=Decimal("0.00"))]), D))
    assert not out["amount.in_range"].success
    assert out["amount.in_range"].observed["partial_unexpected_list"] == [0.0]

    entity = ENTITIES[("SAV", "ACCT")]
    row = {
        "acct_no": "1",
        "product_code": "SAV-DD",
        "currency": "CNY",
        "acct_status": "0",
        "open_date": dt.date(2020, 1, 1),
        "balance": Decimal("1.00"),
    }
    rows = [
        row,
        {**row, "acct_no": "2", "open_date": D + dt.timedelta(days=1)},
        {**row, "acct_no": "3", "maturity_date": dt.date(9999, 12, 31)},  # outside datetime64[ns]
        {**row, "acct_no": "4", "open_date": None, "close_date": D + dt.timedelta(days=2)},
    ]
    out = by_name(validate_batch(entity, frame(entity, rows), D))
    assert out["open_date.in_range"].success
    # days after D, integers although the helper column has nulls (float64 in pandas)
    after = out["open_date.not_after_d"].observed
    assert after["partial_unexpected_list"] == [1] and isinstance(
        after["partial_unexpected_list"][0], int
    )
    assert (after["unexpected_count"], after["missing_count"]) == (1, 1)
    assert out["close_date.not_after_d"].observed["partial_unexpected_list"] == [2]
    assert out["maturity_date.in_range"].observed["partial_unexpected_list"] == ["9999-12-31"]

    entity = ENTITIES[("CRM", "CONTACT")]
    rows = [
        {"contact_id": "1", "sys": "SAV", "contact_ts": dt.datetime(2026, 7, 1, 0, 0)},
        {"contact_id": "2", "sys": "SAV", "contact_ts": dt.datetime(2026, 7, 1, 23, 59, 59)},
        {"contact_id": "3", "sys": "SAV", "contact_ts": dt.datetime(2026, 7, 2, 0, 0)},
        {"contact_id": "4", "sys": "SAV", "contact_ts": dt.datetime(2026, 6, 30, 23, 59, 59, 500)},
    ]
    out = by_name(validate_batch(entity, frame(entity, rows), D))["contact_ts.in_range"]
    # seconds since D 00:00, floored: half a millisecond before D is not on D
    assert out.observed["partial_unexpected_list"] == [86400, -1]

    entity = ENTITIES[("SAV", "CUST")]
    rows = [
        person(1, update_ts=dt.datetime(2026, 7, 1, 23, 59, 59)),
        person(2, update_ts=dt.datetime(2026, 7, 2)),
    ]
    out = by_name(validate_batch(entity, frame(entity, rows), D))
    assert out["update_ts.in_range"].success
    assert out["update_ts.not_after_d"].observed["partial_unexpected_list"] == [86400]


def test_null_key_fails():
    entity = ENTITIES[("PUB", "ORGMAP")]
    rows = [*CLEAN[("PUB", "ORGMAP")], {"sys": "SAV", "org_id": "50001", "valid_from": D}]
    outcomes = validate_batch(entity, frame(entity, rows), D)
    out = by_name(outcomes)["org_code.not_null"]
    assert not out.success and out.observed["unexpected_count"] == 1
    assert not summarise(outcomes)[0]


def test_compound_key_duplicate_fails():
    entity = ENTITIES[("PUB", "ORGMAP")]
    rows = [*CLEAN[("PUB", "ORGMAP")], CLEAN[("PUB", "ORGMAP")][0]]
    out = by_name(validate_batch(entity, frame(entity, rows), D))["sys,org_code,valid_from.unique"]
    assert not out.success and out.severity == ERROR and out.observed["unexpected_count"] == 2


def test_invalid_check_digit_lowers_the_reported_rate():
    entity = ENTITIES[("SAV", "CUST")]
    good = [person(i) for i in range(1, 40)] + [person(40, id_type="03", id_no="E1")]
    out = by_name(validate_batch(entity, frame(entity, good), D))["id_no.check_rate"]
    assert out.success and out.observed["unexpected_count"] == 0
    assert out.observed["missing_count"] == 1  # the passport is not checked

    bad = good[:]
    bad[1] = person(2, id_no=broken(good[1]["id_no"]))
    outcomes = validate_batch(entity, frame(entity, bad), D)
    out = by_name(outcomes)["id_no.check_rate"]
    assert out.observed["unexpected_count"] == 1
    assert out.observed["unexpected_percent"] == pytest.approx(100 / 39)  # of the checked rows
    assert out.observed["partial_unexpected_list"] == [False]
    assert out.success  # 97.4% valid >= mostly 0.95


def test_rate_below_mostly_is_a_failed_warning():
    entity = ENTITIES[("ACC", "CUST")]
    uscc = idcodes.make_uscc("110108", "12345678")
    rows = [
        {
            "cust_no": str(i),
            "id_type": "21",
            "id_no": uscc if i % 2 else broken(uscc),
            "cust_status": "0",
        }
        for i in range(10)
    ]
    outcomes = validate_batch(entity, frame(entity, rows), D)
    out = by_name(outcomes)["id_no.check_rate"]
    assert (out.success, out.severity) == (False, WARN)
    assert out.observed["unexpected_percent"] == pytest.approx(50.0)
    assert summarise(outcomes)[0]


def test_id_check_agrees_with_idcodes():
    rng = random.Random(3)
    rows = []
    for _ in range(300):
        first17 = "".join(rng.choice("0123456789") for _ in range(17))
        n = id18(first17)
        rows += [
            ("01", n),
            ("01", broken(n)),
            ("01", n[:6] + n[8:17]),
            ("01", n.lower()),
            ("01", n[:17]),
        ]
        body = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
        org = body + idcodes.org_code_check(body)
        rows += [("22", org), ("22", f"{body}-{org[8]}"), ("22", broken(org))]
        uscc = idcodes.make_uscc(f"{rng.randrange(110000, 659999)}", body)
        rows += [("21", uscc), ("21", broken(uscc)), ("21", uscc[:9] + broken(uscc[9:17]) + uscc[17])]
    rows += [("01", None), ("21", "I" * 18), ("02", "whatever"), ("23", None)]
    df = pl.DataFrame(rows, schema={"id_type": pl.String, "id_no": pl.String}, orient="row")
    got = df.select(id_check_ok(pl.col("id_type"), pl.col("id_no"))).to_series().to_list()

    def expected(t: str, n: str | None) -> bool | None:
        if t not in ("01", "21", "22"):
            return None
        if n is None:
            return False
        if t == "01":
            return idcodes.is_valid_id18(n) or (len(n) == 15 and n.isdigit())
        return idcodes.is_valid_uscc(n) if t == "21" else idcodes.is_valid_org_code(n)

    assert got == [expected(t, n) for t, n in rows]
    assert 0 < sum(x is True for x in got) < len(got)


def test_metadata_is_json():
    entity = ENTITIES[("SAV", "CUST")]
    rows = [person(1), person(1, birth_date=dt.date(2030, 1, 1), update_ts=None)]
    passed, metadata = summarise(validate_batch(entity, frame(entity, rows), D))
    assert not passed
    assert set(metadata["failed_errors"]) == {"cust_no.unique", "birth_date.not_after_d"}
    json.dumps(metadata, allow_nan=False)


# --- frames of several business dates, one validation --------------------------------


def dated(entity: Entity, rows_by_date: dict[dt.date, list[dict]]) -> pl.DataFrame:
    """A typed frame of several business dates: each date's rows with their `biz_date`."""
    return pl.concat(
        frame(entity, rows).with_columns(biz_date=pl.lit(d, pl.Date)) for d, rows in rows_by_date.items()
    )


D2, D3 = D + dt.timedelta(days=1), D + dt.timedelta(days=2)


def test_a_key_may_repeat_across_dates_but_not_within_one():
    entity = ENTITIES[("SAV", "TXN")]
    # the same txn_id on two dates: a transaction re-sent in the next day's file
    across = dated(entity, {D: [txn(1), txn(2)], D2: [txn(1, txn_date=D), txn(3)]})
    out = by_name(validate(entity, across))["txn_id.unique"]
    assert out.success and out.observed["unexpected_count"] == 0
    within = dated(entity, {D: [txn(1), txn(2)], D2: [txn(1), txn(1)]})
    out = by_name(validate(entity, within))["txn_id.unique"]
    assert (out.success, out.severity) == (False, WARN)
    assert out.observed["unexpected_count"] == 2
    assert out.observed["partial_unexpected_list"] == ["2026-07-02|SAV20260701000000001"] * 2

    # a delta snapshot re-delivers a changed customer: an error only within a date
    entity = ENTITIES[("SAV", "CUST")]
    out = by_name(validate(entity, dated(entity, {D: [person(1)], D2: [person(1, gender="2")]})))
    assert out["cust_no.unique"].success
    out = by_name(validate(entity, dated(entity, {D: [person(1), person(1)], D2: [person(1)]})))
    assert not out["cust_no.unique"].success and out["cust_no.unique"].severity == ERROR
    assert out["cust_no.unique"].observed["unexpected_count"] == 2

    # compound keys: all parts and the date
    entity = ENTITIES[("PUB", "ORGMAP")]
    rows = CLEAN[("PUB", "ORGMAP")]
    out = by_name(validate(entity, dated(entity, {D: rows, D2: rows})))
    assert out["sys,org_code,valid_from.unique"].success
    out = by_name(validate(entity, dated(entity, {D: rows, D2: [*rows, rows[2]]})))
    key = out["sys,org_code,valid_from.unique"]
    assert (
        not key.success
        and key.observed["partial_unexpected_list"] == ["2026-07-02|CCS|30001|2000-01-01"] * 2
    )


def test_txn_date_is_judged_against_its_own_rows_biz_date():
    entity = ENTITIES[("SAV", "TXN")]
    # on D, a txn_date of D2 lies after D: an error; on D3, the same date lies before: a warning
    out = by_name(
        validate(entity, dated(entity, {D: [txn(1), txn(2, txn_date=D2)], D2: [txn(3, txn_date=D2)]}))
    )
    assert not out["txn_date.not_after_d"].success and out["txn_date.not_after_d"].severity == ERROR
    assert out["txn_date.not_after_d"].observed["unexpected_count"] == 1
    assert not summarise(list(out.values()))[0]

    out = by_name(
        validate(entity, dated(entity, {D2: [txn(1, txn_date=D2)], D3: [txn(2, txn_date=D2)]}))
    )
    assert out["txn_date.not_after_d"].success
    assert (out["txn_date.is_biz_date"].success, out["txn_date.is_biz_date"].severity) == (False, WARN)
    assert out["txn_date.is_biz_date"].observed["partial_unexpected_list"] == [-1]
    passed, metadata = summarise(list(out.values()))
    assert passed and metadata["failed_warnings"] == ["txn_date.is_biz_date"]


def test_three_dates_validate_in_one_gx_run(monkeypatch):
    runs = []
    runner = validate_module._runner

    class Counting:
        def __init__(self, definition):
            self.definition = definition

        def run(self, **kwargs):
            runs.append(len(kwargs["batch_parameters"]["dataframe"]))
            return self.definition.run(**kwargs)

    monkeypatch.setattr(validate_module, "_runner", lambda entity: Counting(runner(entity)))

    entity = ENTITIES[("CRM", "CONTACT")]

    def contact(i: int, ts: dt.datetime) -> dict:
        return {"contact_id": f"K{i}", "manager_id": "M00001", "sys": "SAV", "contact_ts": ts}

    def on(d: dt.date, hour: int) -> dt.datetime:
        return dt.datetime.combine(d, dt.time(hour))

    rows = {d: [contact(1, on(d, 9)), contact(2, on(d, 23))] for d in (D, D2, D3)}
    outcomes = validate(entity, dated(entity, rows))
    assert runs == [6]
    assert all(o.success and o.observed["element_count"] == 6 for o in outcomes)

    rows[D2].append(contact(3, on(D3, 1)))  # on D3, but in D2's file
    out = by_name(validate(entity, dated(entity, rows)))["contact_ts.in_range"]
    assert runs == [6, 7]
    assert not out.success and out.observed["partial_unexpected_list"] == [86400 + 3600]


def test_frame_without_biz_date_is_refused():
    entity = ENTITIES[("SAV", "TXN")]
    with pytest.raises(ValueError, match="biz_date"):
        validate(entity, frame(entity, [txn(1)]))
    with pytest.raises(ValueError, match="biz_date"):
        validate(entity, frame(entity, [txn(1)]).with_columns(biz_date=pl.lit(None, pl.Date)))
