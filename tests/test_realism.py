"""Issue 18's realism check on the demo scenario (seed 42, 600 customers; test_marts checks
seed 3 in full): the figures an analyst notices first (marts/realism.py), and the command
that prints them. The per-month loan-book figures are left to larger banks: 600 customers
hold a few dozen loans, and one downgrade moves a month (the 5,000-customer demo and a
second seed pass them: issue 18's closing note)."""

from __future__ import annotations

from crmwh.cli import main
from marts.realism import BOOK_SIZE_CHECKS, realism


def test_the_demo_figures_a_banker_checks_first_are_realistic(demo_data):
    result = realism(demo_data / "warehouse" / "work.duckdb")
    assert not [c for c in result.failed if c.name not in BOOK_SIZE_CHECKS], result.report()
    # every rule the demo is meant to show fires (the closing note of issue 18 counts them)
    fired = {k.split()[1] for k, v in result.counts.items() if k.startswith("alerts ") and v}
    assert {"LARGE_DEBIT", "VIP_WATCH", "FIVE_CLASS_DOWN", "LOAN_OVERDUE", "KPI_DROP"} <= fired
    assert result.counts["card statements paid in full by the due date"] > 0
    assert result.counts["card statements not paid in full (revolved)"] > 0


def test_crmwh_realism_prints_the_checks_and_fails_on_a_missing_warehouse(demo_data, tmp_path, capsys):
    failed = realism(demo_data / "warehouse" / "work.duckdb").failed
    assert main(["realism", "--data", str(demo_data)]) == (1 if failed else 0)
    out = capsys.readouterr().out
    assert "risk_cost_share_of_nii" in out and "card_revolver_share" in out
    assert main(["realism", "--data", str(tmp_path)]) == 2
