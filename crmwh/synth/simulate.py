"""Day-by-day simulation of balances and postings.

Each day draws its random events from a generator seeded by (seed, day), applies them
to the account state in time order, and returns the day's postings with
`balance_after`, plus which accounts and customer records changed (for DELTA files).

The bank behaves as the marts' rules expect of a real one (issue 18): card statements are
cut on the bill day and paid by their due date (most in full, revolvers a part); loans miss
and pay instalments, overdue days run, classes move both ways at month-end reviews, loans
are repaid, drawn and closed; companies trade both ways with other banks, and a few make a
large payment out; time deposits mature and some are paid out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

from crmwh.synth.dirt import REVERSAL_RATE
from crmwh.synth.world import World, rng_for

REMARKS = {
    "1001": "现金存入",
    "1002": "ATM取款",
    "1101": "转账",
    "1102": "跨行汇款",
    "1201": "代发工资",
    "1301": "消费",
    "1302": "信用卡取现",
    "1401": "贷款发放",
    "1402": "贷款还款",
    "1501": "理财申购",
    "1502": "理财赎回",
    "1601": "公积金缴存",
    "1602": "公积金提取",
    "2001": "结息",
    "2101": "短信服务费",
    "2102": "年费",
    "9001": "冲正",
}
CHANNEL = {
    "1001": "01",
    "1002": "02",
    "1101": "04",
    "1102": "03",
    "1201": "06",
    "1301": "05",
    "1302": "02",
    "1401": "01",
    "1402": "06",
    "1501": "04",
    "1502": "04",
    "1601": "06",
    "1602": "01",
    "2001": "07",
    "2101": "07",
    "2102": "07",
    "9001": "07",
}
CUSTOMER_CODES = {"1001", "1002", "1101", "1102", "1301", "1302", "1402", "1501", "1502", "1602"}
INTEREST_MONTHS = (3, 6, 9, 12)  # deposit interest is posted on the 21st of these months
# loans, per monthly payment day: chance that a current loan misses its instalment (by
# product), that an overdue one pays its arrears (overdue up to 30, 90, 270 days, longer),
# that a non-performing one is settled in full, that a current personal loan is repaid early
MISS = {"PLN-MTG": 0.002, "PLN-CON": 0.022, "PLN-BIZ": 0.018, "PLN-CAR": 0.012}
MISS_CORPORATE = 0.015
LARGE_BORROWER = 50_000_000  # cents: above it, the chance of a miss shrinks as (it / balance)²
CURE = (0.5, 0.2, 0.06, 0.02)
NPL_SETTLE = 0.003
PREPAY = 0.004
# monthly review: chance that a current loan moves up one class (from special mention; from
# a non-performing class), that a current normal loan is put on the watch list, and that a
# corporate special-mention loan is downgraded to substandard on its borrower's accounts
UPGRADE = (0.3, 0.05)
WATCHLIST = 0.002
DOWNGRADE_SM = 0.06
# cards: statement due this many calendar days after the bill day (the warehouse's default
# grace_days); share of card spending drawn in cash; per statement, the chance that a
# transactor misses paying in full, and that a revolver pays off the whole balance
CARD_GRACE_DAYS = 20
CASH_ADVANCE_SHARE = 0.03
TRANSACTOR_MISS = 0.03
REVOLVER_PAYOFF = 0.06
# corporate current accounts: daily decay of the remembered net flow with other banks, and
# the daily chance of a large payment to another bank (a few companies a month)
OTHER_BANK_DECAY = np.exp(-1 / 15)
BIG_PAYMENT = 0.001
CONTACT_EVERY = ((6_000_000, 25), (3_000_000, 50), (500_000, 80), (100_000, 160), (0, 400))
# CRM fee supplements (intermediary income): chance per party and day, and lognormal (mu,
# sigma) of the amount in CNY, corporate and personal. Frequent mid-size deals rather than a
# rare jackpot, so a manager's month to date tracks the month (the KPI's time progress)
FEE_CHANCE = {"corporate": 0.05, "personal": 0.001}
FEE_AMOUNT = {"corporate": (8.0, 0.6), "personal": (6.5, 1.0)}


def expected_monthly_fee(corporate: np.ndarray) -> np.ndarray:
    """Mean CRM fee supplements of a party over 30 days, in CNY (the targets' basis)."""

    def mean(kind: str) -> float:
        mu, sigma = FEE_AMOUNT[kind]
        return 30 * FEE_CHANCE[kind] * float(np.exp(mu + sigma**2 / 2))

    return np.where(corporate, mean("corporate"), mean("personal"))


@dataclass
class Day:
    day: int
    date: dt.date
    txns: pl.DataFrame  # one row per posting, sorted as the source writes them
    changed_accounts: np.ndarray  # account indices for the DELTA ACCT file
    changed_records: np.ndarray  # record indices for the DELTA CUST file
    contacts: pl.DataFrame
    fees: pl.DataFrame
    fx: dict[str, int]  # rate_to_cny in 1/10000


class Simulator:
    def __init__(self, world: World, start: dt.date, late_reversal_rate: float):
        self.w = world
        self.late_reversal_rate = late_reversal_rate
        self.start = start
        a = world.accounts
        self.balance = a["balance"].copy()
        self.shares = np.where(a["open_day"] < 0, a["shares"], 0)
        self.nav4 = a["nav4"].copy()
        self.status = a["status"].copy()
        self.close_day = a["close_day"].copy()
        self.maturity = a["maturity_day"].copy()
        self.five = a["five_class"].copy()
        self.overdue = a["overdue_days"].copy()
        self.target = a["target"].copy()
        # cards: the payment due for the latest statement (day it is made, amount), and
        # whether the card holder revolves (pays a part) or pays in full
        self.revolver = a["revolver"].copy()
        self.card_pay_day = np.full(len(self.balance), -1, dtype=np.int64)
        self.card_pay = np.zeros(len(self.balance), dtype=np.int64)
        # corporate current accounts: net outflow to other banks, decaying (cents)
        self.other_bank_net = np.zeros(len(self.balance))
        self.mobile = world.records["mobile"].to_numpy().astype(object)
        self.update_day = world.records["update_day"].to_numpy().copy()
        self.fx = {"CNY": 10_000, "USD": 71_500, "HKD": 9_150, "EUR": 77_500}
        self.pending_reversals: list[pl.DataFrame] = []
        self.pending_fee_fixes: dict[int, list[tuple]] = {}
        self.fee_seq = 0
        self.open_mask = a["open_day"] < 0
        n_rec = world.records.height
        self.rec_party = world.records["party_idx"].to_numpy()
        # each party's main record (savings for persons, accounting for companies)
        recs = world.records.with_row_index("rec").with_columns(
            pri=pl.col("sys").replace_strict({"SAV": 0, "ACC": 0}, default=1)
        )
        main = recs.sort("pri", "rec").group_by("party_idx", maintain_order=True).first()
        self.main_record = np.full(world.parties.height, -1)
        self.main_record[main["party_idx"].to_numpy()] = main["rec"].to_numpy()
        assess = world.assignments.filter(pl.col("purpose") == "assess").sort("assign_id")
        first = assess.with_columns(party=pl.Series(a["party_idx"][assess["acct_idx"].to_numpy()]))
        first = first.group_by("party", maintain_order=True).first()
        self.party_manager = np.full(world.parties.height, -1)
        self.party_manager[first["party"].to_numpy()] = first["manager_idx"].to_numpy()
        self.n_records = n_rec
        companies = world.parties.filter(pl.col("kind") == "corporate")
        self.employers = companies["name"].to_numpy()

    # --- helpers --------------------------------------------------------------------
    def date_of(self, day: int) -> dt.date:
        return self.start + dt.timedelta(days=day)

    def step(self, day: int) -> Day:
        w, a = self.w, self.w.accounts
        rng = rng_for(w.seed, day + 1_000, 7)
        date = self.date_of(day)
        prev_bal = self.balance.copy()
        prev_five = self.five.copy()
        prev_overdue = self.overdue.copy()
        prev_maturity = self.maturity.copy()
        blocks: list[dict] = []

        opening = np.flatnonzero(a["open_day"] == day)
        self.open_mask[opening] = True
        live = self.open_mask & (self.close_day > day)
        active = live & (self.status == "0")
        kind, product = a["kind"], a["product_code"]

        def add(acct, dr_cr, amount, code, cp=None, reversal_of=None):
            acct = np.asarray(acct, dtype=np.int64)
            amount = np.asarray(amount, dtype=np.int64)
            keep = amount > 0
            if keep.sum() == 0:
                return
            blocks.append(
                {
                    "acct": acct[keep],
                    "dr_cr": np.broadcast_to(dr_cr, acct.shape)[keep],
                    "amount": amount[keep],
                    "code": code,
                    "cp": cp,
                }
            )

        # opening postings bring each new account to its opening amount
        for k, code, drcr in [
            ("deposit", "1001", "C"),
            ("wealth", "1501", "C"),
            ("loan", "1401", "D"),
            ("agency", "1601", "C"),
        ]:
            sel = opening[kind[opening] == k]
            add(sel, drcr, a["initial"][sel], code)

        # everyday current-account activity, drawn back towards each account's target
        dd = np.flatnonzero(active & (a["activity"] > 0) & (kind == "deposit"))
        n_ev = np.minimum(rng.poisson(a["activity"][dd]), 3)
        acct = np.repeat(dd, n_ev)
        bal, tgt = self.balance[acct].astype(float), self.target[acct]
        route = rng.choice(3, len(acct), p=[0.2, 0.5, 0.3])
        p_credit = np.clip(0.5 + 0.4 * (tgt - bal) / np.maximum(tgt, 1), 0.15, 0.85)
        # a company pays suppliers at other banks and is paid by customers there: its net
        # flow with other banks is drawn back to zero, so over a month it stays small
        other = (route == 2) & (product[acct] == "ACC-DD")
        p_other = np.clip(
            0.5 + 0.4 * self.other_bank_net[acct] / np.maximum(0.1 * np.maximum(tgt, bal), 1), 0.1, 0.9
        )
        p_credit = np.where(other, p_other, p_credit)
        credit = (rng.random(len(acct)) < p_credit) | (bal < 10_000)
        size = np.maximum(tgt, 50_000) * rng.lognormal(-2.8, 0.9, len(acct))
        amount = np.where(credit, size, np.minimum(size, 0.3 * bal)).round(-2)
        self.other_bank_net *= OTHER_BANK_DECAY
        np.add.at(self.other_bank_net, acct[other], np.where(credit, -amount, amount)[other])
        for r, (c_code, d_code) in enumerate([("1001", "1002"), ("1101", "1101"), ("1102", "1102")]):
            add(acct[credit & (route == r)], "C", amount[credit & (route == r)], c_code)
            add(acct[~credit & (route == r)], "D", amount[~credit & (route == r)], d_code)

        # salaries on payday; drifting customers move their target up or down every day
        sal = np.flatnonzero(
            active & a["payroll"] & (a["payday"] == date.day) & (a["currency"] == "CNY")
        )
        add(
            sal,
            "C",
            (a["salary"][sal] * rng.uniform(0.9, 1.1, len(sal))).round(-2),
            "1201",
            cp="employer",
        )
        drift = a["drift"] != 0
        self.target[drift] *= np.exp(a["drift"][drift] * 0.009)
        gap = self.target - self.balance
        reb = np.flatnonzero(active & drift & (product == "SAV-DD") & (rng.random(len(gap)) < 0.3))
        up = gap[reb] > 0
        add(reb[up], "C", (gap[reb][up] * 0.3).round(-2), "1102")
        add(
            reb[~up],
            "D",
            np.minimum(-gap[reb][~up] * 0.3, self.balance[reb][~up] * 0.3).round(-2),
            "1101",
        )

        # churn: a large transfer to another bank, and the customer stays small afterwards
        churn = np.flatnonzero(active & (a["churn_day"] == day) & (product == "SAV-DD"))
        add(
            churn,
            "D",
            (self.balance[churn] * rng.uniform(0.7, 0.95, len(churn))).round(-2),
            "1102",
            cp="other_bank",
        )
        self.target[churn] *= 0.1
        # a company's large payment to another bank (a project, a purchase, money moved to a
        # lender): most of its basic account at once; its balance refills over the weeks after
        big = np.flatnonzero(
            active
            & (product == "ACC-DD")
            & (a["acct_kind"] == "1")
            & (rng.random(len(gap)) < BIG_PAYMENT)
        )
        big_amount = (self.balance[big] * rng.uniform(0.75, 0.95, len(big))).round(-2)
        add(big, "D", big_amount, "1102", cp="other_bank")

        # cards: purchases and cash advances within the limit; each statement (cut on the
        # bill day, below) is paid on a day drawn when it was cut, on or before its due date
        cards = np.flatnonzero(active & (kind == "card"))
        n_ev = np.minimum(rng.poisson(a["activity"][cards]), 3)
        acct = np.repeat(cards, n_ev)
        room = np.maximum(a["credit_limit"][acct] - self.balance[acct], 0) / 3
        spend = np.minimum(rng.lognormal(9.5, 1.1, len(acct)), room).round(-2)
        cash = rng.random(len(acct)) < CASH_ADVANCE_SHARE
        add(acct[~cash], "D", spend[~cash], "1301")
        add(acct[cash], "D", spend[cash], "1302")
        paying = cards[self.card_pay_day[cards] == day]
        add(paying, "C", np.minimum(self.card_pay[paying], self.balance[paying]), "1402")
        anniversary = cards[(a["open_day"][cards] - day) % 365 == 0]
        fee = np.select(
            [product[anniversary] == "CCS-PLT", product[anniversary] == "CCS-GLD"], [200_000, 30_000], 0
        )
        add(anniversary, "D", fee, "2102")

        # loans: an instalment of principal on each month's payment day. A current loan
        # misses it now and then (overdue days start counting); an overdue loan pays its
        # arrears now and then (cured); some current personal loans are repaid early, and
        # some non-performing loans are settled in full (collateral sold, restructured)
        loans = np.flatnonzero(active & (kind == "loan") & (a["open_day"] < day))
        due = loans[(a["open_day"][loans] % 28) + 1 == date.day]
        od = self.overdue[due]
        current = od <= 0
        u = rng.random((len(due), 2))
        p_miss = np.select([product[due] == k for k in MISS], list(MISS.values()), MISS_CORPORATE)
        p_miss *= np.minimum(1, LARGE_BORROWER / np.maximum(self.balance[due], 1)) ** 2
        miss = current & (u[:, 0] < p_miss)
        cure = ~current & (u[:, 0] < np.select([od <= 30, od <= 90, od <= 270], CURE[:3], CURE[3]))
        settle = ~current & ~cure & (self.five[due] >= "3") & (u[:, 1] < NPL_SETTLE)
        prepay = current & ~miss & (a["sys"][due] == "PLN") & (u[:, 1] < PREPAY)
        principal = np.maximum(a["loan_amount"][due] // np.maximum(a["term_months"][due], 1), 100)
        # a current non-performing loan is a restructured one: its principal is deferred
        deferred = current & (self.five[due] >= "3")
        instalments = np.where(cure, 1 + (od + 29) // 30, np.where(current & ~miss & ~deferred, 1, 0))
        pay = np.where(settle | prepay, self.balance[due], principal * instalments)
        add(due, "C", np.minimum(pay, self.balance[due]), "1402")
        self.overdue[due[cure]] = 0
        newly_overdue = due[miss]

        # wealth: occasional purchases and redemptions
        wms = np.flatnonzero(active & (kind == "wealth") & (a["open_day"] < day))
        ev = rng.random(len(wms))
        buy, sell = wms[ev < 0.006], wms[(ev >= 0.006) & (ev < 0.012)]
        add(buy, "C", (self.balance[buy] * rng.uniform(0.05, 0.3, len(buy))).round(-2), "1501")
        add(sell, "D", (self.balance[sell] * rng.uniform(0.1, 0.5, len(sell))).round(-2), "1502")

        # provident fund: contributions on the 15th, occasional withdrawals
        hpf = np.flatnonzero(active & (kind == "agency") & (a["open_day"] < day))
        if date.day == 15:
            add(hpf, "C", a["monthly_contribution"][hpf], "1601")
        out = hpf[rng.random(len(hpf)) < 0.0005]
        add(out, "D", (self.balance[out] * rng.uniform(0.1, 0.5, len(out))).round(-2), "1602")

        # interest: demand deposits quarterly on the 21st, provident fund on 30 June
        if date.day == 21 and date.month in INTEREST_MONTHS:
            dem = np.flatnonzero(live & np.isin(product, ["SAV-DD", "ACC-DD"]))
            add(dem, "C", (self.balance[dem] * a["rate"][dem] / 1e6 * 90 / 360).round(), "2001")
        if date.month == 6 and date.day == 30:
            add(hpf, "C", (self.balance[hpf] * a["rate"][hpf] / 1e6).round(), "2001")
        # time deposits at maturity: interest, then most roll over and some are withdrawn
        tds = np.flatnonzero(live & (kind == "deposit") & (self.maturity == day))
        term = np.maximum(a["term_months"][tds], 1)
        add(tds, "C", (self.balance[tds] * a["rate"][tds] / 1e6 * term * 30 / 360).round(), "2001")
        closing_td = tds[rng.random(len(tds)) < 0.2]
        self.maturity[tds] += term * 30
        # monthly service fees on the 1st
        if date.day == 1:
            sms = np.flatnonzero(active & (product == "SAV-DD") & (self.balance >= 200))
            sms = sms[rng.random(len(sms)) < 0.3]
            add(sms, "D", np.full(len(sms), 200), "2101")
            corp = np.flatnonzero(active & (product == "ACC-DD") & (self.balance >= 20_000))
            add(corp, "D", rng.integers(20, 200, len(corp)) * 100, "2101")

        # fund prices of the day apply to every posting of the day and to the closing value
        fnd = np.flatnonzero(live & (product == "WMS-FND"))
        market = rng.normal(0.0003, 0.009)
        self.nav4[fnd] = np.maximum(
            np.round(self.nav4[fnd] * np.exp(market + rng.normal(0, 0.004, len(fnd)))), 1000
        ).astype(np.int64)
        txns = self._post(day, date, blocks, rng)
        # withdrawals of closing time deposits come after their interest
        if len(closing_td):
            close_blocks = [
                {
                    "acct": closing_td,
                    "dr_cr": np.full(len(closing_td), "D"),
                    "amount": self.balance[closing_td],
                    "code": "1101",
                    "cp": None,
                }
            ]
            txns = pl.concat([txns, self._post(day, date, close_blocks, rng, late=True)])
        paid_off = np.flatnonzero(live & (kind == "loan") & (self.balance <= 0) & (a["open_day"] < day))
        for closed in (closing_td, paid_off):
            self.close_day[closed] = day
            self.status[closed] = "1"

        self._statements(day, date, live & (kind == "card"), rng)

        # valuation and classification changes that move no money
        wealth = np.flatnonzero(live & (kind == "wealth"))
        self.balance[wealth] = (self.shares[wealth] * self.nav4[wealth] + 5_000) // 10_000
        loans = np.flatnonzero(live & (kind == "loan") & (self.close_day > day))
        self.overdue[paid_off] = np.minimum(self.overdue[paid_off], 0)
        late = loans[self.overdue[loans] > 0]
        self.overdue[late] += 1
        self.overdue[newly_overdue] = 1
        if (date + dt.timedelta(days=1)).day == 1:  # the review at each month end
            self._classify(loans, rng)

        for cur in ("USD", "HKD", "EUR"):
            self.fx[cur] = int(round(self.fx[cur] * np.exp(rng.normal(0, 0.002))))

        changed = (
            (self.balance != prev_bal)
            | (self.five != prev_five)
            | (self.maturity != prev_maturity)
            | (self.close_day == day)
            | (a["open_day"] == day)
            | (self.overdue != prev_overdue)
        )
        changed_records = self._customer_changes(day, rng)
        contacts = self._contacts(day, date, rng)
        fees = self._fees(day, date, rng)
        return Day(
            day,
            date,
            txns,
            np.flatnonzero(changed & self.open_mask),
            changed_records,
            contacts,
            fees,
            dict(self.fx),
        )

    def _statements(self, day, date, cards_live, rng) -> None:
        """A statement is cut on each bill day with the day's closing balance, due
        CARD_GRACE_DAYS later. Transactors pay the statement in full on a day up to the due
        date, and now and then miss one (they pay a part and revolve); revolvers pay a part,
        and now and then pay off the whole balance and become transactors."""
        a = self.w.accounts
        cut = np.flatnonzero(cards_live & (a["bill_day"] == date.day) & (self.balance > 0))
        n = len(cut)
        stmt = self.balance[cut]
        u = rng.random(n)
        rev = self.revolver[cut]
        payoff = rev & (u < REVOLVER_PAYOFF)
        full = (~rev & (u >= TRANSACTOR_MISS)) | payoff
        self.revolver[cut[payoff]] = False
        part = np.round(stmt * rng.uniform(0.1, 0.3, n), -2).astype(np.int64)
        self.card_pay[cut] = np.where(full, stmt, part)
        # most pay in the last days before the due date; none after it
        lead = np.minimum(rng.geometric(0.25, n) - 1, CARD_GRACE_DAYS - 1)
        self.card_pay_day[cut] = day + CARD_GRACE_DAYS - lead

    def _classify(self, loans, rng) -> None:
        """Month-end five-level review: overdue days set the floor of the class (over 90 days
        at least substandard, over 270 doubtful, over 360 loss; any arrears special
        mention); a current loan moves up a class after its observation period; a few
        loans move down on the borrower's condition alone."""
        od = self.overdue[loans]
        cls = self.five[loans].astype(np.int64)
        floor = np.select([od > 360, od > 270, od > 90, od > 0], [5, 4, 3, 2], 1)
        u = rng.random(len(loans))
        up = (od == 0) & (cls > 1) & (u < np.where(cls == 2, UPGRADE[0], UPGRADE[1]))
        watch = (od == 0) & (cls == 1) & (u < WATCHLIST)
        # a company on the watch list whose accounts weaken is downgraded before it is late
        weaker = (cls == 2) & (self.w.accounts["sys"][loans] == "CRD") & (u > 1 - DOWNGRADE_SM)
        new = np.where(up, cls - 1, np.where(watch, 2, np.where(weaker, 3, cls)))
        new = np.maximum(new, floor)
        self.five[loans] = new.astype(str)

    # --- postings -------------------------------------------------------------------
    def _post(self, day, date, blocks, rng, late=False) -> pl.DataFrame:
        a = self.w.accounts
        parts = []
        for b in blocks:
            n = len(b["acct"])
            parts.append(
                pl.DataFrame(
                    {
                        "acct": b["acct"],
                        "dr_cr": np.asarray(b["dr_cr"]).astype(str),
                        "amount": b["amount"],
                        "txn_code": np.full(n, b["code"]),
                        "cp_kind": np.full(n, b["cp"] or ""),
                        "reversal_of": np.full(n, ""),
                    }
                )
            )
        if self.pending_reversals and not late:
            parts.extend(self.pending_reversals)
            self.pending_reversals = []
        if not parts:
            return _empty_txns()
        t = pl.concat(parts, how="diagonal_relaxed")
        n = t.height
        code = t["txn_code"].to_numpy()
        system = np.isin(code, ["2001", "2101", "2102"])
        secs = np.where(system, rng.integers(60, 3600, n), rng.integers(7 * 3600, 23 * 3600, n))
        if late:
            secs = np.full(n, 23 * 3600 + 59 * 60)
        t = t.with_columns(secs=pl.Series(secs))
        # reversals of the same day follow their original within the hour
        if not late:
            cust = np.isin(code, list(CUSTOMER_CODES)) & (t["dr_cr"].to_numpy() == "D")
            pick = np.flatnonzero(cust & (rng.random(n) < REVERSAL_RATE))
            later = rng.random(len(pick)) < self.late_reversal_rate
            t = t.with_row_index("_i")
            orig = t[pick]
            t = self._ids(t, day, date)
            orig_ids = t["txn_id"].to_numpy()[pick]
            rev = orig.drop("_i").with_columns(
                dr_cr=pl.lit("C"),
                txn_code=pl.lit("9001"),
                cp_kind=pl.lit(""),
                reversal_of=pl.Series(orig_ids),
                secs=pl.Series(
                    np.minimum(orig["secs"].to_numpy() + rng.integers(60, 3600, len(pick)), 86_399)
                ),
            )
            self.pending_reversals = [
                rev.filter(pl.Series(later)).with_columns(
                    secs=pl.Series(rng.integers(8 * 3600, 12 * 3600, int(later.sum())))
                )
            ]
            same = rev.filter(~pl.Series(later))
            t = pl.concat(
                [t.drop("_i"), self._ids(same, day, date, offset=t.height)], how="diagonal_relaxed"
            )
        else:
            t = self._ids(t, day, date, offset=900_000_000)
        t = t.sort(["acct", "secs", "txn_id"])
        acct = t["acct"].to_numpy()
        amount = t["amount"].to_numpy()
        credit = t["dr_cr"].to_numpy() == "C"
        sign = a["sign"][acct]
        delta = np.where(credit, amount, -amount) * sign
        wealth = a["kind"][acct] == "wealth"
        nav = self.nav4[acct]
        delta_shares = np.where(wealth, np.round(delta * 10_000 / nav).astype(np.int64), 0)
        starts = np.r_[True, acct[1:] != acct[:-1]]
        first = np.flatnonzero(starts)
        cum = np.cumsum(delta) - np.repeat(
            np.cumsum(delta)[first] - delta[first], np.diff(np.r_[first, len(acct)])
        )
        cum_sh = np.cumsum(delta_shares) - np.repeat(
            np.cumsum(delta_shares)[first] - delta_shares[first], np.diff(np.r_[first, len(acct)])
        )
        shares_after = self.shares[acct] + cum_sh
        bal_after = np.where(wealth, (shares_after * nav + 5_000) // 10_000, self.balance[acct] + cum)
        last = np.r_[first[1:] - 1, len(acct) - 1]
        self.balance[acct[last]] = bal_after[last]
        self.shares[acct[last]] = shares_after[last]
        return t.with_columns(balance_after=pl.Series(bal_after)).select(_TXN_COLS)

    def _ids(self, t: pl.DataFrame, day, date, offset=0) -> pl.DataFrame:
        sys = pl.Series(self.w.accounts["sys"][t["acct"].to_numpy()], dtype=pl.String)
        seq = pl.Series(np.arange(t.height, dtype=np.int64) + offset + 1)
        return t.with_columns(txn_id=sys + date.strftime("%Y%m%d") + seq.cast(pl.String).str.zfill(9))

    # --- customer records and CRM -----------------------------------------------------
    def _customer_changes(self, day, rng) -> np.ndarray:
        recs = self.w.records
        onboard = recs["onboard_day"].to_numpy()
        moved = np.flatnonzero((onboard < day) & (rng.random(self.n_records) < 0.0003))
        self.mobile[moved] = [f"1{x:010d}"[:11] for x in rng.integers(3 * 10**9, 9 * 10**9, len(moved))]
        self.update_day[moved] = day
        return np.union1d(np.flatnonzero(onboard == day), moved)

    def _contacts(self, day, date, rng) -> pl.DataFrame:
        p = self.w.parties
        mgr = self.party_manager
        wealth = p["wealth"].to_numpy()
        every = np.select([wealth >= lo for lo, _ in CONTACT_EVERY], [e for _, e in CONTACT_EVERY])
        dil = self.w.managers["diligence"].to_numpy()
        leave = self.w.managers["leave_day"].to_numpy()
        ok = (mgr >= 0) & (p["onboard_day"].to_numpy() <= day)
        prob = np.where(ok, dil[np.maximum(mgr, 0)] / every, 0)
        prob[ok] *= leave[mgr[ok]] > day
        who = np.flatnonzero(rng.random(len(prob)) < prob)
        rec = self.main_record[who]
        n = len(who)
        ts = date.strftime("%Y%m%d") + pl.Series(rng.integers(9 * 3600, 19 * 3600, n)).map_elements(
            lambda s: f"{s // 3600:02d}{s // 60 % 60:02d}{s % 60:02d}", return_dtype=pl.String
        )
        return pl.DataFrame(
            {
                "contact_id": [f"CT{date:%Y%m%d}{i + 1:06d}" for i in range(n)],
                "manager_id": self.w.managers["manager_id"].gather(mgr[who]),
                "sys": self.w.records["sys"].gather(rec),
                "cust_no": self.w.records["cust_no"].gather(rec),
                "contact_ts": ts,
                "method": rng.choice(["phone", "visit", "wechat", "sms"], n, p=[0.5, 0.2, 0.2, 0.1]),
                "outcome": rng.choice(
                    ["reached", "no_answer", "interested", "declined"], n, p=[0.55, 0.2, 0.15, 0.1]
                ),
            }
        )

    def _fees(self, day, date, rng) -> pl.DataFrame:
        p = self.w.parties
        mgr = self.party_manager
        corp = p["kind"].to_numpy() == "corporate"
        ok = (mgr >= 0) & (p["onboard_day"].to_numpy() <= day)
        chance = np.where(corp, FEE_CHANCE["corporate"], FEE_CHANCE["personal"])
        who = np.flatnonzero(ok & (rng.random(len(mgr)) < chance))
        n = len(who)
        period = np.where(
            (date.day <= 5) & (rng.random(n) < 0.5),
            (date.replace(day=1) - dt.timedelta(days=1)).strftime("%Y%m"),
            date.strftime("%Y%m"),
        )
        amount = np.where(
            corp[who],
            rng.lognormal(*FEE_AMOUNT["corporate"], n),
            rng.lognormal(*FEE_AMOUNT["personal"], n),
        )
        rows = []
        for i in range(n):
            self.fee_seq += 1
            rows.append(
                (
                    f"FE{self.w.seed % 100:02d}{self.fee_seq:08d}",
                    str(period[i]),
                    int(self.main_record[who[i]]),
                    str(rng.choice(["advisory", "guarantee", "custody", "agency", "underwriting"])),
                    int(round(amount[i] * 100)),
                    int(mgr[who[i]]),
                )
            )
            if rng.random() < 0.05:  # corrected a few days later
                fix_day = day + int(rng.integers(1, 10))
                self.pending_fee_fixes.setdefault(fix_day, []).append(
                    rows[-1][:4] + (int(round(amount[i] * rng.uniform(0.5, 1.2) * 100)), rows[-1][5])
                )
        rows += self.pending_fee_fixes.pop(day, [])
        df = pl.DataFrame(
            rows,
            schema={
                "entry_id": pl.String,
                "period": pl.String,
                "rec": pl.Int64,
                "fee_type": pl.String,
                "amount": pl.Int64,
                "mgr": pl.Int64,
            },
            orient="row",
        )
        secs = rng.integers(9 * 3600, 18 * 3600, df.height)
        return df.with_columns(
            sys=self.w.records["sys"].gather(df["rec"]),
            cust_no=self.w.records["cust_no"].gather(df["rec"]),
            entered_by=self.w.managers["manager_id"].gather(df["mgr"]),
            entered_ts=pl.Series(
                [f"{date:%Y%m%d}{s // 3600:02d}{s // 60 % 60:02d}{s % 60:02d}" for s in secs],
                dtype=pl.String,
            ),
        ).select(
            "entry_id", "period", "sys", "cust_no", "fee_type", "amount", "entered_by", "entered_ts"
        )


_TXN_COLS = [
    "txn_id",
    "acct",
    "secs",
    "dr_cr",
    "amount",
    "txn_code",
    "cp_kind",
    "reversal_of",
    "balance_after",
]


def _empty_txns() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "txn_id": pl.String,
            "acct": pl.Int64,
            "secs": pl.Int64,
            "dr_cr": pl.String,
            "amount": pl.Int64,
            "txn_code": pl.String,
            "cp_kind": pl.String,
            "reversal_of": pl.String,
            "balance_after": pl.Int64,
        }
    )
