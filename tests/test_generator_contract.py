"""The generator writes exactly the extract contract (contract/extracts.py, described in
docs/extracts.md): every batch's `.OK` file lists its data files with their record counts,
amount totals and md5; file names, encodings, delimiters and columns are the contract's."""

from __future__ import annotations

import filecmp
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from helpers import START, entity_of, md5, read_ok, records

from contract import idcodes
from contract.extracts import LEGACY, LEGACY_SYSTEMS, SYSTEMS, batch_entities, ok_file_name
from crmwh.synth.generate import generate


def _dates(landing: Path) -> list[str]:
    return sorted({p.stem.split("_")[1] for p in landing.glob("*.OK")})


def test_every_batch_lists_its_files_with_matching_counts_totals_and_md5(clean_landing):
    dates = _dates(clean_landing)
    assert len(dates) == 6
    for date in dates:
        for sys in SYSTEMS:
            header, rows = read_ok(clean_landing / ok_file_name(sys, date))
            mode = "FULL" if date == dates[0] or sys in ("CRM", "PUB") else "DELTA"
            assert header == ["HDR", sys, date, "1", mode]
            assert [r[0] for r in rows] == [e.file_name(date) for e in batch_entities(sys, date)]
            for name, count, total, digest in rows:
                path = clean_landing / name
                assert md5(path) == digest, name
                recs = records(path)
                assert len(recs) == int(count), name
                entity = entity_of(name)
                assert all(len(r) == len(entity.columns) for r in recs), name
                expected = Decimal("0.00")
                if entity.amount_column:
                    pos = entity.column_names.index(entity.amount_column)
                    expected = sum((Decimal(r[pos]) for r in recs), Decimal("0.00"))
                assert Decimal(total) == expected and total == f"{expected:.2f}", name


def test_formats_per_family(clean_landing):
    for path in clean_landing.glob("SAV_*_20260701.dat"):
        raw = path.read_bytes()
        assert b"|+|" in raw and b"\r\n" not in raw
        raw.decode("gb18030")
        assert not raw.startswith(b"\xef\xbb\xbf")
    names = (clean_landing / "SAV_CUST_20260701.dat").read_bytes()
    assert "张".encode("gb18030") in names or "王".encode("gb18030") in names
    assert b"\r\n" in (clean_landing / "CCS_CUST_20260701.dat").read_bytes()  # CRLF system
    crm = (clean_landing / "CRM_MANAGER_20260701.csv").read_text(encoding="utf-8")
    assert crm.startswith("manager_id,manager_name,org_id,team_id,grade,hire_date,status\n")
    # targets only on the 1st of the month
    assert (clean_landing / "CRM_TARGET_20260701.csv").exists()
    assert not (clean_landing / "CRM_TARGET_20260702.csv").exists()


def test_legacy_values_follow_the_field_rules(clean_landing):
    for sys in LEGACY_SYSTEMS:
        for path in clean_landing.glob(f"{sys}_*.dat"):
            entity = entity_of(path.name)
            for rec in records(path):
                for value, (col, kind) in zip(rec, entity.columns, strict=True):
                    assert value == value.strip(" \u3000"), (path.name, col)
                    if value == "":
                        continue
                    if kind == "date":
                        assert len(value) == 8 and value.isdigit(), (col, value)
                    elif kind == "amount":
                        assert Decimal(value).as_tuple().exponent == -2, (col, value)
                    elif kind == "rate":
                        assert Decimal(value).as_tuple().exponent == -4, (col, value)
                    elif kind == "ts":
                        assert len(value) == 14 and value.isdigit(), (col, value)


def test_identity_numbers_are_valid_on_clean_data(clean_landing):
    checked = 0
    for path in clean_landing.glob("*_CUST_20260701.dat"):
        for rec in records(path):
            id_type, id_no = rec[2], rec[3]
            if id_type == "01":
                assert idcodes.is_valid_id18(id_no), id_no
            elif id_type == "21":
                assert idcodes.is_valid_uscc(id_no), id_no
            elif id_type == "22":
                assert idcodes.is_valid_org_code(id_no), id_no
            checked += 1
    assert checked > 500


def _eod_balances(landing: Path, sys: str, dates: list[str]):
    """Balance per account and date from FULL + DELTA ACCT files, carried forward."""
    current: dict[str, Decimal] = {}
    per_day = {}
    for date in dates:
        for rec in records(landing / f"{sys}_ACCT_{date}.dat"):
            current[rec[0]] = Decimal(rec[8])
        per_day[date] = dict(current)
    return per_day


def test_balance_after_chains_reconcile_with_end_of_day_balances(clean_landing):
    dates = _dates(clean_landing)
    for sys in LEGACY_SYSTEMS:
        eod = _eod_balances(clean_landing, sys, dates)
        for date in dates[1:]:
            last = {}
            for rec in records(clean_landing / f"{sys}_TXN_{date}.dat"):
                assert rec[1] == date
                last[rec[3]] = Decimal(rec[14])
            for acct, balance in last.items():
                assert eod[date][acct] == balance, (sys, date, acct)


def test_deposit_postings_move_balances_by_their_amounts(clean_landing):
    dates = _dates(clean_landing)
    eod = _eod_balances(clean_landing, "SAV", dates)
    for prev, date in zip(dates, dates[1:]):
        moved = defaultdict(Decimal)
        for rec in records(clean_landing / f"SAV_TXN_{date}.dat"):
            moved[rec[3]] += Decimal(rec[5]) * (1 if rec[4] == "C" else -1)
        for acct, delta in moved.items():
            assert eod[date][acct] - eod[prev].get(acct, Decimal(0)) == delta, acct


def test_full_then_delta(clean_landing):
    dates = _dates(clean_landing)
    full = len(records(clean_landing / f"SAV_ACCT_{dates[0]}.dat"))
    delta = len(records(clean_landing / f"SAV_ACCT_{dates[1]}.dat"))
    assert 0 < delta < full / 2


def test_same_arguments_give_identical_bytes(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    generate(a, 300, 3, START, 3, "heavy")
    generate(b, 300, 3, START, 3, "heavy")
    cmp = filecmp.dircmp(a, b)
    assert not cmp.diff_files and not cmp.left_only and not cmp.right_only
    assert len(cmp.same_files) > 80


def test_extending_days_gives_the_same_files_as_a_fresh_longer_run(tmp_path):
    grown, fresh = tmp_path / "grown", tmp_path / "fresh"
    generate(grown, 300, 4, START, 9, "heavy")
    generate(grown, 300, 7, START, 9, "heavy")
    generate(fresh, 300, 7, START, 9, "heavy")
    for path in fresh.glob("*_2026070[1-4]*"):
        assert path.read_bytes() == (grown / path.name).read_bytes(), path.name
    assert sorted(p.name for p in grown.iterdir()) == sorted(p.name for p in fresh.iterdir())


def test_legacy_family_is_declared_once():
    assert all(SYSTEMS[s].family is LEGACY for s in LEGACY_SYSTEMS)
