"""The generator writes exactly the extract contract (contract/extracts.py, described in
docs/extracts.md): every batch's `.OK` file lists its data files with their record counts,
amount totals and md5; file names, encodings, delimiters and columns are the contract's."""

from __future__ import annotations

import datetime as dt
import filecmp
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from helpers import START, entity_of, md5, read_ok, records

from contract import idcodes
from contract.extracts import (
    LEGACY,
    LEGACY_SYSTEMS,
    OWN_BANK_CODE,
    SYSTEMS,
    batch_entities,
    ok_file_name,
)
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


# --- the simulated bank behaves as the marts' rules expect (issue 18) ---------------------
# one small bank over three months: June and July finished, August whole, September begun


BANK_START = dt.date(2026, 6, 1)


@pytest.fixture(scope="module")
def bank(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bank")
    generate(out, 2000, 95, BANK_START, 4, "none")
    return out


def _frame(landing: Path, sys: str, entity: str) -> pl.DataFrame:
    names = [c for c, _ in entity_of(f"{sys}_{entity}_20260601.dat").columns]
    rows = [r for p in sorted(landing.glob(f"{sys}_{entity}_*.dat")) for r in records(p)]
    return pl.DataFrame(rows, schema=names, orient="row")


def _accounts(landing: Path, sys: str) -> pl.DataFrame:
    """Every ACCT row with the business date of its file, in date order."""
    rows = []
    for p in sorted(landing.glob(f"{sys}_ACCT_*.dat")):
        rows += [[*r, p.stem.rsplit("_", 1)[1]] for r in records(p)]
    names = [c for c, _ in entity_of(f"{sys}_ACCT_20260601.dat").columns] + ["file_date"]
    return pl.DataFrame(rows, schema=names, orient="row").with_columns(
        pl.col("file_date", "open_date").str.to_date("%Y%m%d"), pl.col("balance").cast(pl.Float64)
    )


def _day(value: str) -> dt.date:
    return dt.datetime.strptime(value, "%Y%m%d").date()


def test_card_statements_are_mostly_paid_in_full_by_their_due_date(bank):
    """A statement is cut on the bill day with the day's balance, due 20 days later; most card
    holders pay it in full by then (transactors), some pay a part (revolvers). Payments are
    credits (1402) made after a statement and on or before its due date; cash advances (1302)
    are a few percent of card spending."""
    acct = _accounts(bank, "CCS")
    last = acct["file_date"].max()
    daily = (
        acct.select("acct_no", "file_date", "balance", pl.col("bill_day").cast(pl.Int64))
        .sort("acct_no", "file_date")
        .upsample("file_date", every="1d", group_by="acct_no")
        .with_columns(pl.all().forward_fill().over("acct_no"))
    )
    statements = daily.filter(
        (pl.col("file_date").dt.day() == pl.col("bill_day")) & (pl.col("balance") > 0)
    ).select("acct_no", cut=pl.col("file_date"), owed=pl.col("balance"))
    statements = statements.with_columns(due=pl.col("cut") + pl.duration(days=20)).filter(
        pl.col("due") <= last
    )
    txn = _frame(bank, "CCS", "TXN").with_columns(
        pl.col("txn_date").str.to_date("%Y%m%d"), pl.col("amount").cast(pl.Float64)
    )
    paid = (
        statements.join(
            txn.filter((pl.col("dr_cr") == "C") & (pl.col("txn_code") != "9001")), on="acct_no"
        )
        .filter((pl.col("txn_date") > pl.col("cut")) & (pl.col("txn_date") <= pl.col("due")))
        .group_by("acct_no", "cut")
        .agg(paid=pl.col("amount").sum())
    )
    statements = statements.join(paid, on=["acct_no", "cut"], how="left").with_columns(
        full=pl.col("paid").fill_null(0) >= pl.col("owed")
    )
    assert statements.height > 500
    assert 0.65 <= statements["full"].mean() <= 0.9, statements["full"].mean()
    # every repayment is made within a statement's grace period (never a day late)
    payments = txn.filter(pl.col("txn_code") == "1402")
    assert set(payments["dr_cr"]) == {"C"}
    cuts = statements.select("acct_no", "cut", "due").sort("cut")
    placed = payments.sort("txn_date").join_asof(
        cuts,
        left_on="txn_date",
        right_on="cut",
        by="acct_no",
        strategy="backward",
        check_sortedness=False,
    )
    placed = placed.filter(pl.col("txn_date") <= last - dt.timedelta(days=20))
    assert placed.filter(pl.col("cut").is_null() | (pl.col("txn_date") > pl.col("due"))).height == 0
    spend = txn.filter(pl.col("txn_code").is_in(["1301", "1302"]))
    cash = spend.filter(pl.col("txn_code") == "1302")["amount"].sum() / spend["amount"].sum()
    assert 0.01 <= cash <= 0.08, cash


def test_loans_migrate_both_ways_cross_overdue_thresholds_and_close(bank):
    """Five-level classes move down and up (month-end reviews), overdue days cross 30 and 90
    for some loans, loans are repaid and close, new loans are drawn; the non-performing share
    of the book stays a few percent."""
    rows = pl.concat(
        [
            _accounts(bank, s).select(
                "acct_no",
                "file_date",
                "balance",
                "close_date",
                "five_class",
                pl.col("overdue_days").cast(pl.Int64),
            )
            for s in ("PLN", "CRD")
        ]
    ).sort("acct_no", "file_date")
    rows = rows.with_columns(
        was=pl.col("five_class").shift(1).over("acct_no"),
        od_was=pl.col("overdue_days").shift(1).over("acct_no"),
    )
    moved = rows.filter(pl.col("was").is_not_null() & (pl.col("was") != pl.col("five_class")))
    assert moved.filter(pl.col("five_class") > pl.col("was")).height > 0
    assert moved.filter(pl.col("five_class") < pl.col("was")).height > 0
    # reviews at month end only
    assert set(moved["file_date"].dt.day()) <= {30, 31}
    for threshold in (30, 90):
        crossed = rows.filter((pl.col("od_was") < threshold) & (pl.col("overdue_days") >= threshold))
        assert crossed.height > 0, threshold
    assert rows.filter(pl.col("close_date") != "").height > 10
    first = rows.filter(pl.col("file_date") == BANK_START)
    npl = first.filter(pl.col("five_class").is_in(["3", "4", "5"]))["balance"].sum()
    assert 0.01 <= npl / first["balance"].sum() <= 0.04
    drawn = _frame(bank, "PLN", "TXN").filter(pl.col("txn_code") == "1401")
    assert drawn.height > 0


def test_time_deposits_mature_and_some_are_paid_out(bank):
    acct = _accounts(bank, "SAV").filter(pl.col("term_months").cast(pl.Int64) > 0)
    closed = acct.filter(pl.col("close_date") != "")
    assert closed.height > 0
    txn = _frame(bank, "SAV", "TXN")
    payouts = txn.filter(pl.col("acct_no").is_in(closed["acct_no"].implode()) & (pl.col("dr_cr") == "D"))
    assert set(payouts["txn_code"]) == {"1101"}
    assert (payouts["balance_after"].cast(pl.Float64) == 0).all()


def test_companies_trade_both_ways_with_other_banks_and_few_drain_their_accounts(bank):
    """Corporate current accounts send and receive transfers with other banks; over 30 days
    the net outflow is small against the company's deposits for most, large for a few."""
    txn = _frame(bank, "ACC", "TXN").filter(
        (pl.col("txn_code") == "1102") & (pl.col("cp_bank_code") != OWN_BANK_CODE)
    )
    acct = _accounts(bank, "ACC")
    txn = txn.join(acct.select("acct_no", "cust_no").unique(), on="acct_no").with_columns(
        pl.col("txn_date").str.to_date("%Y%m%d"), pl.col("amount").cast(pl.Float64)
    )
    window = txn.filter(
        pl.col("txn_date") >= dt.date(2026, 8, 1), pl.col("txn_date") <= dt.date(2026, 8, 30)
    )
    flows = window.group_by("cust_no").agg(
        out=pl.col("amount").filter(pl.col("dr_cr") == "D").sum(),
        inflow=pl.col("amount").filter(pl.col("dr_cr") == "C").sum(),
    )
    companies = acct["cust_no"].n_unique()
    both = flows.filter((pl.col("out") > 0) & (pl.col("inflow") > 0)).height
    assert both >= 0.8 * companies
    held = (
        acct.filter(pl.col("file_date") <= dt.date(2026, 8, 1))
        .sort("file_date")
        .group_by("acct_no")
        .last()
        .group_by("cust_no")
        .agg(deposits=pl.col("balance").sum())
    )
    drained = flows.join(held, on="cust_no").filter(
        (pl.col("out") - pl.col("inflow") >= 0.5 * pl.col("deposits"))
        & (pl.col("out") - pl.col("inflow") >= 200_000)
    )
    assert drained.height <= 0.1 * companies


def test_a_manager_moves_team_and_another_hands_large_customers_over(bank):
    """On the 1st of a month one manager's team_id changes in CRM_MANAGER; on the 2nd of a month
    one manager's assess assignments of the largest customers pass to a colleague."""
    teams: dict[str, set[tuple[str, str]]] = {}
    for p in sorted(bank.glob("CRM_MANAGER_*.csv")):
        for r in pl.read_csv(p, infer_schema=False).iter_rows(named=True):
            teams.setdefault(r["manager_id"], set()).add((r["team_id"], p.stem[-8:]))
    movers = {m: sorted(v, key=lambda t: t[1]) for m, v in teams.items() if len({t for t, _ in v}) > 1}
    assert len(movers) == 1
    (history,) = movers.values()
    changed = [d for (t, d), (t0, _) in zip(history[1:], history) if t != t0]
    assert len(changed) == 1 and changed[0].endswith("01")
    last = max(bank.glob("CRM_ASSIGN_*.csv"))
    asg = pl.read_csv(last, infer_schema=False).filter(pl.col("purpose") == "assess")
    ended = asg.filter(pl.col("valid_to").is_not_null() & pl.col("valid_to").str.ends_with("02"))
    handed = ended.group_by("manager_id", "valid_to").agg(n=pl.len()).sort("n", descending=True)
    giver, day = handed.row(0)[:2]
    taken = asg.filter(
        (pl.col("valid_from") == day)
        & pl.col("acct_no").is_in(ended.filter(pl.col("manager_id") == giver)["acct_no"].implode())
    )
    assert taken.height == handed.row(0)[2]
    assert set(taken["manager_id"]) - {giver}
    assert giver not in movers
