"""Managers, teams and assignments as delivered (point in time), end to end: a small bank
built from its landing folder, and the same bank in which one manager who holds credited
accounts moves to a team of another branch in August (CRM_MANAGER rewritten from the move
date on). A month is scored with the teams as delivered for its dates: July's KPI rows do
not move, August's move exactly for the teams the manager left and joined (and the teams
above them), with the manager's actuals counted in the new team.

The moved bank arrives in two parts (a run up to early August, then one for the rest, as
daily runs would): its histories come from a window run that restarts from the stored
versions, the other bank's from one run over every date. Apart from the move they must be
equal: a window run gives what a full build gives."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from helpers import check_errors, landing_dates, read_ok

from crmwh.synth.files import DataFile, ok_text
from crmwh.synth.generate import generate
from dagster_project.run import run_pipeline

START = dt.date(2026, 7, 15)  # half of July (finished), August to the 28th (month to date)
DAYS = 45
CUSTOMERS = 300
SEED = 5
MOVE_DATE = dt.date(2026, 8, 10)  # the manager's new team in CRM_MANAGER from this date on
SPLIT_DATE = dt.date(2026, 8, 5)  # the moved bank's second run starts here, before the move


@dataclass(frozen=True)
class Move:
    manager_id: str
    old_team: str
    new_team: str
    changed_teams: frozenset[str]  # the two teams and the ancestors they do not share


def _day(path: Path) -> dt.date:
    return dt.datetime.strptime(path.stem.rsplit("_", 1)[1][:8], "%Y%m%d").date()


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:  # CRM files: UTF-8 CSV (the contract)
        return list(csv.DictReader(f))


def _pick_move(landing: Path) -> Move:
    """The manager with the most assess assignments open on the move date, to the first
    sub-branch team under another branch team than the manager's own."""
    day = f"{MOVE_DATE:%Y%m%d}"
    parent = {t["team_id"]: t["parent_team_id"] for t in _csv_rows(landing / f"CRM_TEAM_{day}.csv")}
    managers = {m["manager_id"]: m for m in _csv_rows(landing / f"CRM_MANAGER_{day}.csv")}
    books: dict[str, int] = {}
    for a in _csv_rows(landing / f"CRM_ASSIGN_{day}.csv"):
        if (
            a["purpose"] == "assess"
            and not a["valid_to"]
            and managers[a["manager_id"]]["status"] == "active"
        ):
            books[a["manager_id"]] = books.get(a["manager_id"], 0) + 1
    manager_id = max(sorted(books), key=books.__getitem__)
    old = managers[manager_id]["team_id"]
    leaves = sorted(t for t in parent if t not in parent.values())
    new = next(t for t in leaves if parent[t] != parent[old])

    def chain(team: str) -> set[str]:
        out = set()
        while team:
            out.add(team)
            team = parent[team]
        return out

    return Move(manager_id, old, new, frozenset(chain(old) ^ chain(new)))


def _move_manager(landing: Path, move: Move) -> int:
    """The manager's team_id set to the new team in every CRM_MANAGER file from the move date
    on, each edited batch's `.OK` written again (same version: a first delivery, with the
    md5 of the new bytes; counts and totals as they were). The number of files edited."""
    edited = 0
    for path in sorted(landing.glob("CRM_MANAGER_*.csv")):
        if _day(path) < MOVE_DATE:
            continue
        header, *lines = path.read_bytes().decode("utf-8").split("\n")[:-1]
        columns = header.split(",")
        for i, line in enumerate(lines):
            fields = next(csv.reader([line]))
            if fields[columns.index("manager_id")] == move.manager_id:
                fields[columns.index("team_id")] = move.new_team
                out = io.StringIO()
                csv.writer(out, lineterminator="").writerow(fields)
                lines[i] = out.getvalue()
        path.write_bytes("".join(f"{line}\n" for line in [header, *lines]).encode("utf-8"))
        ok = landing / f"CRM_{_day(path):%Y%m%d}.OK"
        head, files = read_ok(ok)
        listed = [
            DataFile(name, (landing / name).read_bytes(), int(count), round(float(total) * 100))
            for name, count, total, _md5 in files
        ]
        ok.write_bytes(ok_text(head[1], head[2], int(head[3]), head[4], listed))
        edited += 1
    return edited


