"""`crmwh generate`: the bank's daily extract files, per the contract, with its dirt.

The simulation always runs from the first date, so the same arguments give the same
bytes, and a longer `--days` gives the same files for the dates already written
(except batches whose late `.OK` or restatement arrives inside the longer range).
Ground truth goes to `{out}/_truth/`, which the pipeline never reads.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from contract.extracts import ENTITIES, KPI_INDICATORS, LEGACY_SYSTEMS, OWN_BANK_CODE, batch_entities
from crmwh.synth import pools
from crmwh.synth.dirt import LATE_BY_DAYS, RESTATED_AFTER_DAYS, rates
from crmwh.synth.files import (
    DataFile,
    encode_legacy,
    legacy_lines,
    modern_bytes,
    money,
    rate,
    write_batch,
)
from crmwh.synth.simulate import CHANNEL, REMARKS, Day, Simulator, expected_monthly_fee
from crmwh.synth.world import NO_DAY, World, build_world, fault_row, rng_for

CRLF_SYSTEMS = {"CCS", "HPF"}  # these systems' extract jobs run on hosts that write CRLF
SYS_NO = {s: i for i, s in enumerate(LEGACY_SYSTEMS + ["CRM", "PUB"])}
RESTATED_SHARE = 0.03  # version 1 of a restated batch missed this share of its day rows


@dataclass
class Summary:
    out: Path
    days: int
    batches: int = 0
    files: int = 0
    bytes: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    faults: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def text(self) -> str:
        lines = [
            f"wrote {self.batches} batches, {self.files} files, {self.bytes / 1e6:.1f} MB "
            f"for {self.days} days into {self.out} in {self.seconds:.1f} s"
        ]
        lines += [f"  {k:<14} {v:>12,} rows" for k, v in sorted(self.rows.items())]
        lines.append(
            "  injected faults (see _truth/faults.csv): "
            + ", ".join(f"{k} {v}" for k, v in sorted(self.faults.items()))
            if self.faults
            else "  injected faults: none"
        )
        return "\n".join(lines)


def yyyymmdd(start: dt.date, days: np.ndarray) -> pl.Series:
    d = np.datetime64(start) + np.asarray(days).astype("timedelta64[D]")
    return pl.Series(d).dt.strftime("%Y%m%d")


def hhmmss(secs: pl.Expr) -> pl.Expr:
    return (
        (secs // 3600).cast(pl.String).str.zfill(2)
        + (secs // 60 % 60).cast(pl.String).str.zfill(2)
        + (secs % 60).cast(pl.String).str.zfill(2)
    )


class Generator:
    def __init__(self, out: Path, customers: int, days: int, start: dt.date, seed: int, dirt: str):
        self.out, self.days, self.start, self.seed = Path(out), days, start, seed
        self.dirt = dirt
        self.rates = rates(dirt)
        self.world: World = build_world(customers, seed, self.rates, start)
        self.sim = Simulator(self.world, start, self.rates["late_reversal"])
        self.faults: list[dict] = list(self.world.truth_faults)
        self.pending_dups: dict[str, list[str]] = {}
        self.summary = Summary(self.out, days)
        a = self.world.accounts
        self.acct_frame = pl.DataFrame(
            {
                k: a[k]
                for k in (
                    "sys",
                    "acct_no",
                    "cust_no",
                    "product_code",
                    "currency",
                    "org_code",
                    "acct_kind",
                    "contract_no",
                    "collateral_type",
                    "term_months",
                    "loan_amount",
                    "credit_limit",
                    "bill_day",
                    "monthly_contribution",
                    "rate",
                )
            }
        )

    # --- batches --------------------------------------------------------------------
    def run(self) -> Summary:
        t0 = time.perf_counter()
        self.out.mkdir(parents=True, exist_ok=True)
        last = self.days - 1
        for day in range(self.days):
            d = self.sim.step(day)
            date = d.date.strftime("%Y%m%d")
            for sys in LEGACY_SYSTEMS + ["CRM", "PUB"]:
                brng = rng_for(self.seed, day + 1_000, 100 + SYS_NO[sys])
                # the batch's own faults are drawn apart from its rows, so that they stay
                # where they are when the simulated bank changes
                drng = rng_for(self.seed, day + 1_000, 200 + SYS_NO[sys])
                files = self._files(sys, d, brng)
                version, mode = 1, ("FULL" if day == 0 or sys in ("CRM", "PUB") else "DELTA")
                signal = True
                if sys != "PUB" and drng.random() < self.rates["restatement"]:
                    if last >= day + RESTATED_AFTER_DAYS:
                        version = 2
                    else:
                        files = self._first_version(sys, files)
                    self._fault(
                        "restatement",
                        sys,
                        date,
                        "",
                        None,
                        "",
                        f"version 2 arrives on day {day + RESTATED_AFTER_DAYS}; "
                        f"written version {version}",
                    )
                if drng.random() < self.rates["late_batch"]:
                    signal = last >= day + LATE_BY_DAYS
                    self._fault(
                        "late_batch",
                        sys,
                        date,
                        "",
                        None,
                        "",
                        f".OK arrives on day {day + LATE_BY_DAYS}; "
                        f"{'written' if signal else 'not yet written'}",
                    )
                if sys in LEGACY_SYSTEMS and drng.random() < self.rates["ok_mismatch"]:
                    victim = max(files, key=lambda f: len(f.content))
                    if len(victim.content) > 0:
                        victim.truncate_to = int(len(victim.content) * drng.uniform(0.5, 0.95))
                        self._fault(
                            "ok_mismatch",
                            sys,
                            date,
                            victim.name,
                            None,
                            "",
                            f"truncated to {victim.truncate_to} of {len(victim.content)} bytes",
                        )
                write_batch(self.out, sys, date, version, mode, files, signal)
                for f in files:
                    self.summary.rows[f"{sys}_{f.name.split('_')[1]}"] = (
                        self.summary.rows.get(f"{sys}_{f.name.split('_')[1]}", 0) + f.records
                    )
                    self.summary.bytes += len(f.content)
                self.summary.files += len(files) + 1
                self.summary.batches += 1
        self._write_truth()
        self.summary.seconds = time.perf_counter() - t0
        for f in self.faults:
            self.summary.faults[f["kind"]] = self.summary.faults.get(f["kind"], 0) + 1
        return self.summary

    def _fault(self, kind, sys, date, file, line, key, detail):
        self.faults.append(fault_row(kind, sys, key, detail, date, file, line))

    def _files(self, sys: str, d: Day, rng) -> list[DataFile]:
        date = d.date.strftime("%Y%m%d")
        if sys in LEGACY_SYSTEMS:
            return [self._cust(sys, d, date), self._acct(sys, d, date), self._txn(sys, d, date, rng)]
        return [self._modern(e.name, sys, d, date, rng) for e in batch_entities(sys, date)]

    # --- legacy files ---------------------------------------------------------------
    def _legacy(self, sys, name, date, frame) -> DataFile:
        entity = ENTITIES[(sys, name)]
        lines = legacy_lines(frame, entity)
        total = int(frame["_amount"].sum()) if entity.amount_column and frame.height else 0
        content = encode_legacy(lines, {}, sys in CRLF_SYSTEMS)
        return DataFile(entity.file_name(date), content, len(lines), total)

    def _cust(self, sys, d: Day, date) -> DataFile:
        recs = self.world.records.with_row_index("rec")
        if d.day == 0:
            sel = (recs["sys"] == sys) & (recs["onboard_day"] < 0)
        else:
            sel = (recs["sys"] == sys) & recs["rec"].is_in(pl.Series(d.changed_records).implode())
        r = recs.filter(sel)
        idx = r["rec"].to_numpy()
        upd = self.sim.update_day[idx]
        frame = r.with_columns(
            id_type=pl.col("rec_id_type"),
            id_no=pl.col("rec_id_no"),
            mobile=pl.Series(self.sim.mobile[idx].astype(str)),
            cust_status=pl.lit("0"),
            reg_capital=money("reg_capital"),
            update_ts=yyyymmdd(self.start, upd) + hhmmss(pl.col("update_sec")),
        )
        return self._legacy(sys, "CUST", date, frame.with_columns(_amount=pl.lit(0)))

    def _acct(self, sys, d: Day, date) -> DataFile:
        a = self.world.accounts
        if d.day == 0:
            idx = np.flatnonzero((a["sys"] == sys) & self.sim.open_mask)
        else:
            idx = d.changed_accounts[a["sys"][d.changed_accounts] == sys]
        s = self.sim
        opt_day = np.where(s.maturity[idx] < NO_DAY, s.maturity[idx], 0)
        close = np.where(s.close_day[idx] <= d.day, s.close_day[idx], 0)
        frame = self.acct_frame[idx].with_columns(
            open_date=yyyymmdd(self.start, a["open_day"][idx]),
            close_date=pl.when(pl.Series(close != 0)).then(yyyymmdd(self.start, close)),
            acct_status=pl.Series(s.status[idx]),
            balance=money(pl.Series(s.balance[idx])),
            _amount=pl.Series(s.balance[idx]),
            rate=rate("rate"),
            term_months=pl.col("term_months").cast(pl.String),
            maturity_date=pl.when(pl.Series(opt_day != 0)).then(yyyymmdd(self.start, opt_day)),
            loan_amount=money("loan_amount"),
            five_class=pl.Series(s.five[idx]),
            overdue_days=pl.Series(s.overdue[idx]).cast(pl.String),
            credit_limit=money("credit_limit"),
            bill_day=pl.col("bill_day").cast(pl.String),
            shares=money(pl.Series(s.shares[idx])),
            nav=rate(pl.Series(s.nav4[idx])),
            monthly_contribution=money("monthly_contribution"),
        )
        return self._legacy(sys, "ACCT", date, frame)

    def _txn(self, sys, d: Day, date, rng) -> DataFile:
        a = self.world.accounts
        t = d.txns.filter(pl.Series(a["sys"][d.txns["acct"].to_numpy()] == sys))
        n = t.height
        code = t["txn_code"].to_numpy()
        internal = (code == "1101") | ((code == "1201") & (rng.random(n) < 0.7))
        other = (code == "1102") | ((code == "1201") & ~internal)
        counterpart = internal | other
        names = np.array(list(pools.SURNAMES))[rng.integers(0, len(pools.SURNAMES), n)]
        given = np.array(list(pools.GIVEN_CHARS))[rng.integers(0, len(pools.GIVEN_CHARS), (n, 2))]
        cp_name = np.char.add(np.char.add(names, given[:, 0]), given[:, 1])
        employers = self.sim.employers
        if len(employers):
            cp_name = np.where(code == "1201", employers[rng.integers(0, len(employers), n)], cp_name)
        banks = np.array(pools.OTHER_BANKS)[rng.integers(0, len(pools.OTHER_BANKS), n)]
        purpose = np.array(["", "", "房租", "生活费", "还款", "货款"])[rng.integers(0, 6, n)]
        remark = np.char.add(
            np.vectorize(REMARKS.get, otypes=[str])(code) if n else code,
            np.where(np.isin(code, ["1101", "1102"]), purpose, ""),
        )
        acct = t["acct"].to_numpy()
        frame = t.with_columns(
            txn_date=pl.lit(date),
            txn_time=hhmmss(pl.col("secs")),
            acct_no=pl.Series(a["acct_no"][acct]),
            amount=money("amount"),
            _amount=pl.col("amount"),
            currency=pl.Series(a["currency"][acct]),
            channel=pl.col("txn_code").replace_strict(CHANNEL),
            cp_acct_no=pl.when(pl.Series(counterpart)).then(
                pl.Series(rng.integers(10**15, 10**16, n)).cast(pl.String)
            ),
            cp_name=pl.when(pl.Series(counterpart)).then(pl.Series(cp_name)),
            cp_bank_code=pl.when(pl.Series(internal))
            .then(pl.lit(OWN_BANK_CODE))
            .when(pl.Series(other))
            .then(pl.Series(banks)),
            reversal_of=pl.when(pl.col("reversal_of") != "").then("reversal_of"),
            org_code=pl.Series(a["org_code"][acct]),
            balance_after=money("balance_after"),
            remark=pl.Series(remark),
        )
        return self._dirty_txn(sys, date, frame, rng)

    def _dirty_txn(self, sys, date, frame: pl.DataFrame, rng) -> DataFile:
        """Row-level dirt of the contract (items 5, 7, 8, 11) on one TXN file."""
        entity = ENTITIES[(sys, "TXN")]
        r = self.rates
        name = entity.file_name(date)
        n = frame.height
        keep = np.ones(n, dtype=bool)
        # 11: the source lost the day's last posting of an account: the chain breaks
        if n:
            acct = frame["acct"].to_numpy()
            last = np.r_[acct[1:] != acct[:-1], True]
            lost = (
                last
                & (rng.random(n) < r["balance_chain_break"])
                & (frame["reversal_of"].is_null().to_numpy())
            )
            keep &= ~lost
            for i in np.flatnonzero(lost):
                self._fault(
                    "balance_chain_break",
                    sys,
                    date,
                    name,
                    None,
                    str(frame["acct_no"][int(i)]),
                    f"posting {frame['txn_id'][int(i)]} missing from the extract",
                )
        frame = frame.filter(pl.Series(keep))
        lines = legacy_lines(frame, entity)
        amounts = frame["_amount"].to_list()
        # 5: duplicates: again later in this file, or in the next day's file
        carried = self.pending_dups.pop(sys, [])
        dup = np.flatnonzero(rng.random(len(lines)) < r["duplicate_txn"])
        next_day = rng.random(len(dup)) < 0.5
        self.pending_dups[sys] = [(lines[i], amounts[i]) for i in dup[next_day]]
        dup_ids = {lines[i].split("|+|", 1)[0] for i in dup[~next_day]} | {
            c[0].split("|+|", 1)[0] for c in carried
        }
        for i in dup[~next_day][::-1]:  # from the end: an insert never moves a line still to copy
            pos = int(rng.integers(i + 1, len(lines) + 1))
            lines.insert(pos, lines[i])
            amounts.insert(pos, amounts[i])
        for line, amount in carried:
            pos = int(rng.integers(0, len(lines) + 1))
            lines.insert(pos, line)
            amounts.insert(pos, amount)
        # 7 and 8: broken lines, wrong field counts and bad bytes, all after the amount field
        m = len(lines)
        u = rng.random((m, 3))
        dirty: dict[int, bytes] = {}
        faults: list[tuple[int, str, str]] = []
        for i in range(m):
            txn_id = lines[i].split("|+|", 1)[0]
            if txn_id in dup_ids:
                continue  # keep duplicates readable, so that they are caught as duplicates
            head, _, remark = lines[i].rpartition("|+|")
            if u[i, 0] < r["broken_line"] and len(remark) >= 2:
                lines[i] = f"{head}|+|{remark[:1]}\n{remark[1:]}"
                faults.append((i, "broken_line", txn_id))
            elif u[i, 1] < r["wrong_field_count"]:
                lines[i] = head if u[i, 1] < r["wrong_field_count"] / 2 else f"{lines[i]}|+|备注"
                faults.append((i, "wrong_field_count", txn_id))
            elif u[i, 2] < r["bad_bytes"] and remark:
                enc = remark.encode("gb18030")
                dirty[i] = (head + "|+|").encode("gb18030") + enc[:2] + b"\x80" + enc[2:]
                faults.append((i, "bad_bytes", txn_id))
        content = encode_legacy(lines, dirty, sys in CRLF_SYSTEMS)
        # physical line numbers: a broken record takes two lines
        extra = np.cumsum([0] + [ln.count("\n") for ln in lines])
        for i, kind, txn_id in faults:
            self._fault(kind, sys, date, name, int(i + 1 + extra[i]), txn_id, "")
        for txn_id in dup_ids:
            self._fault("duplicate_txn", sys, date, name, None, txn_id, "")
        rev = frame.filter(pl.col("reversal_of").is_not_null())
        for txn_id, orig in zip(rev["txn_id"].to_list(), rev["reversal_of"].to_list()):
            late = orig[3:11] != date
            self._fault(
                "late_reversal" if late else "reversal",
                sys,
                date,
                name,
                None,
                txn_id,
                f"reverses {orig}",
            )
        return DataFile(name, content, len(lines), int(sum(amounts)))

    def _first_version(self, sys: str, files: list[DataFile]) -> list[DataFile]:
        """Version 1 of a restated batch missed the last rows of its day file."""
        out = []
        for f in files:
            entity = next(e for e in ENTITIES.values() if f.name.startswith(f"{e.system}_{e.name}_"))
            if entity.snapshot != "day" or f.records == 0:
                out.append(f)
                continue
            enc = entity.family.encoding
            text = f.content.decode(enc, errors="surrogateescape")
            head = ""
            if entity.family.header:
                head, _, text = text.partition("\n")
                head += "\n"
            eol = "\r\n" if sys in CRLF_SYSTEMS else "\n"
            recs = text.split(eol)[:-1] if entity.family.header is False else text.split("\n")[:-1]
            # keep whole records (a broken line continues without separators)
            cut = max(0, len(recs) - max(1, int(len(recs) * RESTATED_SHARE)))
            kept = recs[:cut]
            total = 0
            if entity.amount_column:
                pos = entity.column_names.index(entity.amount_column)
                sep = entity.family.separator
                for rec in kept:
                    fields = rec.split(sep) if sep != "," else next(csv.reader([rec]))
                    if len(fields) > pos and "\n" not in fields[pos]:
                        total += round(float(fields[pos]) * 100)
            body = (head + "".join(x + eol for x in kept)).encode(enc, errors="surrogateescape")
            out.append(DataFile(f.name, body, len(kept), total))
        return out

    # --- modern files ---------------------------------------------------------------
    def _modern(self, name: str, sys: str, d: Day, date: str, rng) -> DataFile:
        entity = ENTITIES[(sys, name)]
        w, day = self.world, d.day
        total = 0
        if name == "MANAGER":
            m = w.managers
            frame = m.with_columns(
                hire_date=yyyymmdd(self.start, m["hire_day"].to_numpy()),
                status=pl.when(pl.col("leave_day") <= day)
                .then(pl.lit("left"))
                .otherwise(pl.lit("active")),
                grade=pl.col("grade").cast(pl.String),
                team_id=pl.when(pl.col("move_day") <= day)
                .then(pl.col("new_team_id"))
                .otherwise(pl.col("team_id")),
            )
        elif name == "TEAM":
            frame = w.teams
        elif name == "ASSIGN":
            asg = w.assignments.filter(pl.col("from_day") <= day)
            to = asg["to_day"].to_numpy()
            visible = to <= day  # a closing becomes visible on the day it happens
            frame = asg.with_columns(
                manager_id=w.managers["manager_id"].gather(asg["manager_idx"]),
                sys=pl.Series(w.accounts["sys"][asg["acct_idx"].to_numpy()]),
                acct_no=pl.Series(w.accounts["acct_no"][asg["acct_idx"].to_numpy()]),
                share_pct=pl.col("share_pct").map_elements(lambda x: f"{x:.2f}", return_dtype=pl.String),
                valid_from=yyyymmdd(self.start, asg["from_day"].to_numpy()),
                valid_to=pl.when(pl.Series(visible)).then(
                    yyyymmdd(self.start, np.where(visible, to, 0))
                ),
            )
        elif name == "CONTACT":
            frame = d.contacts
        elif name == "TARGET":
            frame = self._targets(d, date, rng)
        elif name == "FEE":
            frame = d.fees.with_columns(amount=money("amount"))
            total = int(d.fees["amount"].sum()) if d.fees.height else 0
        elif name == "FXRATE":
            frame = pl.DataFrame({"currency": list(d.fx), "rate_to_cny": list(d.fx.values())})
            frame = frame.with_columns(rate_to_cny=rate("rate_to_cny"))
        elif name == "ORG":
            frame = w.orgs.with_columns(org_level=pl.col("org_level").cast(pl.String))
        elif name == "ORGMAP":
            frame = self._orgmap(day)
        else:
            raise ValueError(name)
        content = modern_bytes(frame, entity)
        return DataFile(entity.file_name(date), content, frame.height, total)

    def _orgmap(self, day: int) -> pl.DataFrame:
        w = self.world
        merged, joins, merge_day = w.merge
        org_id = w.orgs["org_id"]
        base = w.org_codes.with_columns(
            org_id=org_id.gather(w.org_codes["org_idx"]),
            valid_from=pl.lit("20000101"),
            valid_to=pl.lit(None, pl.String),
        )
        if day < merge_day:
            return base
        merge_date = (self.start + dt.timedelta(days=merge_day)).strftime("%Y%m%d")
        moved = base.filter(pl.col("org_idx") == merged)
        return pl.concat(
            [
                base.with_columns(
                    valid_to=pl.when(pl.col("org_idx") == merged).then(pl.lit(merge_date))
                ),
                moved.with_columns(org_id=pl.lit(org_id[joins]), valid_from=pl.lit(merge_date)),
            ]
        ).sort("sys", "org_code", "valid_from")

    def _targets(self, d: Day, date: str, rng) -> pl.DataFrame:
        """Monthly targets: each manager's current book, grown by a stretch factor."""
        w, s = self.world, self.sim
        a = w.accounts
        asg = w.assignments.filter(
            (pl.col("purpose") == "assess") & (pl.col("from_day") <= d.day) & (pl.col("to_day") > d.day)
        )
        acct = asg["acct_idx"].to_numpy()
        mgr = asg["manager_idx"].to_numpy()
        share = asg["share_pct"].to_numpy() / 100
        m = w.managers.height
        bal = s.balance[acct] * share / 100
        aum = np.bincount(mgr, bal * np.isin(a["kind"][acct], ["deposit", "wealth"]), m)
        loans = np.bincount(mgr, bal * (a["kind"][acct] == "loan"), m)
        parties = pl.DataFrame({"m": mgr, "p": a["party_idx"][acct]}).unique()
        n_parties = np.bincount(parties["m"].to_numpy(), minlength=m)
        wealthy = w.parties["wealth"].to_numpy()[parties["p"].to_numpy()] >= 100_000
        vip = np.bincount(parties["m"].to_numpy(), wealthy, m)
        stretch = rng.uniform(1.0, 1.25, (m, 9))
        # fees: the CRM fee supplements the manager's main-managed parties bring on average
        # (plus a little for service fees); contribution: a book earns ~2.5% of its AUM a
        # year. So completions land near 90%, as a bank's stretched targets do, not at 20x
        main = s.party_manager
        managed = main >= 0
        corporate = w.parties["kind"].to_numpy() == "corporate"
        fees = np.bincount(main[managed], expected_monthly_fee(corporate)[managed], m)
        values = np.column_stack(
            [
                aum * stretch[:, 0],
                np.ceil(vip * stretch[:, 1]),
                np.ceil(2 + n_parties * 0.02),
                loans * stretch[:, 3],
                (fees + n_parties * 5) * stretch[:, 4],
                np.round(2.0 + 0.5 * stretch[:, 5], 2),
                aum * 0.025 / 12 * stretch[:, 6],
                np.full(m, 0.015),
                np.full(m, 0.9),
            ]
        )
        active = w.managers["leave_day"].to_numpy() > d.day
        ids = w.managers["manager_id"].to_list()
        # junior managers (grades 1-2) are not given lending targets: their teams' loan
        # figures leave them out (the KPI's same-members rule)
        junior = w.managers["grade"].to_numpy() <= 2
        lending = {KPI_INDICATORS.index("loan_adb"), KPI_INDICATORS.index("npl_ratio")}
        rows = [
            (date[:6], ids[i], ind, f"{values[i, j]:.2f}" if j not in (7, 8) else f"{values[i, j]:.4f}")
            for i in np.flatnonzero(active)
            for j, ind in enumerate(KPI_INDICATORS)
            if not (junior[i] and j in lending)
        ]
        return pl.DataFrame(
            rows, schema=["period", "manager_id", "indicator", "target_value"], orient="row"
        )

    # --- ground truth ---------------------------------------------------------------
    def _write_truth(self) -> None:
        truth = self.out / "_truth"
        truth.mkdir(exist_ok=True)
        r = self.world.records
        r.select(
            "sys",
            "cust_no",
            "party_ref",
            "kind",
            pl.col("id_type").alias("true_id_type"),
            pl.col("id_no").alias("true_id_no"),
            pl.col("rec_id_type").alias("id_type"),
            pl.col("rec_id_no").alias("id_no"),
            "onboard_day",
        ).sort("sys", "cust_no").write_csv(truth / "customers.csv")
        faults = pl.DataFrame(
            self.faults,
            schema={
                "kind": pl.String,
                "sys": pl.String,
                "biz_date": pl.String,
                "file": pl.String,
                "line": pl.Int64,
                "key": pl.String,
                "detail": pl.String,
            },
            orient="row",
        )
        faults.sort("biz_date", "sys", "kind", "file", "line", "key", nulls_last=True).write_csv(
            truth / "faults.csv"
        )
        merged, joins, merge_day = self.world.merge
        manifest = {
            "seed": self.seed,
            "customers": self.world.n_customers,
            "days": self.days,
            "start": self.start.isoformat(),
            "dirt": self.dirt,
            "rates": self.rates,
            "org_merge": {
                "org_id": self.world.orgs["org_id"][merged],
                "into_org_id": self.world.orgs["org_id"][joins],
                "date": (self.start + dt.timedelta(days=merge_day)).isoformat(),
            },
        }
        (truth / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False))


def generate(
    out: Path, customers: int, days: int, start: dt.date, seed: int, dirt: str = "default"
) -> Summary:
    return Generator(out, customers, days, start, seed, dirt).run()
