"""bench/bench_pipeline.py: the parts that can be wrong without building a warehouse (phases
from a run's events, rows from its materialisations, the tables, the process-tree sampler)."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import psutil
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import bench_pipeline as bp  # noqa: E402

GiB = 2**30


def test_step_windows_pair_starts_with_their_ends():
    events = [
        bp.Event(None, "PIPELINE_START", 0.0),
        bp.Event("ingest_batches", "STEP_START", 1.0),
        bp.Event("ingest_batches", "ASSET_MATERIALIZATION", 2.0),
        bp.Event("ingest_batches", "STEP_SUCCESS", 4.0),
        bp.Event("dbt_inputs", "STEP_START", 5.0),
        bp.Event("mart_suites", "STEP_START", 5.5),  # interleaved steps
        bp.Event("dbt_inputs", "STEP_FAILURE", 7.0),
        bp.Event("published__readers", "STEP_START", 8.0),  # the run was killed here
        bp.Event("mart_suites", "STEP_SUCCESS", 9.0),
        bp.Event(None, "PIPELINE_FAILURE", 10.0),
    ]
    assert bp.step_windows(events) == [
        bp.Window("ingest_batches", 1.0, 4.0, "STEP_SUCCESS"),
        bp.Window("dbt_inputs", 5.0, 7.0, "STEP_FAILURE"),
        bp.Window("mart_suites", 5.5, 9.0, "STEP_SUCCESS"),
        bp.Window("published__readers", 8.0, 10.0, "unfinished"),
    ]
    assert [bp.phase_of(w.step_key) for w in bp.step_windows(events)] == [
        "ingest",
        "dbt_inputs",
        "GX checks",
        "readers",
    ]
    assert bp.phase_of("some_new_step") == "other steps"


def test_phase_rows_take_each_assets_last_totals():
    mats = [
        ("raw/acc", {"rows_in": 10}),  # per system: the audit's total counts
        ("warehouse/audit", {"rows_in": 100, "rows_loaded": 99}),
        ("warehouse/audit", {"rows_in": 100, "rows_loaded": 99}),  # the same run, another date
        ("published/warehouse", {"rows": {"marts.a": 3, "marts.b": 4}, "tables": 2}),
        ("published/exports", {"rows": {"a": 3, "b": 4}, "files": 9}),
        ("published/readers", {"rows": {"bank/root": {"a": 3}, "branch/1": {"a": 1, "b": 2}}}),
        ("core/dim_party", {"status": "success"}),
    ]
    assert bp.phase_rows(mats) == {"ingest": 100, "publish": 7, "exports": 7, "readers": 6}
    assert bp.total_rows(True) == 0 and bp.total_rows("12") == 0


def fake_result(customers: int, build_wall: float, daily_wall: float | None, peak: int) -> dict:
    def run(wall: float) -> dict:
        return {
            "wall": wall,
            "peak": peak,
            "ok": True,
            "returncode": 0,
            "phases": {
                "ingest": {"seconds": 10.0, "peak": GiB, "failed": False, "rows": 5_000_000},
                "dbt_tables": {"seconds": 20.0, "peak": 2 * GiB, "failed": True},
            },
            "events": {"ingest_job": 100, "build_job": 2000},
            "sizes": {"work.duckdb": 3 * GiB, "raw": 50 * 2**20},
        }

    result = {
        "customers": customers,
        "days": 31,
        "generation": {"wall": 40.0, "peak": GiB, "days": 32, "rows": 6_000_000, "cached": False},
        "build": run(build_wall),
    }
    if daily_wall is not None:
        result["daily"] = run(daily_wall)
    return result


def test_phase_table_lines_up():
    text = bp.phase_table(fake_result(100_000, 300.0, 50.0, 3 * GiB))
    rows = [line for line in text.splitlines() if line.startswith("|")]
    assert len({line.count("|") for line in rows}) == 1, rows  # every row has every column
    assert "| ingest | 10.0 | 5,000,000 | 500,000 | 1.00 | 10.0 | 5,000,000 | 500,000 | 1.00 |" in rows
    assert "| dbt_tables | 20.0 (failed) |" in text
    # wall outside the steps: 300 - 30 and 50 - 30
    outside = "| outside the steps (start-up, Dagster, recovery) | 270.0 |  |  |  | 20.0 |  |  |  |"
    assert outside in rows
    assert "build ingest_job 100, build_job 2,000 (total 2,100)" in text
    assert "work.duckdb 3.00 GiB · raw 50 MB" in text
    failed = bp.phase_table(fake_result(10_000, 30.0, None, GiB))
    assert "not run (the build failed)" in failed


@pytest.mark.parametrize(
    ("customers", "build", "daily", "peak", "expected"),
    [
        # at 1M the targets are judged
        (1_000_000, 590.0, 59.0, 11 * GiB, {"full build": "met", "daily run ≤ 60": "met"}),
        (1_000_000, 700.0, 70.0, 13 * GiB, {"full build": "**missed**", "peak memory": "**missed**"}),
        # below, a value under a 1M target says nothing yet; one already over it is missed
        (10_000, 30.0, 20.0, GiB, {"full build": "met here, judged at 1M", "1/10": "**missed**"}),
        (100_000, 900.0, 61.0, GiB, {"daily run ≤ 60": "**missed** (already at this size)"}),
    ],
)
def test_targets_marked(customers, build, daily, peak, expected):
    lines = bp.targets(fake_result(customers, build, daily, peak)).splitlines()
    for target, verdict in expected.items():
        (line,) = [line for line in lines if target in line]
        assert line.endswith(f"| {verdict} |"), line
    (ingest,) = [line for line in lines if line.startswith("| ingest")]
    assert "500,000 rows/s" in ingest and ingest.endswith("| **missed** |")


def test_record_appends_inside_its_section(tmp_path, monkeypatch):
    (tmp_path / "bench").mkdir()
    readme = tmp_path / "bench" / "README.md"
    readme.write_text("# Benchmarks\n\n## Other\n\ntext\n")
    monkeypatch.setattr(bp, "ROOT", tmp_path)
    bp.record("### first")
    readme.write_text(readme.read_text() + "\n## Later\n\nmore\n")
    bp.record("### second")
    doc = readme.read_text()
    assert doc.index("## Other") < doc.index(bp.SECTION) < doc.index("### first")
    assert doc.index("### first") < doc.index("### second") < doc.index("## Later")


def test_sampler_sums_the_process_tree(tmp_path):
    """A parent holding ~100 MB and its child holding ~200 MB: the peak is of both."""
    hold = "x = bytearray({mb} * 2**20); x[::4096] = b'1' * len(x[::4096]); import time; time.sleep({s})"
    script = textwrap.dedent(
        f"""
        import subprocess, sys
        child = subprocess.Popen([sys.executable, "-c", {hold.format(mb=200, s=1.5)!r}])
        {hold.format(mb=100, s=0)}
        child.wait()
        """
    )
    r = bp.run_sampled([sys.executable, "-c", script], {}, tmp_path / "log", interval=0.05)
    assert r["returncode"] == 0 and not r["stopped"]
    assert r["peak"] > 300 * 2**20, r["peak"] / 2**20
    assert r["samples"] and all(t >= r["since"] for t, _ in r["samples"])
    assert bp.peak_in(r["samples"], [bp.Window("x", 0, r["since"] - 1, "STEP_SUCCESS")]) == 0


def test_sampler_stops_a_tree_over_its_limit(tmp_path):
    """A tree over the limit is stopped, its children too, long before it would end."""
    sleeper = "import time; time.sleep(60)"
    script = (
        f"import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', {sleeper!r}]); "
        "x = bytearray(300 * 2**20); x[::4096] = b'1' * len(x[::4096]); time.sleep(60)"
    )
    log, limit = tmp_path / "log", 200 * 2**20
    r = bp.run_sampled([sys.executable, "-c", script], {}, log, interval=0.05, limit=limit)
    assert r["stopped"] and r["returncode"] != 0 and r["wall"] < 30
    left = [p for p in psutil.process_iter(["cmdline"]) if sleeper in " ".join(p.info["cmdline"] or [])]
    assert not left


def test_data_rows_count_the_ok_files(tmp_path):
    (tmp_path / "SAV_20260301.OK").write_text("SAV|20260301|1|FULL\nA.dat|3|1.00|x\nB.dat|4|0|y\n")
    (tmp_path / "CRM_20260302.OK").write_text("CRM|20260302|1|INCR\nC.dat|5|0|z\n")
    assert bp.data_rows(tmp_path) == 12


def test_file_sizes_follow_the_published_link(tmp_path):
    data = tmp_path / "data"
    (data / "warehouse").mkdir(parents=True)
    (data / "warehouse" / "work.duckdb").write_bytes(b"x" * 10)
    (data / "readers-v1" / "bank").mkdir(parents=True)
    (data / "readers-v1" / "bank" / "crm.duckdb").write_bytes(b"x" * 7)
    (data / "published").symlink_to(data / "readers-v1")
    sizes = bp.file_sizes(data)
    assert sizes == {"work.duckdb": 10, "crm.duckdb": 0, "raw": 0, "exports": 0, "published": 7}
