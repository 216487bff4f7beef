"""The synthetic bank: organisations, parties, source customer records, accounts, managers.

Everything here is drawn once from the seed, independently of how many days are
generated, so that extending `--days` leaves earlier dates' files unchanged.
Days are offsets from the first business date (day 0); negative = before it.
Money is int64 cents; rates int64 in 1/10000 percent points (contract: 4 decimals).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from contract import idcodes
from contract.extracts import CORPORATE_SYSTEMS, PERSONAL_SYSTEMS, PRODUCTS
from crmwh.synth import pools
from crmwh.synth.dirt import MERGE_AFTER_DAYS

# days after day 0 within which new customers arrive (independent of --days)
ONBOARD_HORIZON = 365
NEW_CUSTOMER_SHARE = 0.08
CORPORATE_SHARE = 0.05

# share of persons holding an account in each personal system
PERSONAL_PENETRATION = {"SAV": 0.98, "CCS": 0.35, "PLN": 0.15, "WMS": 0.0, "HPF": 0.30}
CORPORATE_PENETRATION = {"ACC": 1.0, "CRD": 0.25}

ACCT_PREFIX = {
    "SAV": "6217",
    "ACC": "1100",
    "CRD": "LN31",
    "PLN": "PL62",
    "CCS": "6259",
    "WMS": "WM88",
    "HPF": "GJ41",
}
CUST_PREFIX = {"SAV": "1", "ACC": "5", "CRD": "CR", "PLN": "PL", "CCS": "8", "WMS": "W", "HPF": "H"}
ORG_CODE_FORMAT = {
    "SAV": "3{:04d}",
    "ACC": "A{:04d}",
    "CRD": "31{:04d}",
    "PLN": "P{:04d}",
    "CCS": "C{:04d}",
    "WMS": "W{:03d}",
    "HPF": "G{:04d}",
}

TD_TERMS = {"SAV-TD3M": 3, "SAV-TD6M": 6, "SAV-TD1Y": 12, "SAV-TD2Y": 24, "SAV-TD3Y": 36, "SAV-TD5Y": 60}
# annual rates in 1/10000 percent (1500 = 0.15%)
BASE_RATE = {
    "SAV-DD": 1500,
    "SAV-TD3M": 10500,
    "SAV-TD6M": 12500,
    "SAV-TD1Y": 13500,
    "SAV-TD2Y": 14500,
    "SAV-TD3Y": 17500,
    "SAV-TD5Y": 18000,
    "SAV-PB": 11000,
    "ACC-DD": 2000,
    "ACC-TD": 15000,
    "ACC-NT": 8000,
    "ACC-MG": 5000,
    "CRD-WC": 38000,
    "CRD-FA": 42000,
    "CRD-TF": 35000,
    "PLN-MTG": 35000,
    "PLN-CON": 62000,
    "PLN-BIZ": 48000,
    "PLN-CAR": 55000,
    "CCS-STD": 182500,
    "CCS-GLD": 182500,
    "CCS-PLT": 182500,
    "WMS-WMP": 28000,
    "WMS-FND": 0,
    "WMS-INS": 25000,
    "HPF-STD": 15000,
}
# share of existing customers' loans drawn inside the year (new lending, loans up to
# LARGE_LOAN CNY); a loan above LARGE_LOAN is performing on day 0 (large borrowers are better
# credits: see also simulate.LARGE_BORROWER); corporate loans up to MAX_LOAN
LATER_LOAN_SHARE = 0.25
LARGE_LOAN = 5_000_000
MAX_LOAN = 30_000_000
TROUBLED_MAX = 800_000  # CNY: the largest loan troubled on day 0
# day-0 shares of the loan book's balance: non-performing, special mention (mortgages apart)
NPL_SHARE, NPL_SHARE_MTG = 0.03, 0.004
SM_SHARE, SM_SHARE_MTG = 0.04, 0.008
# kind of balance: +1 money the bank holds for the customer, -1 money owed to the bank
ASSET_SIGN = {"deposit": 1, "wealth": 1, "agency": 1, "loan": -1, "card": -1}


@dataclass
class World:
    seed: int
    n_customers: int
    orgs: pl.DataFrame  # org_idx, org_id, org_name, parent_org_id, org_level
    outlets: np.ndarray  # org_idx of level-5 outlets
    org_codes: pl.DataFrame  # sys, org_idx, org_code
    merge: tuple[int, int, int]  # (outlet merged away, outlet it joins, day)
    parties: pl.DataFrame
    records: pl.DataFrame  # one row per source customer record
    accounts: dict[str, np.ndarray]  # static account attributes and initial state
    teams: pl.DataFrame
    managers: pl.DataFrame
    assignments: pl.DataFrame  # assign_id, manager_idx, acct_idx, share_pct, purpose, from, to
    truth_faults: list[dict] = field(default_factory=list)


def rng_for(seed: int, *stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, *stream])


# --- organisations --------------------------------------------------------------------


def build_orgs(n_customers: int, rng: np.random.Generator):
    n_out = int(min(600, max(8, round(n_customers / 500))))
    counts = [1, max(2, math.ceil(n_out / 27))]
    counts.append(max(counts[1], math.ceil(n_out / 9)))
    counts.append(max(counts[2], math.ceil(n_out / 3)))
    counts.append(max(counts[3], n_out))
    rows, level_ids = [], []
    for level, count in enumerate(counts, start=1):
        ids = [f"{level}{i:04d}" for i in range(count)]
        parents = level_ids[-1] if level_ids else []
        for i, oid in enumerate(ids):
            parent = parents[i * len(parents) // count] if parents else None
            region = pools.REGIONS[i % len(pools.REGIONS)]
            name = {
                1: "总行",
                2: f"{region[1]}分行",
                3: f"{region[2]}分行",
                4: f"{region[3]}支行",
                5: f"{pools.ROADS[i % len(pools.ROADS)]}网点",
            }[level]
            suffix = "" if level == 1 or i < len(pools.REGIONS) else f"第{i // 20 + 1}"
            rows.append((oid, name + suffix if level < 5 else f"{name}{i + 1}号", parent, level))
        level_ids.append(ids)
    orgs = pl.DataFrame(
        rows, schema=["org_id", "org_name", "parent_org_id", "org_level"], orient="row"
    ).with_row_index("org_idx")
    outlets = orgs.filter(pl.col("org_level") == 5)["org_idx"].to_numpy().astype(np.int64)
    # each legacy system numbers the outlets and sub-branches in its own way
    code_rows = []
    local = orgs.filter(pl.col("org_level") >= 4)["org_idx"].to_numpy()
    for sys in PERSONAL_SYSTEMS + CORPORATE_SYSTEMS:
        numbers = rng.permutation(len(local)) + 1
        fmt = ORG_CODE_FORMAT[sys]
        code_rows += [(sys, int(o), fmt.format(int(n))) for o, n in zip(local, numbers)]
    org_codes = pl.DataFrame(code_rows, schema=["sys", "org_idx", "org_code"], orient="row")
    # one outlet merges into its sibling: the first sub-branch with two outlets
    parent = orgs["parent_org_id"].to_list()
    merged, joins = int(outlets[0]), int(outlets[1])
    for a, b in zip(outlets[:-1], outlets[1:]):
        if parent[a] == parent[b]:
            merged, joins = int(b), int(a)
            break
    return orgs, outlets, org_codes, (merged, joins, MERGE_AFTER_DAYS)


# --- parties --------------------------------------------------------------------------


def _pick(pool, idx) -> pl.Series:
    return pl.Series(list(pool)).gather(pl.Series(np.asarray(idx), dtype=pl.UInt32))


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (values[:, None] // powers) % 10


def build_persons(n: int, rng: np.random.Generator, outlets: np.ndarray) -> pl.DataFrame:
    surname = _pick(pools.SURNAMES, rng.integers(0, len(pools.SURNAMES), n))
    double = rng.random(n) < 0.005
    surname = pl.select(
        pl.when(pl.Series(double))
        .then(_pick(pools.DOUBLE_SURNAMES, rng.integers(0, len(pools.DOUBLE_SURNAMES), n)))
        .otherwise(surname)
    ).to_series()
    g1 = _pick(pools.GIVEN_CHARS, rng.integers(0, len(pools.GIVEN_CHARS), n))
    g2 = _pick(pools.GIVEN_CHARS, rng.integers(0, len(pools.GIVEN_CHARS), n))
    two = pl.Series(rng.random(n) < 0.7)
    name = pl.select(pl.when(two).then(surname + g1 + g2).otherwise(surname + g1)).to_series()
    gender = rng.integers(1, 3, n)
    age_days = rng.integers(18 * 365, 85 * 365, n)
    birth = np.datetime64("2026-01-01") - age_days.astype("timedelta64[D]")
    region_i = rng.integers(0, len(pools.REGIONS), n)
    region = np.array([int(r[0]) for r in pools.REGIONS])[region_i]
    birth_int = pl.Series(birth).dt.strftime("%Y%m%d").cast(pl.Int64).to_numpy()
    # sequence unique within (region, birth date); odd for men, even for women
    frame = pl.DataFrame({"region": region, "birth": birth_int})
    rank = frame.select(pl.int_range(pl.len()).over(["region", "birth"])).to_series().to_numpy()
    seq = 10 + rank * 2 + (gender == 1)
    first17 = region * 10**11 + birth_int * 1000 + seq
    check = idcodes.id_check_digits(_digits(first17, 17))
    id18 = pl.Series(first17).cast(pl.String) + pl.Series(check)
    doc = rng.choice(["01", "02", "03", "04", "05", "06"], n, p=[0.955, 0.01, 0.015, 0.01, 0.005, 0.005])
    serial = pl.Series(rng.permutation(n) + 10_000_000).cast(pl.String)
    doc_prefix = pl.Series(_doc_prefix(doc))
    id_no = pl.select(
        pl.when(pl.Series(np.isin(doc, ["01", "02"]))).then(id18).otherwise(doc_prefix + serial)
    ).to_series()
    # financial assets: lognormal body plus a Pareto tail of high-net-worth clients
    wealth = np.exp(rng.normal(10.0, 1.7, n))
    hnw = rng.random(n) < 0.003
    wealth[hnw] = 2_000_000 * (1 + rng.pareto(1.4, hnw.sum()))
    mobile = _pick(pools.MOBILE_PREFIXES, rng.integers(0, len(pools.MOBILE_PREFIXES), n)) + pl.Series(
        rng.integers(0, 10**8, n)
    ).cast(pl.String).str.zfill(8)
    road = _pick(pools.ROADS, rng.integers(0, len(pools.ROADS), n))
    bld = _pick(pools.BUILDINGS, rng.integers(0, len(pools.BUILDINGS), n))
    addr_region = pl.Series([f"{r[1]}{r[2]}{r[3]}" for r in pools.REGIONS]).gather(region_i)
    address = (
        addr_region
        + road
        + pl.Series(rng.integers(1, 999, n)).cast(pl.String)
        + "号"
        + _pick(pools.ROADS, rng.integers(0, len(pools.ROADS), n)).str.slice(0, 2)
        + bld
        + pl.Series(rng.integers(1, 30, n)).cast(pl.String)
        + "栋"
        + pl.Series(rng.integers(101, 2999, n)).cast(pl.String)
        + "室"
    )
    return pl.DataFrame(
        {
            "kind": "personal",
            "name": name,
            "id_type": doc,
            "id_no": id_no,
            "gender": gender.astype(str),
            "birth_date": pl.Series(birth_int).cast(pl.String),
            "mobile": mobile,
            "address": address,
            "wealth": wealth,
            "home_outlet": outlets[rng.integers(0, len(outlets), n)],
            "payroll": rng.random(n) < 0.55,
            "payday": rng.choice([5, 10, 15, 25], n),
            "salary": np.round(np.exp(rng.normal(9.0, 0.6, n)), -1),
        }
    )


def _doc_prefix(doc: np.ndarray) -> np.ndarray:
    prefixes = np.array(["", "", "E", "H", "T", "USA"])
    return prefixes[doc.astype(int) - 1]


def build_companies(n: int, rng: np.random.Generator, outlets: np.ndarray) -> pl.DataFrame:
    brand = _pick(pools.BRANDS, rng.integers(0, len(pools.BRANDS), n))
    ind_i = rng.integers(0, len(pools.INDUSTRIES), n)
    industry = _pick([i[0] for i in pools.INDUSTRIES], ind_i)
    region_i = rng.integers(0, len(pools.REGIONS), n)
    city = pl.Series([r[2].removesuffix("市") for r in pools.REGIONS]).gather(region_i)
    suffix = _pick(pools.CORP_SUFFIXES, rng.integers(0, len(pools.CORP_SUFFIXES), n))
    bracketed = pl.Series(rng.random(n) < 0.4)
    # canonical names use full-width brackets: 华信科技（北京）有限公司
    name = pl.select(
        pl.when(bracketed)
        .then(brand + industry + "（" + city + "）" + suffix)
        .otherwise(city + brand + industry + suffix)
    ).to_series()
    region = pl.Series([r[0] for r in pools.REGIONS]).gather(region_i).to_list()
    body = rng.choice(90_000_000, n, replace=False) + 10_000_000
    scale = rng.choice(["1", "2", "3", "4"], n, p=[0.05, 0.15, 0.45, 0.35])
    licence_only = (scale == "4") & (rng.random(n) < 0.25)
    uscc = [idcodes.make_uscc(r, str(b)) for r, b in zip(region, body)]
    licence = [f"{r}{b:09d}" for r, b in zip(region, rng.choice(10**9, n, replace=False))]
    id_type = np.where(licence_only, "23", "21")
    id_no = np.where(licence_only, licence, uscc)
    wealth = np.exp(rng.normal(13.8, 1.8, n))
    return pl.DataFrame(
        {
            "kind": "corporate",
            "name": name,
            "id_type": id_type,
            "id_no": id_no,
            "industry_code": _pick([i[1] for i in pools.INDUSTRIES], ind_i),
            "scale": scale,
            "reg_capital": (np.round(np.exp(rng.normal(15.5, 1.5, n)), -4) * 100).astype(np.int64),
            "wealth": wealth,
            "home_outlet": outlets[rng.integers(0, len(outlets), n)],
        }
    )


def build_parties(n: int, rng: np.random.Generator, outlets: np.ndarray) -> pl.DataFrame:
    n_corp = max(1, round(n * CORPORATE_SHARE))
    persons = build_persons(n - n_corp, rng, outlets)
    companies = build_companies(n_corp, rng, outlets)
    parties = pl.concat([persons, companies], how="diagonal")
    perm = rng.permutation(n)  # interleave persons and companies
    parties = parties[perm]
    onboard = np.where(
        rng.random(n) < NEW_CUSTOMER_SHARE,
        rng.integers(1, ONBOARD_HORIZON, n),
        -rng.integers(30, 20 * 365, n),
    )
    behaviour = rng.random(n)
    return parties.with_columns(
        party_idx=pl.int_range(n, dtype=pl.Int64),
        party_ref=pl.format("T{}", pl.int_range(n).cast(pl.String).str.zfill(8)),
        onboard_day=pl.Series(onboard),
        # drifters move across VIP tiers; churners move money to other banks on one day
        drift=pl.Series(np.select([behaviour < 0.05, behaviour < 0.10], [1.0, -1.0], 0.0)),
        churn_day=pl.Series(np.where(behaviour > 0.985, rng.integers(0, ONBOARD_HORIZON, n), -1)),
    )


# --- source customer records ----------------------------------------------------------


def _name_variant(name: str, rng: np.random.Generator) -> str:
    """Same name as another system writes it: spaces, full-width letters, bracket style."""
    if "（" in name:
        return name.replace("（", "(").replace("）", ")")
    if "(" in name:
        return name.replace("(", "（").replace(")", "）")
    pos = 1 + int(rng.integers(0, max(1, len(name) - 1)))
    return name[:pos] + ("　" if rng.random() < 0.5 else " ") + name[pos:]


def _break_check(id_no: str, rng: np.random.Generator) -> str:
    """A typing error: one character changed, so the check character no longer fits."""
    i = int(rng.integers(6, 17))
    alphabet = "0123456789" if id_no[i].isdigit() else "ABCDEFGH"
    new = alphabet[(alphabet.find(id_no[i]) + 1 + int(rng.integers(0, 8))) % len(alphabet)]
    return id_no[:i] + new + id_no[i + 1 :]


def build_records(
    parties: pl.DataFrame,
    org_codes: pl.DataFrame,
    outlets: np.ndarray,
    rng: np.random.Generator,
    rates: dict[str, float],
    faults: list[dict],
):
    n = parties.height
    kind = parties["kind"].to_numpy()
    logw = np.log(parties["wealth"].to_numpy())
    held: dict[str, np.ndarray] = {}
    personal = kind == "personal"
    p_wms = 0.03 + 0.6 / (1 + np.exp(-(logw - 12.5)))
    held["WMS"] = personal & (rng.random(n) < p_wms)
    for sys, p in PERSONAL_PENETRATION.items():
        if sys != "WMS":
            held[sys] = personal & (rng.random(n) < p)
    held["SAV"] |= held["WMS"]
    held["CCS"] |= personal & (logw > 13) & (rng.random(n) < 0.5)
    for sys, p in CORPORATE_PENETRATION.items():
        held[sys] = (~personal) & (rng.random(n) < p)
    # every person keeps at least one record: savings
    held["SAV"] |= personal & ~np.any([held[s] for s in PERSONAL_SYSTEMS], axis=0)
    n_systems = np.sum([held[s] for s in held], axis=0)

    code_of = {
        sys: dict(zip(g["org_idx"].to_list(), g["org_code"].to_list()))
        for (sys,), g in org_codes.group_by(["sys"])
    }
    frames = []
    for sys in PERSONAL_SYSTEMS + CORPORATE_SYSTEMS:
        idx = np.flatnonzero(held[sys])
        f = parties[idx].select(
            "party_idx",
            "party_ref",
            "kind",
            "name",
            "id_type",
            "id_no",
            "gender",
            "birth_date",
            "mobile",
            "address",
            "industry_code",
            "scale",
            "reg_capital",
            "home_outlet",
            "onboard_day",
        )
        seq = rng.permutation(len(idx)) + 1
        width = 11 if sys in ("SAV", "CCS") else 9
        outlet = np.where(
            rng.random(len(idx)) < 0.9,
            f["home_outlet"].to_numpy(),
            outlets[rng.integers(0, len(outlets), len(idx))],
        )
        last_update = np.where(
            f["onboard_day"].to_numpy() >= 0,
            f["onboard_day"].to_numpy(),
            -rng.integers(1, 900, len(idx)),
        )
        f = f.with_columns(
            sys=pl.lit(sys),
            cust_no=pl.lit(CUST_PREFIX[sys]) + pl.Series(seq).cast(pl.String).str.zfill(width),
            outlet=pl.Series(outlet),
            org_code=pl.Series([code_of[sys][int(o)] for o in outlet]),
            update_day=pl.Series(np.maximum(last_update, f["onboard_day"].to_numpy())),
            update_sec=pl.Series(rng.integers(8 * 3600, 20 * 3600, len(idx))),
            n_systems=pl.Series(n_systems[idx]),
        )
        if sys != "SAV":  # people change phones: another system may hold an older number
            other = rng.random(len(idx)) < 0.1
            newer = pl.Series(rng.integers(10**10, 2 * 10**10, len(idx))).cast(pl.String)
            f = f.with_columns(
                mobile=pl.when(pl.Series(other)).then("1" + newer.str.slice(1)).otherwise("mobile")
            )
        frames.append(f)
    records = pl.concat(frames, how="vertical")
    records = records.with_columns(
        cust_name=pl.col("name"), rec_id_type=pl.col("id_type"), rec_id_no=pl.col("id_no")
    )
    # dirt on identities: applied record by record, each one noted in the ground truth
    names = records["name"].to_list()
    id_types = records["id_type"].to_list()
    id_nos = records["id_no"].to_list()
    syss = records["sys"].to_list()
    custs = records["cust_no"].to_list()
    multi = records["n_systems"].to_numpy() > 1
    births = records["birth_date"].to_list()
    u = rng.random((len(names), 4))
    for i in range(len(names)):
        note = None
        if u[i, 0] < rates["name_variant"]:
            names[i] = _name_variant(names[i], rng)
            note = ("name_variant", names[i])
        t = id_types[i]
        if (
            syss[i] == "SAV"
            and t == "01"
            and multi[i]
            and births[i] < "20000101"
            and u[i, 1] < rates["old_15_digit_id"]
        ):
            id_nos[i] = id_nos[i][:6] + id_nos[i][8:17]
            faults.append(fault_row("old_15_digit_id", syss[i], custs[i], id_nos[i]))
        elif syss[i] == "CRD" and t == "21" and u[i, 2] < rates["corp_org_code_only"]:
            org = id_nos[i][8:17]
            id_types[i], id_nos[i] = "22", f"{org[:8]}-{org[8]}"
            faults.append(fault_row("corp_org_code_only", syss[i], custs[i], id_nos[i]))
        elif t in ("01", "21") and u[i, 3] < rates["invalid_check_digit"]:
            id_nos[i] = _break_check(id_nos[i], rng)
            faults.append(fault_row("invalid_check_digit", syss[i], custs[i], id_nos[i]))
        if syss[i] == "PLN" and id_nos[i].endswith("X"):
            id_nos[i] = id_nos[i][:-1] + "x"  # the loan system keeps a lower-case check x
        if note:
            faults.append(fault_row(note[0], syss[i], custs[i], note[1]))
    return records.with_columns(
        cust_name=pl.Series(names), rec_id_type=pl.Series(id_types), rec_id_no=pl.Series(id_nos)
    )


def fault_row(
    kind: str,
    sys: str,
    key: str,
    detail: str = "",
    biz_date: str = "",
    file: str = "",
    line: int | None = None,
) -> dict:
    return {
        "kind": kind,
        "sys": sys,
        "biz_date": biz_date,
        "file": file,
        "line": line,
        "key": key,
        "detail": detail,
    }


# --- accounts -------------------------------------------------------------------------

NO_DAY = 10**7  # sentinel: no date (open-ended)


def _expand(recs: pl.DataFrame, counts: np.ndarray) -> pl.DataFrame:
    return recs[np.repeat(np.arange(recs.height), counts)]


def _accounts_of(sys: str, recs: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Accounts of one system with their state on the day before day 0 (or on opening)."""
    m = recs.height
    w = recs["wealth"].to_numpy()
    if sys == "SAV":
        n_td = np.where(rng.random(m) < 0.45, rng.integers(1, 3, m), 0)
        n_pb = (rng.random(m) < 0.05).astype(int)
        n_fx = (rng.random(m) < 0.03).astype(int)
        has_wms = recs["has_wms"].to_numpy()
        churn = recs["churn_day"].to_numpy() >= 0
        wms_share = np.where(has_wms, rng.uniform(0.3, 0.6, m), 0.0)
        td_share = np.where(n_td + n_pb > 0, rng.uniform(0.3, 0.7, m), 0.0) * (1 - wms_share)
        td_share = np.where(churn, td_share * 0.15, td_share)
        dd_share = 1 - wms_share - td_share
        parts = []
        dd = recs.with_columns(
            product_code=pl.lit("SAV-DD"), currency=pl.lit("CNY"), amount=pl.Series(w * dd_share)
        )
        parts.append(dd)
        e = _expand(recs, n_td)
        k = np.repeat(n_td, n_td)
        td_codes = np.array(list(TD_TERMS))[
            rng.choice(6, e.height, p=[0.1, 0.15, 0.35, 0.15, 0.15, 0.1])
        ]
        parts.append(
            e.with_columns(
                product_code=pl.Series(td_codes),
                currency=pl.lit("CNY"),
                amount=pl.Series(np.repeat(w * td_share, n_td) / k),
            )
        )
        e = _expand(recs, n_pb)
        parts.append(
            e.with_columns(
                product_code=pl.lit("SAV-PB"),
                currency=pl.lit("CNY"),
                amount=pl.Series(e["wealth"].to_numpy() * 0.05),
            )
        )
        e = _expand(recs, n_fx)
        parts.append(
            e.with_columns(
                product_code=pl.lit("SAV-DD"),
                currency=pl.Series(rng.choice(["USD", "HKD", "EUR"], e.height, p=[0.6, 0.3, 0.1])),
                amount=pl.Series(np.exp(rng.normal(8.5, 1.2, e.height))),
            )
        )
        return pl.concat(parts, how="vertical")
    if sys == "ACC":
        parts = [
            recs.with_columns(
                product_code=pl.lit("ACC-DD"), acct_kind=pl.lit("1"), amount=pl.Series(w * 0.5)
            )
        ]
        for code, kind, p, share in [
            ("ACC-DD", "2", 0.4, 0.2),
            ("ACC-TD", "1", 0.2, 0.3),
            ("ACC-NT", "1", 0.1, 0.2),
            ("ACC-MG", "3", 0.1, 0.1),
            ("ACC-DD", "4", 0.03, 0.05),
        ]:
            e = recs.filter(pl.Series(rng.random(m) < p))
            parts.append(
                e.with_columns(
                    product_code=pl.lit(code), acct_kind=pl.lit(kind), amount=pl.col("wealth") * share
                )
            )
        return pl.concat(parts, how="vertical").with_columns(currency=pl.lit("CNY"))
    if sys in ("CRD", "PLN"):
        n_loans = rng.choice([1, 2, 3], m, p=[0.7, 0.2, 0.1]) if sys == "CRD" else np.ones(m, int)
        e = _expand(recs, n_loans)
        k = e.height
        if sys == "CRD":
            codes = rng.choice(["CRD-WC", "CRD-FA", "CRD-TF"], k, p=[0.6, 0.25, 0.15])
            amount = np.minimum(np.exp(rng.normal(15.3, 1.2, k)), MAX_LOAN)
            term = rng.choice([12, 24, 36, 60], k)
            collateral = np.full(k, "")
        else:
            codes = rng.choice(["PLN-MTG", "PLN-CON", "PLN-BIZ", "PLN-CAR"], k, p=[0.55, 0.2, 0.1, 0.15])
            mu = np.select(
                [codes == "PLN-MTG", codes == "PLN-CON", codes == "PLN-BIZ"], [13.6, 11.0, 12.8], 11.9
            )
            amount = np.exp(rng.normal(mu, 0.5, k))
            term = np.select(
                [codes == "PLN-MTG", codes == "PLN-CON", codes == "PLN-BIZ"],
                [
                    rng.choice([240, 300, 360], k),
                    rng.choice([12, 36, 60], k),
                    rng.choice([12, 24, 36], k),
                ],
                rng.choice([36, 60], k),
            )
            collateral = np.select(
                [codes == "PLN-MTG", codes == "PLN-CAR", codes == "PLN-BIZ"], ["01", "02", "03"], "00"
            )
        amount = np.round(amount, -3)
        return e.with_columns(
            product_code=pl.Series(codes),
            currency=pl.lit("CNY"),
            loan_amount=pl.Series(amount),
            term_months=pl.Series(term),
            collateral_type=pl.Series(collateral),
            amount=pl.Series(amount),
        )
    if sys == "CCS":
        code = np.where(w > 2e6, "CCS-PLT", np.where(w > 2e5, "CCS-GLD", "CCS-STD"))
        limit = np.select([code == "CCS-PLT", code == "CCS-GLD"], [200_000, 50_000], 15_000)
        limit = limit * rng.uniform(0.6, 1.5, m)
        return recs.with_columns(
            product_code=pl.Series(code),
            currency=pl.lit("CNY"),
            credit_limit=pl.Series(np.round(limit, -3)),
            bill_day=pl.Series(rng.integers(1, 29, m)),
            revolver=pl.Series(rng.random(m) < 0.2),
            amount=pl.Series(limit * rng.uniform(0, 0.35, m)),
        )
    if sys == "WMS":
        n_pos = rng.choice([1, 2, 3], m, p=[0.5, 0.35, 0.15])
        e = _expand(recs, n_pos)
        k = e.height
        codes = rng.choice(["WMS-WMP", "WMS-FND", "WMS-INS"], k, p=[0.6, 0.3, 0.1])
        nav = np.where(codes == "WMS-FND", rng.uniform(0.8, 2.5, k), 1.0)
        return e.with_columns(
            product_code=pl.Series(codes),
            currency=pl.lit("CNY"),
            nav=pl.Series(nav),
            amount=pl.Series(e["wms_amount"].to_numpy() / np.repeat(n_pos, n_pos)),
        )
    if sys == "HPF":
        contrib = np.round(np.exp(rng.normal(7.3, 0.6, m)), 0)
        return recs.with_columns(
            product_code=pl.lit("HPF-STD"),
            currency=pl.lit("CNY"),
            monthly_contribution=pl.Series(contrib),
            amount=pl.Series(contrib * rng.uniform(6, 120, m)),
        )
    raise ValueError(sys)


