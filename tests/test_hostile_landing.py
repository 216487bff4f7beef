"""One landing folder holding every hostile input next to good batches: one pipeline run
loads and publishes every good batch and rejects or records every bad one with its
reason, in bounded memory; then cheap ingest-only runs for what can only come later (a
same-version re-delivery, a file edited after loading)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from helpers import START, read_ok

from crmwh.synth.files import DataFile, ok_text
from crmwh.synth.generate import generate
from dagster_project.run import run_ingest, run_pipeline
from ingest import raw_zone
from marts.publish import QUALITY

DAYS = [f"202607{d:02d}" for d in range(1, 5)]
LAST = DAYS[-1]
LONG_LINE = 64 << 20
# peak resident memory of the test process and of its largest child (the ingest's
# workers, dbt): the whole pipeline on a small folder, hostile files included (measured:
# 611 and 581 MB with the 64 MiB line; reading that line whole took over 1 GB)
ROOT = Path(__file__).resolve().parents[1]
MAX_RSS_MB = {"self": 1000, "children": 900}


def _redeliver(
    landing: Path, sys: str, date: str, changes: dict[str, bytes], version: int | None = None
) -> None:
    """Rewrite files of a batch and its `.OK` (counts taken as given, md5s recomputed)."""
    ok = landing / f"{sys}_{date}.OK"
    head, entries = read_ok(ok)
    files = []
    for name, count, total, _ in entries:
        if name in changes:
            (landing / name).unlink()
            (landing / name).write_bytes(changes[name])
        content = (landing / name).read_bytes()
        files.append(DataFile(name, content, int(count), int(Decimal(total) * 100)))
    ok.write_bytes(ok_text(sys, date, version or int(head[3]), head[4], files))


def _set_count(
    landing: Path, sys: str, date: str, name: str, records: int, total: str | None = None
) -> None:
    """Give a file's record count (and control total) in its batch's `.OK`."""
    ok = landing / f"{sys}_{date}.OK"
    lines = []
    for line in ok.read_text().splitlines():
        p = line.split("|")
        lines.append("|".join([p[0], str(records), total or p[2], p[3]]) if p[0] == name else line)
    ok.write_text("\n".join(lines) + "\n")


def _spoil(landing: Path, secret_dir: Path) -> None:
    crm_fee, crm_mgr, crm_contact = (f"CRM_{e}_{LAST}.csv" for e in ("FEE", "MANAGER", "CONTACT"))
    # a stray quote (csv.Error), a file in the wrong encoding, many undecodable quoted lines
    fee = (landing / crm_fee).read_bytes() + b'X1,202607,SAV,1,"ab"c,1.00,M001,20260704120000\n'
    manager = (landing / crm_mgr).read_bytes().decode("utf-8").encode("gb18030")
    bad = b'C%d,M001,SAV,1,"20260704\xff",phone,reached\n'
    contact = (landing / crm_contact).read_bytes() + b"".join(bad % i for i in range(3000))
    _redeliver(landing, "CRM", LAST, {crm_fee: fee, crm_mgr: manager, crm_contact: contact})
    head, entries = read_ok(landing / f"CRM_{LAST}.OK")
    counts = {e[0]: int(e[1]) for e in entries}
    _set_count(landing, "CRM", LAST, crm_contact, counts[crm_contact] + 3000)
    # an empty FULL snapshot (header only)
    org = f"PUB_ORG_{LAST}.csv"
    header = (landing / org).read_bytes().split(b"\n", 1)[0] + b"\n"
    _redeliver(landing, "PUB", LAST, {org: header})
    _set_count(landing, "PUB", LAST, org, 0)
    # an over-long line (64 MiB: the whole file, read at once, took over 1 GB to parse)
    wms = f"WMS_TXN_{LAST}.dat"
    _redeliver(landing, "WMS", LAST, {wms: (landing / wms).read_bytes() + b"x" * LONG_LINE + b"\n"})
    # a data file that is a symlink to a private file elsewhere
    acc = landing / f"ACC_TXN_{LAST}.dat"
    secret = secret_dir / "secret.dat"
    shutil.copyfile(acc, secret)
    secret.chmod(0o600)
    acc.unlink()
    acc.symlink_to(secret)
    # names: a trailing newline, Arabic-Indic digits, an impossible date, a future date,
    # an unknown system, a stray file
    sav_ok = (landing / f"SAV_{LAST}.OK").read_bytes()
    (landing / "SAV_20260705.OK\n").write_bytes(sav_ok)
    (landing / "SAV_\u0662\u0660\u0662\u0666\u0660\u0667\u0660\u0665.OK").write_bytes(sav_ok)
    (landing / "SAV_20260231.OK").write_bytes(sav_ok)
    for p in landing.glob(f"PUB_*{DAYS[0]}*"):
        shutil.copyfile(p, landing / p.name.replace(DAYS[0], "20991231"))
    (landing / "XYZ_20260701.OK").write_bytes(b"HDR|XYZ|20260701|1|FULL\n")
    (landing / "README.txt").write_text("delivery notes\n")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    landing, data = root / "landing", root / "data"
    generate(landing, customers=200, days=len(DAYS), start=START, seed=13, dirt="none")
    _spoil(landing, root)
    os.environ["DAGSTER_HOME"] = str(root / "dagster_home")
    result = run_pipeline(landing, data, dg.DagsterInstance.ephemeral())
    return {"root": root, "landing": landing, "data": data, "result": result}


def _query(data: Path, sql: str, params=None) -> list[tuple]:
    with duckdb.connect(str(data / "warehouse" / "work.duckdb"), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


BAD = {("CRM", LAST), ("PUB", LAST), ("WMS", LAST), ("ACC", LAST)}


def _loaded(data: Path) -> set[tuple[str, str]]:
    return set(
        _query(data, "select sys, strftime(biz_date, '%Y%m%d') from audit_batch where is_current")
    )


def test_the_run_goes_on_and_every_good_batch_is_loaded(hostile):
    result, data = hostile["result"], hostile["data"]
    assert result.ingested is not None and result.ingested.success
    assert result.built is not None  # the build ran on what was loaded
    loaded = _loaded(data)
    systems = {s for s, _ in loaded}
    assert len(systems) == 9  # seven legacy systems, CRM, PUB
    assert loaded == {(s, d) for s in systems for d in DAYS} - BAD
    checks = result.ingested.get_asset_check_evaluations()
    assert checks and all(e.passed for e in checks)  # the gate ran, on good batches only


def test_every_good_batch_is_published(hostile):
    result, data = hostile["result"], hostile["data"]
    assert result.success
    with duckdb.connect(str(data / "warehouse" / "crm.duckdb"), read_only=True) as con:
        published = set(
            con.execute(
                "select sys, strftime(biz_date, '%Y%m%d') from meta.published_batches"
            ).fetchall()
        )
    assert published == _loaded(data)


def test_every_bad_batch_is_rejected_with_its_reason(hostile):
    data = hostile["data"]
    reasons = dict(
        ((s, d), why)
        for s, d, why in _query(
            data,
            "select sys, strftime(biz_date, '%Y%m%d'), reason from audit_batch "
            "where status = 'rejected'",
        )
    )
    assert set(reasons) == BAD
    crm = reasons[("CRM", LAST)]
    assert f"CRM_FEE_{LAST}.csv unreadable: Error:" in crm  # the stray quote
    assert f"CRM_MANAGER_{LAST}.csv quality: quarantine_share" in crm  # GB18030, not UTF-8
    assert f"CRM_CONTACT_{LAST}.csv quality: quarantine_share" in crm  # 3,000 bad lines
    assert reasons[("PUB", LAST)] == f"volume: PUB_ORG_{LAST}.csv is an empty FULL snapshot"
    assert f"WMS_TXN_{LAST}.dat line_too_long: a line of {LONG_LINE} bytes" in reasons[("WMS", LAST)]
    assert f"ACC_TXN_{LAST}.dat not_a_regular_file: " in reasons[("ACC", LAST)]
    # rows of rejected batches count as rejected; nothing of them is in the raw zone
    for system, d in BAD:
        assert not list((data / "raw" / system.lower()).glob(f"*/biz_date={d}"))
    kept = [p.name for p in (data / "raw" / "_rejected" / "acc").rglob("*") if p.is_file()]
    assert f"ACC_{LAST}.OK" in kept and f"ACC_TXN_{LAST}.dat" not in kept  # never followed


def test_stray_entries_are_recorded_and_never_read(hostile):
    got = {
        (f, r)
        for f, r in _query(hostile["data"], "select file, reason from audit_landing")
        if not f.startswith("PUB_")
    }
    assert got == {
        ("SAV_20260705.OK\n", "bad_name"),
        ("SAV_\u0662\u0660\u0662\u0666\u0660\u0667\u0660\u0665.OK", "bad_name"),
        ("SAV_20260231.OK", "bad_date"),
        ("XYZ_20260701.OK", "unknown_file"),
        ("README.txt", "unknown_file"),
        (f"ACC_TXN_{LAST}.dat", "symlink"),
    }
    future = _query(
        hostile["data"], "select reason, detail from audit_landing where file like 'PUB_%20991231%'"
    )
    assert len(future) == 4 and {r for r, _ in future} == {"bad_date"}
    assert "is after the last business date" in future[0][1]


INGEST_RSS = """
import json, resource, sys
from pathlib import Path
from ingest.run import ingest
landing, out = Path(sys.argv[1]), Path(sys.argv[2])
ingest(landing, out / "raw", out / "work.duckdb")
# VmHWM, not getrusage(RUSAGE_SELF): Linux carries ru_maxrss across exec, so a process
# started by a big test worker reports the worker's size at the fork; VmHWM is this
# program's own peak.
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(json.dumps({"self": hwm // 1024,
                  "children": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024}))
