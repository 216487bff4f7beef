"""Organisation and CRM dimensions, code mappings and credit shares, built by the real
Dagster jobs and checked against the raw files and the generator's truth."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from pathlib import Path

import duckdb
import polars as pl
import pytest
from helpers import START

OPEN_END = dt.date(9999, 12, 31)
MY_MODELS = {
    "dim_org",
    "int_org_mappings",
    "int_org_code_changes",
    "dim_team_history",
    "dim_team",
    "bridge_team_ancestors",
    "dim_manager_history",
    "dim_manager",
    "int_assignment_history",
    "int_assignment_shares",
    "fct_credit_share",
    "exc_credit_share_overflows",
}


def _query(data: Path, sql: str, params=None) -> pl.DataFrame:
    with duckdb.connect(str(data / "warehouse" / "work.duckdb"), read_only=True) as con:
        return pl.from_arrow(con.sql(sql, params=params).to_arrow_table())


def _built(warehouses, landing: str) -> tuple[Path, Path]:
    """A shared core build; the CRM models were built and none of their checks failed."""
    built = warehouses(landing, "core")
    built_models = {e.asset_key.path[-1] for e in built.built.get_asset_materialization_events()}
    assert MY_MODELS <= built_models
    failed = [
        c.check_name
        for c in built.built.get_asset_check_evaluations()
        if not c.passed and c.asset_key.path[-1] in MY_MODELS
    ]
    assert not failed
    return built.landing, built.data


@pytest.fixture(scope="module")
def dirty_build(warehouses) -> tuple[Path, Path]:
    return _built(warehouses, "dirty_landing")


@pytest.fixture(scope="module")
def merge_build(warehouses) -> tuple[Path, Path]:
    """A small bank whose history runs past the outlet merge (day 20 of the generator)."""
    return _built(warehouses, "merge_landing")


def _latest(data: Path, model: str) -> dt.date:
    return _query(data, f"select max(biz_date) d from staging.{model}")["d"][0]


def _raw_assess(landing: Path, snapshot: dt.date) -> pl.DataFrame:
    """The assess rows of the CRM_ASSIGN file the warehouse took as current, read as text."""
    path = landing / f"CRM_ASSIGN_{snapshot:%Y%m%d}.csv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["purpose"] == "assess"]
    day = pl.col("valid_from").str.to_date("%Y%m%d")
    return pl.DataFrame(rows).select(
        account_key=pl.concat_str("sys", pl.lit(":"), "acct_no"),
        share=pl.col("share_pct").cast(pl.Float64),
        valid_from=day,
        valid_to=pl.when(pl.col("valid_to") == "")
        .then(pl.lit(OPEN_END))
        .otherwise(pl.col("valid_to").str.to_date("%Y%m%d")),
    )


def _per_day(intervals: pl.DataFrame, days: list[dt.date], value: str) -> pl.DataFrame:
    """Σ value per account on each day, from half-open [valid_from, valid_to) rows."""
    frame = pl.DataFrame({"day": days})
    return (
        intervals.join(frame, how="cross")
        .filter((pl.col("valid_from") <= pl.col("day")) & (pl.col("day") < pl.col("valid_to")))
        .group_by("account_key", "day")
        .agg(pl.col(value).sum())
    )


def test_every_share_over_100_account_is_reported(dirty_build):
    landing, data = dirty_build
    snapshot = _latest(data, "stg_crm__assigns")
    with (landing / "_truth" / "faults.csv").open(encoding="utf-8") as f:
        faults = [r for r in csv.DictReader(f) if r["kind"] == "share_over_100"]
    # the overlap starts on the generator's day N; visible once the snapshot reaches it
    starts = {
        r["key"]: START + dt.timedelta(days=int(re.search(r"from day (\d+)", r["detail"])[1]))
        for r in faults
    }
    expected = {acct: day for acct, day in starts.items() if day <= snapshot}
    assert expected, "the fixture should show some overlapping shares"
    got = _query(
        data,
        "select c.acct_no, min(o.valid_from) first_day, min(o.total_share_pct_raw) t "
        "from core.exc_credit_share_overflows o join core.fct_credit_share c "
        "using (account_key, valid_from) group by c.acct_no",
    )
    assert dict(zip(got["acct_no"], got["first_day"])) == expected
    assert (got["t"] > 100).all()


def test_scaled_shares_never_exceed_100_and_keep_totals_within_it(dirty_build):
    landing, data = dirty_build
    snapshot = _latest(data, "stg_crm__assigns")
    days = [START + dt.timedelta(days=i) for i in range((snapshot - START).days + 1)]
    raw = _per_day(_raw_assess(landing, snapshot), days, "share").rename({"share": "raw"})
    credit = _query(
        data,
        "select account_key, valid_from, valid_to, "
        "cast(share_pct as double) share_pct from core.fct_credit_share",
    )
    scaled = _per_day(credit, days, "share_pct").rename({"share_pct": "scaled"})
    both = raw.join(scaled, on=["account_key", "day"], how="full", coalesce=True)
    assert both.height > 1000
    assert both.null_count().sum_horizontal()[0] == 0  # the same account-days on both sides
    assert both.filter(pl.col("scaled") > 100 + 0.01).height == 0
    assert (
        both.filter((pl.col("raw") <= 100) & ((pl.col("scaled") - pl.col("raw")).abs() > 0.01)).height
        == 0
    )
    over = both.filter(pl.col("raw") > 100)
    assert over.height > 0 and ((over["scaled"] - 100).abs() <= 0.01).all()


def _merge_truth(landing: Path) -> dict:
    return json.loads((landing / "_truth" / "manifest.json").read_text())["org_merge"]


def _code_maps(data: Path, merge: dict, day: dt.date) -> pl.DataFrame:
    """The org of each code of the merged outlet on `day`, mapped as dim_account will."""
    return _query(
        data,
        "select m.sys, m.org_code, m.org_id from intermediate.int_org_mappings m "
        "where m.valid_from <= ? and ? < m.valid_to and (m.sys, m.org_code) in "
        "(select sys, org_code from intermediate.int_org_mappings where org_id = ?)",
        [day, day, merge["org_id"]],
    )


def test_merged_outlet_codes_move_on_the_merge_date(merge_build):
    landing, data = merge_build
    merge = _merge_truth(landing)
    date = dt.date.fromisoformat(merge["date"])
    assert date <= _latest(data, "stg_pub__orgmaps")
    before, after = _code_maps(data, merge, date - dt.timedelta(days=1)), _code_maps(data, merge, date)
    assert before.height > 0 and set(before["org_id"]) == {merge["org_id"]}
    assert after.height == before.height and set(after["org_id"]) == {merge["into_org_id"]}
    changes = _query(data, "select * from intermediate.int_org_code_changes")
    assert set(changes["change_date"]) == {date}
    assert set(changes["from_org_id"]) == {merge["org_id"]}
    assert set(changes["to_org_id"]) == {merge["into_org_id"]}
    assert changes.height == before.height


def test_codes_keep_their_outlet_before_the_merge_is_delivered(dirty_build):
    landing, data = dirty_build
    merge = _merge_truth(landing)
    assert dt.date.fromisoformat(merge["date"]) > _latest(data, "stg_pub__orgmaps")
    maps = _code_maps(data, merge, START)
    assert maps.height > 0 and set(maps["org_id"]) == {merge["org_id"]}
    assert _query(data, "select * from intermediate.int_org_code_changes").height == 0


def test_dimensions_cover_the_references(dirty_build):
    _, data = dirty_build
    orgs = _query(data, "select * from core.dim_org")
    leaves = orgs.filter(pl.col("org_level") == 5)
    assert leaves["is_leaf"].all()
    assert (leaves["org_path"].str.split("/").list.len() == 5).all()
    assert (
        _query(
            data,
            "select count(*) n from core.dim_manager m left join core.dim_team t "
            "using (team_id) where t.team_id is null",
        )["n"][0]
        == 0
    )
    roots = _query(data, "select team_id from core.dim_team where parent_team_id is null")
    n_teams = _query(data, "select count(*) n from core.dim_team")["n"][0]
    # every team reaches the root through the bridge
    reach = _query(
        data,
        "select count(distinct team_id) n from core.bridge_team_ancestors where ancestor_team_id = ?",
        [roots["team_id"][0]],
    )
    assert roots.height == 1 and reach["n"][0] == n_teams