def _run(landing: Path, data: Path) -> None:
    result = run_pipeline(landing, data, dg.DagsterInstance.ephemeral())
    assert result.success and result.built is not None
    assert not check_errors(result.built), check_errors(result.built)


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("history_landing")
    generate(out, customers=CUSTOMERS, days=DAYS, start=START, seed=SEED, dirt="none")
    return out


@pytest.fixture(scope="module")
def move(landing) -> Move:
    return _pick_move(landing)


@pytest.fixture(scope="module")
def one_run(landing, tmp_path_factory) -> Path:
    """The bank as generated, built in one run: its work file."""
    data = tmp_path_factory.mktemp("history_one_run") / "data"
    _run(landing, data)
    return data / "warehouse" / "work.duckdb"


@pytest.fixture(scope="module")
def moved(landing, move, tmp_path_factory) -> Path:
    """The bank with the move, its batches arriving in two parts (before SPLIT_DATE, then
    the rest), each part run through the pipeline: its work file."""
    root = tmp_path_factory.mktemp("history_moved")
    edited = shutil.copytree(landing, root / "edited", ignore=shutil.ignore_patterns("_truth"))
    assert _move_manager(edited, move) == (START + dt.timedelta(days=DAYS - 1) - MOVE_DATE).days + 1
    arriving, data = root / "landing", root / "data"
    arriving.mkdir()
    dates = landing_dates(edited)
    split = dates.index(f"{SPLIT_DATE:%Y%m%d}")
    for part in (dates[:split], dates[split:]):
        for day in part:
            for path in edited.glob(f"*_{day}.*"):
                shutil.copy2(path, arriving / path.name)
        _run(arriving, data)
    return data / "warehouse" / "work.duckdb"


@pytest.fixture
def both(one_run, moved):
    """One connection to both work files: `a` (as generated), `b` (with the move)."""
    with duckdb.connect() as con:
        con.execute(f"attach '{one_run}' as a (read_only)")
        con.execute(f"attach '{moved}' as b (read_only)")
        yield con


def _differences(con, table: str, where: str = "true", columns: str = "*") -> int:
    one, two = (f"select {columns} from {db}.{table} where {where}" for db in ("a", "b"))
    return con.execute(
        f"select (select count(*) from ({one} except all {two}))"
        f" + (select count(*) from ({two} except all {one}))"
    ).fetchone()[0]


def test_july_kpi_rows_do_not_move(both):
    for mart in ("mart_manager_kpi", "mart_team_kpi"):
        assert (
            both.execute(f"select count(*) from b.marts.{mart} where period = '202607'").fetchone()[0]
            > 0
        )
        assert _differences(both, f"marts.{mart}", "period = '202607'") == 0, mart


def test_august_team_rows_differ_for_the_old_and_new_teams_and_their_ancestors(both, move):
    # rank_among_siblings left out: the old team's siblings may change places around it
    columns = "* exclude (rank_among_siblings)"
    one, two = (
        f"select {columns} from {db}.marts.mart_team_kpi where period = '202608'" for db in ("a", "b")
    )
    changed = {
        team
        for (team,) in both.execute(
            f"select team_id from ({one} except all {two}) "
            f"union select team_id from ({two} except all {one})"
        ).fetchall()
    }
    assert changed == move.changed_teams
    assert move.old_team in changed and move.new_team in changed  # the root is in neither


