"""Each kind of dirt in the contract is present at its rate, and the ground truth says where."""

from __future__ import annotations

import csv
import json
from collections import Counter
from decimal import Decimal
from pathlib import Path

from helpers import START, md5, read_ok, records

from contract import idcodes
from contract.extracts import LEGACY_SYSTEMS, SYSTEMS
from crmwh.synth.dirt import KINDS, RATES


def _faults(landing: Path) -> list[dict]:
    with (landing / "_truth" / "faults.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _txn_count(landing: Path) -> int:
    total = 0
    for ok in landing.glob("*.OK"):
        for row in read_ok(ok)[1]:
            if "_TXN_" in row[0]:
                total += int(row[1])
    return total


def test_every_kind_occurs_with_heavy_dirt(heavy_landing):
    seen = Counter(f["kind"] for f in _faults(heavy_landing))
    manifest = json.loads((heavy_landing / "_truth" / "manifest.json").read_text())
    for kind in KINDS:
        if kind == "org_merge":
            assert manifest["org_merge"]["date"] == "2026-07-21"
            continue
        assert seen[kind] > 0, kind


def test_row_dirt_at_default_rates(dirty_landing):
    seen = Counter(f["kind"] for f in _faults(dirty_landing))
    txns = _txn_count(dirty_landing)
    rates = RATES["default"]
    # per-row kinds: observed share within a factor of 2.5 of the configured rate
    for kind in ("duplicate_txn", "broken_line"):
        expected = rates[kind] * txns
        assert expected / 2.5 <= seen[kind] <= expected * 2.5, (kind, seen[kind], expected)
    for kind in (
        "old_15_digit_id",
        "name_variant",
        "invalid_check_digit",
        "share_over_100",
        "wrong_field_count",
        "bad_bytes",
        "late_reversal",
    ):
        assert seen[kind] > 0, kind


def test_faults_are_where_the_truth_says(heavy_landing):
    by_file: dict[str, list[dict]] = {}
    # a truncated file, or version 1 of a restated batch, holds only part of its rows
    partial = {
        (f["sys"], f["biz_date"])
        for f in _faults(heavy_landing)
        if f["kind"] == "ok_mismatch" or f["detail"].endswith("written version 1")
    }
    for f in _faults(heavy_landing):
        if (f["sys"], f["biz_date"]) in partial and f["kind"] != "ok_mismatch":
            continue
        by_file.setdefault(f["file"], []).append(f)
    checked = Counter()
    for name, faults in by_file.items():
        if not name or not (heavy_landing / name).exists():
            continue
        raw = (heavy_landing / name).read_bytes()
        lines = raw.replace(b"\r\n", b"\n").split(b"\n")
        for f in faults:
            kind = f["kind"]
            if kind == "ok_mismatch":
                sys, date = name.split("_")[0], name.split("_")[2][:8]
                ok = heavy_landing / f"{sys}_{date}.OK"
                if ok.exists():
                    listed = {r[0]: r for r in read_ok(ok)[1]}
                    assert listed[name][3] != md5(heavy_landing / name)
                    checked[kind] += 1
                continue
            if not f["line"]:
                continue
            line = lines[int(f["line"]) - 1]
            if kind == "bad_bytes":
                try:
                    line.decode("gb18030")
                    raise AssertionError(f"line {f['line']} of {name} decodes")
                except UnicodeDecodeError:
                    pass
            elif kind == "broken_line":  # the remark goes on on the next line
                assert line.split(b"|+|", 1)[0].decode() == f["key"]
                assert b"|+|" not in lines[int(f["line"])], (name, f["line"])
            else:
                fields = line.decode("gb18030").split("|+|")
                assert fields[0] == f["key"]
                assert len(fields) != 16, (kind, name, f["line"])
            checked[kind] += 1
    assert checked["bad_bytes"] and checked["broken_line"] and checked["wrong_field_count"]


def test_duplicates_appear_twice(heavy_landing):
    ids = Counter()
    for sys in LEGACY_SYSTEMS:
        for path in heavy_landing.glob(f"{sys}_TXN_*.dat"):
            for line in path.read_bytes().replace(b"\r\n", b"\n").split(b"\n"):
                ids[line.split(b"|+|", 1)[0].decode("ascii", "replace")] += 1
    dups = {f["key"] for f in _faults(heavy_landing) if f["kind"] == "duplicate_txn"}
    delivered = [k for k in dups if ids[k] >= 2]
    assert len(delivered) >= 0.8 * len(dups) > 0  # the rest sit in truncated files


def test_late_batches_have_no_ok_until_they_arrive(tmp_path):
    from crmwh.synth.generate import generate

    generate(tmp_path, 500, 8, START, 21, "heavy")
    late = [f for f in _faults(tmp_path) if f["kind"] == "late_batch"]
    assert late
    for f in late:
        ok = tmp_path / f"{f['sys']}_{f['biz_date']}.OK"
        arrives = int(f["detail"].split("day ")[1].split(";")[0])
        assert ok.exists() == (arrives <= 7), f


def test_restated_batches_say_version_2(heavy_landing):
    for f in _faults(heavy_landing):
        if f["kind"] == "restatement":
            header, _ = (
                read_ok(heavy_landing / f"{f['sys']}_{f['biz_date']}.OK")
                if (heavy_landing / f"{f['sys']}_{f['biz_date']}.OK").exists()
                else (None, None)
            )
            if header:
                assert header[3] == f["detail"].split("written version ")[1]


def test_truth_covers_every_customer_record(dirty_landing):
    with (dirty_landing / "_truth" / "customers.csv").open(encoding="utf-8") as f:
        truth = {(r["sys"], r["cust_no"]): r for r in csv.DictReader(f)}
    seen = set()
    for sys in LEGACY_SYSTEMS:
        for path in dirty_landing.glob(f"{sys}_CUST_*.dat"):
            for rec in records(path):
                assert (sys, rec[0]) in truth
                seen.add((sys, rec[0]))
                t = truth[(sys, rec[0])]
                assert (t["id_type"], t["id_no"]) == (rec[2], rec[3])
    assert len(seen) > 0.9 * sum(1 for t in truth.values() if int(t["onboard_day"]) < 12)
    # records of one true party share one valid key unless a fault says otherwise
    parties = Counter(t["party_ref"] for t in truth.values())
    assert max(parties.values()) >= 3
    bad = [
        t
        for t in truth.values()
        if t["id_type"] == "01" and len(t["id_no"]) == 18 and not idcodes.is_valid_id18(t["id_no"])
    ]
    invalid = {f["key"] for f in _faults(dirty_landing) if f["kind"] == "invalid_check_digit"}
    assert {t["cust_no"] for t in bad} <= invalid


def test_the_bank_looks_real(dirty_landing):
    """Mostly persons; a heavy tail of wealth reaching private banking; a little NPL."""
    with (dirty_landing / "_truth" / "customers.csv").open(encoding="utf-8") as f:
        truth = {(r["sys"], r["cust_no"]): r for r in csv.DictReader(f)}
    kinds = Counter(t["kind"] for t in {t["party_ref"]: t for t in truth.values()}.values())
    assert 0.93 < kinds["personal"] / sum(kinds.values()) < 0.97
    aum: Counter = Counter()
    loans = Counter()
    for sys in ("SAV", "WMS"):
        for rec in records(dirty_landing / f"{sys}_ACCT_20260701.dat"):
            if rec[3] == "CNY":
                aum[truth[(sys, rec[1])]["party_ref"]] += Decimal(rec[8])
    for sys, cls in (("PLN", 13), ("CRD", 13)):
        for rec in records(dirty_landing / f"{sys}_ACCT_20260701.dat"):
            loans["npl" if rec[cls] in "345" else "ok"] += 1
    tiers = Counter(
        "private"
        if v >= 6e6
        else "diamond"
        if v >= 3e6
        else "platinum"
        if v >= 5e5
        else "gold"
        if v >= 1e5
        else "mass"
        for v in aum.values()
    )
    assert all(tiers[t] > 0 for t in ("mass", "gold", "platinum", "diamond", "private")), tiers
    top = sorted(aum.values(), reverse=True)
    assert sum(top[: len(top) // 20]) > Decimal("0.4") * sum(top)  # top 5% hold most of the assets
    # by count here (a small sample); by balance it is 1-2% at scale (bench/README.md)
    assert 0.005 < loans["npl"] / (loans["npl"] + loans["ok"]) < 0.05
    assert SYSTEMS["SAV"].party_kind == "personal"


def test_batch_faults_do_not_depend_on_the_rows(tmp_path):
    """Which batches are late, restated or truncated is drawn per system and date, apart from
    the rows: a bank of another size (or a changed simulation) keeps them where they were."""
    from crmwh.synth.generate import generate

    kinds = ("late_batch", "restatement", "ok_mismatch")
    seen = []
    for customers in (200, 300):
        out = tmp_path / str(customers)
        generate(out, customers, 5, START, 21, "heavy")
        seen.append({(f["kind"], f["sys"], f["biz_date"]) for f in _faults(out) if f["kind"] in kinds})
    assert seen[0] and seen[0] == seen[1]
