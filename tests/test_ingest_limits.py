"""Hostile inputs at the smallest scale: landing-folder names, the quoted-CSV reader on
many bad lines, the chunked hash and line scan, and the limits' seed."""

from __future__ import annotations

import csv
import mmap
import os

import pytest

from contract.extracts import ENTITIES
from ingest.batch import hash_file
from ingest.landing import survey
from ingest.limits import SEED, Limits, load_limits
from ingest.read import parse_file

FEE = ENTITIES[("CRM", "FEE")]
HEAD = ",".join(FEE.column_names)


def _fee(i: int, fee_type: str = "agency") -> str:
    return f"E{i},202607,SAV,{100000 + i},{fee_type},1.00,M001,20260701120000"


def test_names_are_ascii_and_whole_and_strays_are_recorded(tmp_path):
    for name in [
        "SAV_20260603.OK",
        "SAV_CUST_20260603.dat",
        "SAV_\u0662\u0660\u0662\u0666\u0660\u0666\u0660\u0663.OK",  # Arabic-Indic digits
        "SAV_20260604.OK\n",  # a trailing newline
        "SAV_20260231.OK",  # no such day
        "XYZ_20260603.OK",  # no such system
        "SAV_FOO_20260603.dat",  # no such entity
        "README.txt",
    ]:
        (tmp_path / name).write_text("x")
    (tmp_path / "PUB_20260603.OK").symlink_to(tmp_path / "SAV_20260603.OK")
    (tmp_path / "folder").mkdir()
    (tmp_path / "_truth").mkdir()  # the generator's answers: not the bank's, not reported
    arrivals, strays = survey(tmp_path)
    assert list(arrivals) == [("SAV", "20260603")]
    assert arrivals[("SAV", "20260603")].data_files == ["SAV_CUST_20260603.dat"]
    got = {x.name: x.reason for x in strays}
    assert got == {
        "SAV_\u0662\u0660\u0662\u0666\u0660\u0666\u0660\u0663.OK": "bad_name",
        "SAV_20260604.OK\n": "bad_name",
        "SAV_20260231.OK": "bad_date",
        "XYZ_20260603.OK": "unknown_file",
        "SAV_FOO_20260603.dat": "unknown_file",
        "README.txt": "unknown_file",
        "PUB_20260603.OK": "symlink",
        "folder": "not_a_regular_file",
    }
    assert all(x.size is not None and x.mtime is not None for x in strays)


def test_many_undecodable_quoted_lines_are_quarantined_without_recursion():
    bad = 'E{},202607,SAV,1,"caf\xe9",1.00,M001,20260701120000'
    lines = [HEAD] + [bad.format(i).encode("latin-1").decode("latin-1") for i in range(5000)]
    buf = "\n".join(lines).encode("latin-1") + b"\n" + (_fee(9) + "\n").encode()
    p = parse_file(buf, FEE)
    assert p.frame["entry_id"].to_list() == ["E9"]
    assert len(p.quarantined) == 5000 and {q.reason for q in p.quarantined} == {"bad_bytes"}
    assert p.quarantined[0].line == 2 and p.quarantined[-1].line == 5001
    assert p.total_cents == 5001 * 100  # quarantined records still count in the total


def test_quoted_newline_and_a_stray_quote():
    text = f"{HEAD}\n{_fee(1)}\n{_fee(2, chr(34) + 'two' + chr(10) + 'lines' + chr(34))}\n{_fee(3)}\n"
    p = parse_file(text.encode(), FEE)
    assert p.frame["fee_type"].to_list() == ["agency", "two\nlines", "agency"]
    assert p.frame["_line"].to_list() == [2, 3, 5]
    stray = f"{HEAD}\n{_fee(1, chr(34) + 'ab' + chr(34) + 'c')}\n".encode()
    with pytest.raises(csv.Error):  # the batch is rejected by its caller (test_hostile_landing)
        parse_file(stray, FEE)


def test_a_mapped_file_parses_as_its_bytes(tmp_path):
    text = f"{HEAD}\n{_fee(1)}\n{_fee(2, chr(34) + 'x,y' + chr(34))}\nbroken,line\n"
    path = tmp_path / "CRM_FEE_20260701.csv"
    path.write_bytes(text.encode())
    with path.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
        mapped = parse_file(m, FEE)
    direct = parse_file(text.encode(), FEE)
    assert mapped.frame.equals(direct.frame) and mapped.total_cents == direct.total_cents
    assert [(q.line, q.raw) for q in mapped.quarantined] == [(4, b"broken,line")]


@pytest.mark.parametrize("chunk", [3, 7, 1 << 20])
def test_hash_file_finds_the_longest_line_across_chunks(tmp_path, chunk, monkeypatch):
    monkeypatch.setattr("ingest.batch.HASH_CHUNK", chunk)
    body = b"ab\n" + b"x" * 40 + b"\n\nabcde"
    path = tmp_path / "f"
    path.write_bytes(body)
    md5, size, longest = hash_file(path, 1 << 20)
    assert (size, longest) == (len(body), 40)
    import hashlib

    assert md5 == hashlib.md5(body).hexdigest()


def test_limits_come_from_the_seed():
    limits = load_limits()
    with SEED.open(encoding="utf-8") as f:
        named = {r["name"] for r in csv.DictReader(f)}
    assert named == set(Limits.__dataclass_fields__)  # every limit is a tunable parameter
    assert limits.max_quarantine_share == 0.05 and limits.max_line_bytes == 1 << 20
    assert isinstance(limits.max_file_bytes, int) and limits.max_file_bytes == 4 << 30
    assert os.path.basename(SEED) == "ingest_limits.csv"
