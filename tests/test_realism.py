"""Issue 18's realism check on the demo scenario (seed 42; test_marts checks seed 3): the
figures an analyst notices first in a published month (marts/realism.py), and the command
that prints them."""

from __future__ import annotations

from crmwh.cli import main
from marts.realism import realism


def test_the_demo_figures_a_banker_checks_first_are_realistic(demo_data):
    result = realism(demo_data / "warehouse" / "work.duckdb")
    assert not result.failed, result.report()
    # every rule the demo is meant to show fires (the closing note of issue 18 counts them)
    fired = {k.split()[1] for k, v in result.counts.items() if k.startswith("alerts ") and v}
    assert {"LARGE_DEBIT", "VIP_WATCH", "FIVE_CLASS_DOWN", "LOAN_OVERDUE"} <= fired


def test_crmwh_realism_prints_the_checks_and_fails_on_a_missing_warehouse(demo_data, tmp_path, capsys):
    assert main(["realism", "--data", str(demo_data)]) == 0
    assert "risk_cost_share_of_nii" in capsys.readouterr().out
    assert main(["realism", "--data", str(tmp_path)]) == 2
