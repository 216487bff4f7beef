"""What an analyst would notice first: figures of a built warehouse a banker would reject.

`realism(work)` reads the work file of a finished run (the marts and the intermediate
contribution per account) and returns the checks of issue 18 with their figures, and the
counts a reviewer asks for (alerts per rule, revolving and transactor cards, loans that
migrated, account-months with a negative risk cost). The tests run it on generated
warehouses of two seeds; `crmwh realism` prints it for any warehouse.

The bounds are those of a bank's monthly management report, not of this generator: risk
cost (provision charge) is a fraction of net interest income, the mortgage book earns more
than it costs, most card holders pay in full, outflows to other banks are the exception.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb


@dataclass(frozen=True)
class Check:
    name: str
    scope: str  # the month or date the figure describes
    value: float | None
    lower: float | None
    upper: float | None

    @property
    def ok(self) -> bool:
        if self.value is None:
            return False
        return (self.lower is None or self.value >= self.lower) and (
            self.upper is None or self.value <= self.upper
        )

    def line(self) -> str:
        bound = (
            f"[{'' if self.lower is None else self.lower}, {'' if self.upper is None else self.upper}]"
        )
        value = "none" if self.value is None else f"{self.value:.4f}"
        return f"{'ok  ' if self.ok else 'FAIL'} {self.name:<32} {self.scope:<10} {value:>12}  {bound}"


@dataclass(frozen=True)
class Realism:
    checks: list[Check]
    counts: dict[str, int]

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    def report(self) -> str:
        lines = [c.line() for c in self.checks]
        lines += [f"     {k:<45} {v:>10}" for k, v in self.counts.items()]
        return "\n".join(lines)


# checks of one month's loan book: a bank of a few hundred customers holds a few dozen loans,
# and one downgrade moves a month by 10-20% of its NII (DECISIONS: generator realism)
BOOK_SIZE_CHECKS = frozenset({"risk_cost_share_of_nii", "mortgage_book_contribution"})
# bank-wide risk cost / net interest income of a finished month
RISK_COST_SHARE = (0.05, 0.60)
# share of card holders whose card revolves on the latest date
REVOLVER_SHARE_MAX = 0.5
# share of corporate parties firing OUTFLOW_OTHER_BANK in a month
CORPORATE_OUTFLOW_MAX = 0.10


def realism(work: Path) -> Realism:
    with duckdb.connect(str(work), read_only=True) as con:
        return Realism(_checks(con), _counts(con))


def _checks(con: duckdb.DuckDBPyConnection) -> list[Check]:
    checks: list[Check] = []
    finished = [
        r[0]
        for r in con.execute(
            "select period from intermediate.int_periods where is_finished order by period"
        ).fetchall()
    ]
    for period in finished:
        nii, risk = con.execute(
            "select sum(nii), sum(risk_cost) from marts.mart_customer_contribution where period = ?",
            [period],
        ).fetchone()
        share = float(risk) / float(nii) if nii else None
        checks.append(Check("risk_cost_share_of_nii", period, share, *RISK_COST_SHARE))
        (mortgages,) = con.execute(
            """select sum(contribution) from intermediate.int_account_contributions_monthly
               where period = ? and product_code = 'PLN-MTG'""",
            [period],
        ).fetchone()
        checks.append(
            Check(
                "mortgage_book_contribution",
                period,
                None if mortgages is None else float(mortgages),
                0.0,
                None,
            )
        )
        corporates, firing = con.execute(
            """with corporates as (
                   select distinct party_id from marts.mart_customer_contribution
                   where period = ? and segment = 'corporate')
               select (select count(*) from corporates),
                      count(distinct a.entity_id)
               from marts.mart_alerts a
               join corporates c on c.party_id = a.entity_id
               where a.rule_id = 'OUTFLOW_OTHER_BANK' and not a.is_baseline
                 and strftime(a.as_of_date, '%Y%m') = ?""",
            [period, period],
        ).fetchone()
        checks.append(
            Check(
                "corporate_outflow_share",
                period,
                firing / corporates if corporates else None,
                0.0,
                CORPORATE_OUTFLOW_MAX,
            )
        )
    latest, holders, revolvers = _card_holders(con)
    checks.append(
        Check(
            "card_revolver_share",
            str(latest),
            revolvers / holders if holders else None,
            0.0,
            REVOLVER_SHARE_MAX,
        )
    )
    first, dormant = con.execute(
        """select min(as_of_date),
                  count(*) filter (where rule_id = 'DORMANT' and not is_baseline
                                   and as_of_date = (select min(as_of_date) from marts.mart_alerts))
           from marts.mart_alerts"""
    ).fetchone()
    checks.append(Check("dormant_firings_first_date", str(first), float(dormant), 0.0, 0.0))
    return checks


def _card_holders(con: duckdb.DuckDBPyConnection) -> tuple:
    """(the 360 view's as-of date, parties holding a card, of them tagged card_revolver)."""
    return con.execute(
        """select max(as_of_date),
                  count(*) filter (where product_categories like '%card%'),
                  count(*) filter (where product_categories like '%card%' and is_card_revolver)
           from marts.mart_customer_360"""
    ).fetchone()


def _counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    counts: dict[str, int] = {}
    for rule, baseline, n in con.execute(
        """select rule_id, is_baseline, count(*) from marts.mart_alerts
           group by all order by rule_id, is_baseline"""
    ).fetchall():
        counts[f"alerts {rule}{' (baseline)' if baseline else ''}"] = n
    _, holders, revolvers = _card_holders(con)
    counts["card holders revolving (latest date)"] = revolvers
    counts["card holders transacting (latest date)"] = holders - revolvers
    down, up = con.execute(
        """with moves as (
               select account_key,
                      cast(five_class as integer) - lag(cast(five_class as integer))
                          over (partition by account_key order by valid_from) as step
               from core.dim_account_history where five_class is not null)
           select count(distinct account_key) filter (where step > 0),
                  count(distinct account_key) filter (where step < 0)
           from moves"""
    ).fetchone()
    counts["loans downgraded"] = down
    counts["loans upgraded"] = up
    (negative,) = con.execute(
        """select count(*) from intermediate.int_account_contributions_monthly
           where risk_cost < 0"""
    ).fetchone()
    counts["account-months with negative risk cost"] = negative
    (months,) = con.execute(
        """select count(*) from (select period from marts.mart_customer_contribution
           group by period having sum(risk_cost) < 0)"""
    ).fetchone()
    counts["months with negative bank-wide risk cost"] = months
    paid, unpaid = con.execute(
        """select count(*) filter (where is_paid_in_full), count(*) filter (where not is_paid_in_full)
           from intermediate.int_card_statements
           where due_date < (select max(as_of_date) from intermediate.int_periods)"""
    ).fetchone()
    counts["card statements paid in full by the due date"] = paid
    counts["card statements not paid in full (revolved)"] = unpaid
    return counts
