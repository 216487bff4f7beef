"""The file reader on files small enough to check by eye."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from contract.extracts import ENTITIES
from ingest.landing import OkError, parse_ok
from ingest.read import parse_file

TXN = ENTITIES[("SAV", "TXN")]
FEE = ENTITIES[("CRM", "FEE")]


def txn(txn_id: str, amount: str, remark: str = "转账", **over) -> str:
    f = {
        "txn_id": txn_id,
        "txn_date": "20260701",
        "txn_time": "093000",
        "acct_no": "6217001",
        "dr_cr": "D",
        "amount": amount,
        "currency": "CNY",
        "channel": "04",
        "txn_code": "1101",
        "cp_acct_no": "",
        "cp_name": "",
        "cp_bank_code": "105100000017",
        "reversal_of": "",
        "org_code": "30001",
        "balance_after": "100.00",
        "remark": remark,
    }
    f.update(over)
    return "|+|".join(f[c] for c in TXN.column_names)


def test_clean_legacy_file_with_crlf_trims_and_types():
    lines = [txn("T1", "10.50", remark="　工资 "), txn("T2", "-0.05", cp_name="")]
    buf = ("\r\n".join(lines) + "\r\n").encode("gb18030")
    p = parse_file(buf, TXN)
    assert p.rows_in == 2 and not p.quarantined
    row = p.frame.row(0, named=True)
    assert row["remark"] == "工资"  # full-width and ASCII spaces trimmed
    assert row["amount"] == Decimal("10.50") and row["txn_date"] == dt.date(2026, 7, 1)
    assert row["txn_time"] == dt.time(9, 30) and row["cp_name"] is None  # empty field = null
    assert p.frame["_line"].to_list() == [1, 2]
    assert p.total_cents == 1050 - 5


def test_broken_line_wrong_counts_bad_bytes_and_bad_cast_are_quarantined():
    good = txn("T1", "1.00")
    broken = txn("T2", "2.00", remark="房\n租")  # a newline inside the remark: 2 lines
    short = txn("T3", "3.00").rpartition("|+|")[0]  # 15 fields
    long = txn("T4", "4.00") + "|+|备注"  # 17 fields
    bad_date = txn("T6", "6.00", txn_date="20261340")
    text = "\n".join([good, broken, short, long]) + "\n"
    bad_bytes = txn("T5", "5.00", remark="XX").encode("gb18030").replace(b"XX", b"\x80X")
    buf = text.encode("gb18030") + bad_bytes + b"\n" + (bad_date + "\n").encode("gb18030")
    p = parse_file(buf, TXN)
    assert p.frame["txn_id"].to_list() == ["T1"]
    got = [(q.line, q.lines, q.reason) for q in p.quarantined]
    assert got == [
        (2, 2, "broken_line"),
        (4, 1, "wrong_field_count"),
        (5, 1, "wrong_field_count"),
        (6, 1, "bad_bytes"),
        (7, 1, "bad_cast"),
    ]
    assert p.rows_in == 6  # records, not physical lines (7)
    assert "txn_date '20261340'" in p.quarantined[-1].detail
    assert p.quarantined[0].raw.decode("gb18030").endswith("房\n租")
    # the control total still counts every record's amount, quarantined ones included
    assert p.total_cents == 100 + 200 + 300 + 400 + 500 + 600


def test_modern_csv_header_quotes_and_bad_amount():
    head = ",".join(FEE.column_names)
    rows = [
        "E1,202607,SAV,100001,agency,12.30,M001,20260701120000",
        'E2,202607,SAV,100002,"advisory, wealth",5.00,M001,20260701120100',
        "E3,202607,SAV,100003,agency,1.5,M001,20260701120200",
    ]
    p = parse_file((head + "\n" + "\n".join(rows) + "\n").encode(), FEE)
    assert p.frame["fee_type"].to_list() == ["agency", "advisory, wealth"]
    assert [(q.line, q.reason) for q in p.quarantined] == [(4, "bad_cast")]
    assert p.total_cents == 1230 + 500 + 150
    wrong = parse_file(b"entry_id,amount\n", FEE)
    assert not wrong.header_ok


def test_ok_file_is_checked_against_the_contract():
    ok = (
        "HDR|SAV|20260701|2|DELTA\n"
        "SAV_CUST_20260701.dat|0|0.00|d41d8cd98f00b204e9800998ecf8427e\n"
        "SAV_ACCT_20260701.dat|1|-1.50|d41d8cd98f00b204e9800998ecf8427e\n"
        "SAV_TXN_20260701.dat|0|0.00|d41d8cd98f00b204e9800998ecf8427e\n"
    )
    sig = parse_ok(ok.encode(), "SAV", "20260701")
    assert sig.version == 2 and sig.entries[1].total_cents == -150
    with pytest.raises(OkError, match="does not list"):
        parse_ok(ok.rsplit("SAV_TXN", 1)[0].encode(), "SAV", "20260701")
    with pytest.raises(OkError, match="file name"):
        parse_ok(ok.encode(), "SAV", "20260702")