"""


def test_memory_stays_bounded(hostile, tmp_path):
    """The ingest of the whole hostile landing (a 64 MiB line among it), alone in a fresh
    process: peak RSS of the process and of its largest worker (a test worker's own peak
    holds whatever ran before it)."""
    done = subprocess.run(
        [sys.executable, "-c", INGEST_RSS, str(hostile["landing"]), str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    rss = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"hostile ingest, peak RSS in MB: {rss}")
    assert rss["self"] < MAX_RSS_MB["self"] and rss["children"] < MAX_RSS_MB["children"], rss


def test_a_same_version_redelivery_and_an_edited_file(hostile):
    landing, data = hostile["landing"], hostile["data"]
    d, instance = DAYS[1], dg.DagsterInstance.ephemeral()
    # SAV's second day again as version 1, one transaction fewer, under a new .OK
    txn = f"SAV_TXN_{d}.dat"
    body, last = (landing / txn).read_bytes().rstrip(b"\n").rsplit(b"\n", 1)
    _redeliver(landing, "SAV", d, {txn: body + b"\n"})
    head, entries = read_ok(landing / f"SAV_{d}.OK")
    n, total = next((int(e[1]), Decimal(e[2])) for e in entries if e[0] == txn)
    amount = Decimal(last.split(b"|+|")[5].decode())
    _set_count(landing, "SAV", d, txn, n - 1, f"{total - amount:.2f}")
    # ACC's first customer file edited in place, under the same .OK
    cust = landing / f"ACC_CUST_{DAYS[0]}.dat"
    cust.write_bytes(cust.read_bytes() + b"\n")
    result = run_ingest(landing, data, instance, dates=[DAYS[0], d])
    assert result is not None
    rows = _query(
        data,
        "select version, status, is_current, ok_md5, reason from audit_batch "
        "where sys = 'SAV' and biz_date = ? order by processed_at",
        [START.replace(day=2)],
    )
    assert [r[:3] for r in rows] == [(1, "superseded", False), (1, "loaded", True)], rows
    first, second = rows[0][3], rows[1][3]
    for ok in (first, second):  # both deliveries kept side by side
        assert raw_zone.batch_dir(data / "raw", "SAV", "CUST", d, 1, ok).is_dir()
    changed = _query(data, "select file, md5_at_load, md5_now from changed_after_load")
    assert [c[0] for c in changed] == [cust.name] and changed[0][1] != changed[0][2]
    assert "changed_after_load" in QUALITY