def test_the_manager_actuals_count_in_the_new_team_in_august(both, move):
    aum = both.execute(
        "select numerator from a.marts.mart_manager_kpi "
        "where manager_id = ? and period = '202608' and indicator = 'aum_adb'",
        [move.manager_id],
    ).fetchone()
    assert aum is not None and aum[0] > 0  # the manager holds credited accounts
    rows = both.execute(
        """
        with manager as (
            select indicator, coalesce(numerator, 0) as numerator,
                   coalesce(denominator, 0) as denominator
            from a.marts.mart_manager_kpi
            where manager_id = $manager and period = '202608' and indicator <> 'total'
            union all
            select 'team_customer_contribution', numerator, 0
            from a.intermediate.int_manager_kpi_actuals_monthly
            where manager_id = $manager and period = '202608' and indicator = 'customer_contribution'
        ),
        moved as (
            select b.team_id, b.indicator,
                   coalesce(b.numerator, 0) - coalesce(a.numerator, 0) as numerator,
                   coalesce(b.denominator, 0) - coalesce(a.denominator, 0) as denominator,
                   b.manager_count - a.manager_count as managers
            from b.marts.mart_team_kpi as b
            join a.marts.mart_team_kpi as a using (team_id, period, indicator)
            where b.period = '202608' and b.indicator <> 'total' and b.team_id in ($old, $new)
        )
        select moved.team_id, moved.indicator, moved.numerator, moved.denominator, moved.managers,
               manager.numerator, manager.denominator
        from moved join manager using (indicator)
        """,
        {"manager": move.manager_id, "old": move.old_team, "new": move.new_team},
    ).fetchall()
    assert {(r[0], r[1]) for r in rows} >= {(move.new_team, "aum_adb"), (move.old_team, "aum_adb")}
    for team, indicator, numerator, denominator, managers, own_numerator, own_denominator in rows:
        sign = 1 if team == move.new_team else -1
        assert (numerator, denominator, managers) == (
            sign * own_numerator,
            sign * own_denominator,
            sign,
        ), (team, indicator)


def test_the_manager_row_carries_the_team_of_its_month(both, move):
    teams = dict(
        both.execute(
            "select 'a' || period, team_id from a.marts.mart_manager_kpi where manager_id = $m "
            "and indicator = 'total' union all "
            "select 'b' || period, team_id from b.marts.mart_manager_kpi where manager_id = $m "
            "and indicator = 'total'",
            {"m": move.manager_id},
        ).fetchall()
    )
    assert teams == {
        "a202607": move.old_team,
        "b202607": move.old_team,
        "a202608": move.old_team,
        "b202608": move.new_team,
    }
    # nothing else of any manager's August rows moved (ranks in team follow the teams)
    columns = "* exclude (team_id, rank_in_team)"
    assert _differences(both, "marts.mart_manager_kpi", "period = '202608'", columns) == 0


def test_a_window_run_gives_the_histories_of_one_run(both, move):
    for table in (
        "core.dim_team_history",
        "intermediate.int_assignment_history",
        "intermediate.int_assignment_shares",
        "core.fct_credit_share",
    ):
        assert both.execute(f"select count(*) from b.{table}").fetchone()[0] > 0, table
        assert _differences(both, table) == 0, table
    others = f"manager_id <> '{move.manager_id}'"
    assert _differences(both, "core.dim_manager_history", others) == 0
    versions = both.execute(
        "select db, team_id, valid_from, valid_to, first_delivered_date from ("
        " select 'a' as db, * from a.core.dim_manager_history union all"
        " select 'b' as db, * from b.core.dim_manager_history"
        ") where manager_id = ? order by db, valid_from",
        [move.manager_id],
    ).fetchall()
    old, far, first = dt.date(1900, 1, 1), dt.date(9999, 12, 31), START
    assert versions == [
        ("a", move.old_team, old, far, first),
        ("b", move.old_team, old, MOVE_DATE, first),
        ("b", move.new_team, MOVE_DATE, far, MOVE_DATE),
    ]


def test_today_dimensions_are_the_current_versions(both, move):
    assert both.execute(
        "select team_id from b.core.dim_manager where manager_id = ?", [move.manager_id]
    ).fetchone() == (move.new_team,)
    for table in ("core.dim_team", "core.bridge_team_ancestors"):
        assert _differences(both, table) == 0, table
    assert _differences(both, "core.dim_manager", f"manager_id <> '{move.manager_id}'") == 0