def _by_balance(amount, book, eligible, group, shares, rng) -> np.ndarray:
    """Eligible accounts picked in random order until their balance reaches a share of the
    balance of the book, per group (True: shares[0], False: shares[1]); only accounts up to
    a sixth of that balance and up to TROUBLED_MAX, so that the share reached is within a
    sixth of the aim, and the month-to-month moves of a small bank are many small ones."""
    picked = np.zeros(len(amount), dtype=bool)
    order = rng.permutation(len(amount))
    for flag, share in zip((True, False), shares):
        aim = share * amount[book & (group == flag)].sum()
        sel = order[
            eligible[order] & (group[order] == flag) & (amount[order] <= min(aim / 6, TROUBLED_MAX))
        ]
        picked[sel[np.cumsum(amount[sel]) - amount[sel] < aim]] = True
    return picked


def build_accounts(records: pl.DataFrame, parties: pl.DataFrame, rng: np.random.Generator):
    recs = records.join(
        parties.select("party_idx", "wealth", "drift", "churn_day", "payroll", "payday", "salary"),
        on="party_idx",
        how="left",
    )
    wms_parties = records.filter(pl.col("sys") == "WMS")["party_idx"]
    recs = recs.with_columns(has_wms=pl.col("party_idx").is_in(wms_parties.implode()))
    # the savings system knows how much of a person's wealth sits in wealth products
    frames = []
    sav_wms = {}
    for sys in PERSONAL_SYSTEMS + CORPORATE_SYSTEMS:
        r = recs.filter(pl.col("sys") == sys)
        if sys == "WMS":
            r = r.join(pl.DataFrame(sav_wms), on="party_idx", how="left")
        f = _accounts_of(sys, r, rng)
        if sys == "SAV":
            w = r["wealth"].to_numpy()
            share = np.where(r["has_wms"].to_numpy(), rng.uniform(0.3, 0.6, r.height), 0.0)
            sav_wms = {"party_idx": r["party_idx"], "wms_amount": pl.Series(w * share)}
        frames.append(f)
    acc = pl.concat(frames, how="diagonal")
    n = acc.height
    kinds = {code: p.kind for code, p in PRODUCTS.items()}
    acc = acc.with_columns(
        kind=pl.col("product_code").replace_strict(kinds),
        rate=pl.col("product_code").replace_strict(BASE_RATE).cast(pl.Int64),
    )
    kind = acc["kind"].to_numpy()
    product = acc["product_code"].to_numpy()
    onboard = acc["onboard_day"].to_numpy()
    is_loan = kind == "loan"
    term = acc["term_months"].fill_null(0).to_numpy().astype(np.int64)
    term = np.where(
        np.isin(product, list(TD_TERMS)), np.vectorize(TD_TERMS.get, otypes=[np.int64])(product, 0), term
    )
    # open before day 0 for existing customers (loans within their term), else on onboarding
    age = rng.integers(30, 6 * 365, n)
    age = np.where(is_loan, np.minimum(age, np.maximum(term * 30 - 30, 31)), age)
    open_day = np.where(onboard >= 0, onboard, np.maximum(onboard, -age))
    # existing customers keep borrowing: some of their loans are drawn inside the year
    later = (
        is_loan
        & (onboard < 0)
        & (acc["loan_amount"].fill_null(0).to_numpy() <= LARGE_LOAN)
        & (rng.random(n) < LATER_LOAN_SHARE)
    )
    open_day = np.where(later, rng.integers(1, ONBOARD_HORIZON, n), open_day)
    maturity = np.where(term > 0, open_day + term * 30 + (term // 12) * 5, NO_DAY)
    # a time deposit past maturity has been rolled over: its current term started later
    rolled = (term > 0) & ~is_loan & (maturity <= 0)
    periods = np.where(rolled, (-open_day) // np.maximum(term * 30, 1) + 1, 0)
    maturity = np.where(rolled, open_day + periods * term * 30 + 1, maturity)
    amount = acc["amount"].fill_null(0).to_numpy()
    loan_amount = acc["loan_amount"].fill_null(0).to_numpy()
    # loans amortise linearly in principal: outstanding share = remaining term
    remaining = np.clip(1 - (-open_day) / np.maximum(term * 30, 1), 0.05, 1)
    amount = np.where(is_loan & (onboard < 0), loan_amount * remaining, amount)
    rate = acc["rate"].to_numpy() + np.where(is_loan, rng.integers(-3000, 8000, n), 0)
    rate = np.where(product == "WMS-WMP", rng.integers(20000, 42000, n), rate)
    # five-level classification on day 0: non-performing loans make up about 3% of the
    # balance of the book (mortgages 0.4%), special mention about 4% (0.8%): drawn as shares
    # of balance, not of count, so that a small bank's ratio does not hang on a few loans;
    # large borrowers (above LARGE_LOAN) are performing. Overdue days fit the class (over 90
    # days substandard, 270 doubtful, 360 loss); 40% of the special-mention loans are
    # current (on the watch list), of mortgages most; half of the substandard and doubtful
    # ones are current too (restructured: they pay, and stay in their class for a while)
    live_loan = is_loan & (open_day < 0)
    eligible = live_loan & (amount <= LARGE_LOAN)
    mortgage = product == "PLN-MTG"
    npl = _by_balance(amount, live_loan, eligible, mortgage, (NPL_SHARE_MTG, NPL_SHARE), rng)
    sm = _by_balance(amount, live_loan, eligible & ~npl, mortgage, (SM_SHARE_MTG, SM_SHARE), rng)
    five = np.where(npl, rng.choice(["3", "4", "5"], n, p=[0.6, 0.25, 0.15]), np.where(sm, "2", "1"))
    restructured = rng.random(n) < 0.5
    overdue = np.select(
        [five == "2", five == "3", five == "4", five == "5"],
        [
            np.where(rng.random(n) < np.where(mortgage, 0.8, 0.4), 0, rng.integers(1, 91, n)),
            np.where(restructured, 0, rng.integers(91, 271, n)),
            np.where(restructured, 0, rng.integers(271, 361, n)),
            rng.integers(361, 720, n),
        ],
        0,
    )
    dormant = (product == "SAV-DD") & (onboard < -400) & (rng.random(n) < 0.04)
    status = np.where(dormant, "3", np.where(rng.random(n) < 0.002, "2", "0"))
    nav = acc["nav"].fill_null(1.0).to_numpy()
    nav4 = np.round(nav * 10_000).astype(np.int64)
    cents = np.round(np.maximum(amount, 0) * 100).astype(np.int64)
    cents = np.where(dormant, np.minimum(cents, 5_000_000) // 3, cents)
    shares = np.where(kind == "wealth", np.round(cents * 10_000 / nav4).astype(np.int64), 0)
    cents = np.where(kind == "wealth", (shares * nav4 + 5_000) // 10_000, cents)
    activity = np.select(
        [product == "SAV-DD", product == "ACC-DD", kind == "card"], [0.25, 1.5, 0.35], 0.0
    ) * np.where(dormant | (status == "2"), 0.0, 1.0)
    seq = rng.permutation(n)
    acct_no = [f"{ACCT_PREFIX[s]}{x:012d}" for s, x in zip(acc["sys"].to_list(), seq * 7 + 100_003)]
    out = {
        "sys": acc["sys"].to_numpy().astype(str),
        "acct_no": np.array(acct_no),
        "cust_no": acc["cust_no"].to_numpy().astype(str),
        "party_idx": acc["party_idx"].to_numpy(),
        "product_code": product.astype(str),
        "kind": kind.astype(str),
        "sign": np.where(np.isin(kind, ["loan", "card"]), -1, 1),
        "currency": acc["currency"].to_numpy().astype(str),
        "outlet": acc["outlet"].to_numpy(),
        "org_code": acc["org_code"].to_numpy().astype(str),
        "open_day": open_day.astype(np.int64),
        "close_day": np.full(n, NO_DAY, dtype=np.int64),
        "status": status,
        "balance": np.where(open_day >= 0, 0, cents).astype(np.int64),
        "initial": cents,  # for accounts opened from day 0 on: the opening amount
        "rate": rate.astype(np.int64),
        "term_months": np.where(kind == "deposit", term, np.where(is_loan, term, -1)),
        "maturity_day": maturity.astype(np.int64),
        "acct_kind": acc["acct_kind"].fill_null("").to_numpy().astype(str),
        "contract_no": np.where(
            product.astype(str).astype("U3") == "CRD",
            np.char.add("HT", (seq + 5_000_000).astype(str)),
            "",
        ),
        "loan_amount": np.round(loan_amount * 100).astype(np.int64),
        "five_class": np.where(is_loan, five, ""),
        "overdue_days": np.where(is_loan, overdue, -1),
        "collateral_type": acc["collateral_type"].fill_null("").to_numpy().astype(str),
        "credit_limit": np.round(acc["credit_limit"].fill_null(0).to_numpy() * 100).astype(np.int64),
        "bill_day": acc["bill_day"].fill_null(-1).to_numpy().astype(np.int64),
        "revolver": acc["revolver"].fill_null(False).to_numpy(),
        "shares": shares.astype(np.int64),
        "nav4": nav4,
        "monthly_contribution": np.round(
            acc["monthly_contribution"].fill_null(0).to_numpy() * 100
        ).astype(np.int64),
        "activity": activity,
        "target": cents.astype(np.float64),
        "drift": acc["drift"].to_numpy(),
        "churn_day": acc["churn_day"].to_numpy(),
        "payroll": acc["payroll"].fill_null(False).to_numpy() & (product == "SAV-DD"),
        "payday": acc["payday"].fill_null(0).to_numpy(),
        "salary": np.round(acc["salary"].fill_null(0).to_numpy() * 100).astype(np.int64),
        "dormant": dormant,
    }
    return out


# --- CRM: teams, managers, assignments ------------------------------------------------

# a party gets a customer manager from this much financial wealth (CNY), companies always
MANAGED_FROM = 50_000
# one manager hands the largest customers (this share of the book) to a colleague on the 2nd
# of the first month that starts HAND_OVER_AFTER days or more after day 0; another manager
# moves team on the 1st of the first month TEAM_MOVE_AFTER days or more after day 0
HAND_OVER_SHARE = 0.7
HAND_OVER_AFTER = 45
TEAM_MOVE_AFTER = 70


def build_crm(
    orgs: pl.DataFrame,
    parties: pl.DataFrame,
    acc: dict[str, np.ndarray],
    rng: np.random.Generator,
    rates: dict[str, float],
    faults: list[dict],
    drop_day: int = NO_DAY,
    move_day: int = NO_DAY,
):
    org_id = orgs["org_id"].to_list()
    parent = orgs["parent_org_id"].to_list()
    level = orgs["org_level"].to_list()
    idx_of = {o: i for i, o in enumerate(org_id)}
    team_rows = [("TM000", "总行零售与公司业务条线", None, org_id[0])]
    team_of_org = {}
    for i, lv in enumerate(level):
        if lv == 3:
            team_of_org[i] = f"TM{i:03d}"
            team_rows.append((team_of_org[i], f"{orgs['org_name'][i]}客户经理部", "TM000", org_id[i]))
    for i, lv in enumerate(level):
        if lv == 4:
            team_of_org[i] = f"TM{i:03d}"
            city = idx_of[parent[i]]
            team_rows.append(
                (team_of_org[i], f"{orgs['org_name'][i]}团队", team_of_org[city], org_id[i])
            )
    teams = pl.DataFrame(
        team_rows, schema=["team_id", "team_name", "parent_team_id", "org_id"], orient="row"
    )

    wealth = parties["wealth"].to_numpy()
    managed = (wealth >= MANAGED_FROM) | (parties["kind"].to_numpy() == "corporate")
    home = parties["home_outlet"].to_numpy()
    outlets = np.flatnonzero(np.array(level) == 5)
    per_outlet = np.bincount(home[managed], minlength=len(level))
    n_mgr = {int(o): max(2, round(per_outlet[o] / 120)) for o in outlets}
    mgr_rows, mgrs_at = [], {}
    for o in outlets:
        sub = idx_of[parent[o]]
        for _ in range(n_mgr[int(o)]):
            k = len(mgr_rows)
            mgrs_at.setdefault(int(o), []).append(k)
            mgr_rows.append((f"M{k + 1:05d}", int(o), org_id[o], team_of_org[sub]))
    m = len(mgr_rows)
    surname = rng.integers(0, len(pools.SURNAMES), m)
    given = rng.integers(0, len(pools.GIVEN_CHARS), (m, 2))
    managers = pl.DataFrame(
        {
            "manager_id": [r[0] for r in mgr_rows],
            "outlet": [r[1] for r in mgr_rows],
            "org_id": [r[2] for r in mgr_rows],
            "team_id": [r[3] for r in mgr_rows],
            "manager_name": [
                pools.SURNAMES[s] + pools.GIVEN_CHARS[a] + pools.GIVEN_CHARS[b]
                for s, (a, b) in zip(surname, given)
            ],
            "grade": rng.integers(1, 11, m),
            "hire_day": -rng.integers(60, 15 * 365, m),
            # a few managers leave inside the year; their accounts pass to a colleague
            "leave_day": np.where(rng.random(m) < 0.03, rng.integers(5, ONBOARD_HORIZON, m), NO_DAY),
            "diligence": rng.uniform(0.4, 1.3, m),
        }
    )
    leave = managers["leave_day"].to_numpy()

    # assignments: every non-agency account of a managed party goes to a manager of its
    # home outlet; some are shared by two managers, some also watched by another
    party = acc["party_idx"]
    eligible = np.flatnonzero(managed[party] & (acc["kind"] != "agency"))
    prim = np.array(
        [
            mgrs_at[int(home[p])][int(rng.integers(0, len(mgrs_at[int(home[p])])))]
            for p in range(len(home))
        ]
    )
    second = np.array(
        [
            mgrs_at[int(home[p])][int(rng.integers(0, len(mgrs_at[int(home[p])])))]
            for p in range(len(home))
        ]
    )
    u = rng.random((len(home), 3))
    rows = []  # manager, acct, share, purpose, from_day, to_day
    for a in eligible:
        p = party[a]
        start = int(acc["open_day"][a])
        if u[p, 0] < 0.1 and second[p] != prim[p]:
            rows.append((prim[p], a, 60.0, "assess", start, NO_DAY))
            if u[p, 2] < rates["share_over_100"]:
                # the second manager's share is raised before the first one's is cut
                mid = max(start, int(rng.integers(0, 60)))
                rows.append((second[p], a, 40.0, "assess", start, mid))
                rows.append((second[p], a, 50.0, "assess", mid, NO_DAY))
                faults.append(
                    fault_row("share_over_100", "CRM", str(acc["acct_no"][a]), f"60+50 from day {mid}")
                )
            else:
                rows.append((second[p], a, 40.0, "assess", start, NO_DAY))
        else:
            rows.append((prim[p], a, 100.0, "assess", start, NO_DAY))
        if u[p, 1] < 0.05 and second[p] != prim[p]:
            rows.append((second[p], a, 0.0, "watch", start, NO_DAY))
    # a leaving manager's open assignments pass to a colleague on the leave day
    out = []
    for mgr, a, share, purpose, f, t in rows:
        lv = int(leave[mgr])
        if f < lv < t:
            colleagues = [
                c for c in mgrs_at[int(managers["outlet"][int(mgr)])] if leave[c] == NO_DAY
            ] or [mgr]
            out.append((mgr, a, share, purpose, f, lv))
            out.append((colleagues[0], a, share, purpose, lv, t))
        else:
            out.append((mgr, a, share, purpose, f, t))
    assignments = pl.DataFrame(
        out,
        schema=["manager_idx", "acct_idx", "share_pct", "purpose", "from_day", "to_day"],
        orient="row",
    )
    assignments, *handover = _hand_over_large_customers(assignments, managers, acc, drop_day)
    managers = _move_team(managers, teams, assignments, handover, move_day)
    assignments = assignments.with_columns(
        assign_id=pl.format("AS{}", (pl.int_range(pl.len()) + 1).cast(pl.String).str.zfill(8))
    )
    return teams, managers, assignments, managed


def _books(assignments: pl.DataFrame, acc: dict[str, np.ndarray], day: int) -> pl.DataFrame:
    """Each manager's assess assignments open on `day`, with the credited day-0 balance."""
    asg = assignments.filter(
        (pl.col("purpose") == "assess") & (pl.col("from_day") <= day) & (pl.col("to_day") > day)
    )
    acct = asg["acct_idx"].to_numpy()
    return asg.with_columns(
        party=pl.Series(acc["party_idx"][acct]),
        credited=pl.Series(acc["balance"][acct] * asg["share_pct"].to_numpy() / 100),
    )


def _hand_over_large_customers(assignments, managers, acc, day):
    """The manager with the largest book (of those who stay) hands the accounts of the
    largest customers, about HAND_OVER_SHARE of the book, to a colleague of the same outlet
    on `day` (a day after the month's targets were set): the manager's KPI score drops
    sharply that month. Returns the assignments and the managers who gave and took them
    (-1: none)."""
    staying = np.flatnonzero(managers["leave_day"].to_numpy() == NO_DAY)
    books = _books(assignments, acc, day).filter(pl.col("manager_idx").is_in(staying.tolist()))
    outlet = managers["outlet"].to_numpy()
    per_mgr = (
        books.group_by("manager_idx")
        .agg(pl.col("credited").sum())
        .sort(["credited", "manager_idx"], descending=[True, False])
    )
    for mgr in per_mgr["manager_idx"].to_list():
        colleagues = [c for c in staying if outlet[c] == outlet[mgr] and c != mgr]
        if colleagues:
            break
    else:
        return assignments, -1, -1
    parties = (
        books.filter(pl.col("manager_idx") == mgr)
        .group_by("party")
        .agg(pl.col("credited").sum())
        .sort(["credited", "party"], descending=[True, False])
    )
    cum = parties["credited"].cum_sum().to_numpy()
    top = parties["party"].to_numpy()[cum - parties["credited"].to_numpy() < HAND_OVER_SHARE * cum[-1]]
    party = pl.Series(acc["party_idx"][assignments["acct_idx"].to_numpy()])
    mine = (pl.col("manager_idx") == mgr) & (pl.col("purpose") == "assess") & party.is_in(top.tolist())
    open_then = mine & (pl.col("from_day") <= day) & (pl.col("to_day") > day)
    later = mine & (pl.col("from_day") > day)
    handed = assignments.filter(open_then).with_columns(
        manager_idx=pl.lit(int(colleagues[0]), pl.Int64), from_day=pl.lit(day, pl.Int64)
    )
    assignments = pl.concat(
        [
            assignments.with_columns(
                to_day=pl.when(open_then).then(pl.lit(day, pl.Int64)).otherwise("to_day"),
                manager_idx=pl.when(later)
                .then(pl.lit(int(colleagues[0]), pl.Int64))
                .otherwise("manager_idx"),
            ),
            handed.select(assignments.columns),
        ]
    )
    return assignments, int(mgr), int(colleagues[0])


def _move_team(managers, teams, assignments, handover, day) -> pl.DataFrame:
    """The manager with the most assess accounts (other than the two of the hand-over)
    moves on `day` to a
    sub-branch team under another branch team, keeping the accounts (CRM_MANAGER's
    team_id changes from that day on)."""
    parent = dict(zip(teams["team_id"].to_list(), teams["parent_team_id"].to_list()))
    leaves = sorted(t for t in parent if t not in parent.values())
    counts = assignments.filter((pl.col("purpose") == "assess") & (pl.col("to_day") > day))
    staying = managers["leave_day"].to_numpy() == NO_DAY
    per_mgr = (
        counts.group_by("manager_idx")
        .agg(n=pl.len())
        .filter(~pl.col("manager_idx").is_in(handover))
        .sort(["n", "manager_idx"], descending=[True, False])
    )
    team = managers["team_id"].to_list()
    move = np.full(managers.height, NO_DAY, dtype=np.int64)
    new_team = list(team)
    for mgr in per_mgr["manager_idx"].to_list():
        if not staying[mgr]:
            continue
        target = [t for t in leaves if parent[t] != parent[team[mgr]]]
        if target:
            move[mgr], new_team[mgr] = day, target[0]
            break
    return managers.with_columns(move_day=pl.Series(move), new_team_id=pl.Series(new_team))


def _month_start_days(start: dt.date | None, after: int, day_of_month: int) -> int:
    """The first day offset from `after` on that falls on `day_of_month` (start unknown:
    `after`)."""
    if start is None:
        return after
    day = after
    while (start + dt.timedelta(days=day)).day != day_of_month:
        day += 1
    return day


def build_world(
    n_customers: int, seed: int, rates: dict[str, float], start: dt.date | None = None
) -> World:
    faults: list[dict] = []
    orgs, outlets, org_codes, merge = build_orgs(n_customers, rng_for(seed, 0, 1))
    parties = build_parties(n_customers, rng_for(seed, 0, 2), outlets)
    records = build_records(parties, org_codes, outlets, rng_for(seed, 0, 3), rates, faults)
    accounts = build_accounts(records, parties, rng_for(seed, 0, 4))
    teams, managers, assignments, managed = build_crm(
        orgs,
        parties,
        accounts,
        rng_for(seed, 0, 5),
        rates,
        faults,
        drop_day=_month_start_days(start, HAND_OVER_AFTER, 2),
        move_day=_month_start_days(start, TEAM_MOVE_AFTER, 1),
    )
    parties = parties.with_columns(managed=pl.Series(managed))
    return World(
        seed,
        n_customers,
        orgs,
        outlets,
        org_codes,
        merge,
        parties,
        records,
        accounts,
        teams,
        managers,
        assignments,
        faults,
    )
