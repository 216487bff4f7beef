"""The extract contract as data (docs/extracts.md tells it in words).

One declaration per system and entity: file name, family (encoding, separator,
header), columns with their types, and the amount column that the `.OK` control
total sums. The generator, the readers, the checks and the docs all read these
declarations instead of repeating them.
"""

from __future__ import annotations

from dataclasses import dataclass

# --- formats --------------------------------------------------------------------------


@dataclass(frozen=True)
class Family:
    name: str
    encoding: str
    separator: str
    header: bool
    extension: str


LEGACY = Family("legacy", "gb18030", "|+|", header=False, extension="dat")
MODERN = Family("modern", "utf-8", ",", header=True, extension="csv")

OWN_BANK_CODE = "105100000017"

# --- systems --------------------------------------------------------------------------


@dataclass(frozen=True)
class System:
    code: str
    name: str
    family: Family
    party_kind: str | None  # personal | corporate | None (CRM, PUB)


SYSTEMS: dict[str, System] = {
    s.code: s
    for s in [
        System("SAV", "personal savings 个人储蓄", LEGACY, "personal"),
        System("ACC", "corporate accounting 对公会计", LEGACY, "corporate"),
        System("CRD", "credit 信贷", LEGACY, "corporate"),
        System("PLN", "personal loans 个贷", LEGACY, "personal"),
        System("CCS", "credit card 信用卡", LEGACY, "personal"),
        System("WMS", "wealth 理财/代销", LEGACY, "personal"),
        System("HPF", "housing provident fund 公积金", LEGACY, "personal"),
        System("CRM", "OCRM operational system", MODERN, None),
        System("PUB", "reference data", MODERN, None),
    ]
}
LEGACY_SYSTEMS = [s for s, v in SYSTEMS.items() if v.family is LEGACY]
PERSONAL_SYSTEMS = ["SAV", "PLN", "CCS", "WMS", "HPF"]
CORPORATE_SYSTEMS = ["ACC", "CRD"]

# --- entities -------------------------------------------------------------------------

# column types: str, date (YYYYMMDD), ts (YYYYMMDDHHMMSS), time (HHMMSS), amount (2 dp),
# rate (4 dp, annual percent), int
Column = tuple[str, str]


@dataclass(frozen=True)
class Entity:
    system: str
    name: str
    columns: tuple[Column, ...]
    amount_column: str | None
    snapshot: str  # full | delta | day (rows of D only) | monthly
    keys: tuple[str, ...] = ()

    @property
    def family(self) -> Family:
        return SYSTEMS[self.system].family

    @property
    def column_names(self) -> list[str]:
        return [c for c, _ in self.columns]

    def file_name(self, biz_date: str) -> str:
        return f"{self.system}_{self.name}_{biz_date}.{self.family.extension}"


_PERSONAL_CUST: tuple[Column, ...] = (
    ("cust_no", "str"), ("cust_name", "str"), ("id_type", "str"), ("id_no", "str"),
    ("gender", "str"), ("birth_date", "date"), ("mobile", "str"), ("address", "str"),
    ("org_code", "str"), ("cust_status", "str"), ("update_ts", "ts"),
)  # fmt: skip
_CORPORATE_CUST: tuple[Column, ...] = (
    ("cust_no", "str"), ("cust_name", "str"), ("id_type", "str"), ("id_no", "str"),
    ("industry_code", "str"), ("scale", "str"), ("reg_capital", "amount"),
    ("org_code", "str"), ("cust_status", "str"), ("update_ts", "ts"),
)  # fmt: skip
_ACCT_COMMON: tuple[Column, ...] = (
    ("acct_no", "str"), ("cust_no", "str"), ("product_code", "str"), ("currency", "str"),
    ("org_code", "str"), ("open_date", "date"), ("close_date", "date"),
    ("acct_status", "str"), ("balance", "amount"), ("rate", "rate"),
)  # fmt: skip
ACCT_EXTRA: dict[str, tuple[Column, ...]] = {
    "SAV": (("term_months", "int"), ("maturity_date", "date")),
    "ACC": (("acct_kind", "str"),),
    "CRD": (("contract_no", "str"), ("loan_amount", "amount"), ("maturity_date", "date"),
            ("five_class", "str"), ("overdue_days", "int")),
    "PLN": (("loan_amount", "amount"), ("maturity_date", "date"), ("five_class", "str"),
            ("overdue_days", "int"), ("collateral_type", "str")),
    "CCS": (("credit_limit", "amount"), ("bill_day", "int")),
    "WMS": (("shares", "amount"), ("nav", "rate")),
    "HPF": (("monthly_contribution", "amount"),),
}  # fmt: skip
TXN_COLUMNS: tuple[Column, ...] = (
    ("txn_id", "str"), ("txn_date", "date"), ("txn_time", "time"), ("acct_no", "str"),
    ("dr_cr", "str"), ("amount", "amount"), ("currency", "str"), ("channel", "str"),
    ("txn_code", "str"), ("cp_acct_no", "str"), ("cp_name", "str"), ("cp_bank_code", "str"),
    ("reversal_of", "str"), ("org_code", "str"), ("balance_after", "amount"), ("remark", "str"),
)  # fmt: skip


def _legacy_entities(sys: str) -> list[Entity]:
    cust = _PERSONAL_CUST if SYSTEMS[sys].party_kind == "personal" else _CORPORATE_CUST
    return [
        Entity(sys, "CUST", cust, None, "delta", ("cust_no",)),
        Entity(sys, "ACCT", _ACCT_COMMON + ACCT_EXTRA[sys], "balance", "delta", ("acct_no",)),
        Entity(sys, "TXN", TXN_COLUMNS, "amount", "day", ("txn_id",)),
    ]


def _modern(sys: str, name: str, cols: str, amount: str | None, snapshot: str, keys: str):
    typed = []
    for c in cols.split():
        n, _, t = c.partition(":")
        typed.append((n, t or "str"))
    return Entity(sys, name, tuple(typed), amount, snapshot, tuple(keys.split()))


_MODERN_ENTITIES = [
    _modern("CRM", "MANAGER", "manager_id manager_name org_id team_id grade:int "
            "hire_date:date status", None, "full", "manager_id"),
    _modern("CRM", "TEAM", "team_id team_name parent_team_id org_id", None, "full", "team_id"),
    _modern("CRM", "ASSIGN", "assign_id manager_id sys acct_no share_pct:decimal purpose "
            "valid_from:date valid_to:date", None, "full", "assign_id"),
    _modern("CRM", "CONTACT", "contact_id manager_id sys cust_no contact_ts:ts method outcome",
            None, "day", "contact_id"),
    _modern("CRM", "TARGET", "period manager_id indicator target_value:decimal", None,
            "monthly", "period manager_id indicator"),
    _modern("CRM", "FEE", "entry_id period sys cust_no fee_type amount:amount entered_by "
            "entered_ts:ts", "amount", "day", ""),
    _modern("PUB", "FXRATE", "currency rate_to_cny:decimal", None, "full", "currency"),
    _modern("PUB", "ORG", "org_id org_name parent_org_id org_level:int", None, "full", "org_id"),
    _modern("PUB", "ORGMAP", "sys org_code org_id valid_from:date valid_to:date", None, "full",
            "sys org_code valid_from"),
]  # fmt: skip

ENTITIES: dict[tuple[str, str], Entity] = {
    (e.system, e.name): e
    for e in [x for s in LEGACY_SYSTEMS for x in _legacy_entities(s)] + _MODERN_ENTITIES
}


def entities_of(sys: str) -> list[Entity]:
    return [e for (s, _), e in ENTITIES.items() if s == sys]


def batch_entities(sys: str, biz_date: str) -> list[Entity]:
    """The files a batch lists: TARGET only on the 1st of a month."""
    return [e for e in entities_of(sys) if e.snapshot != "monthly" or biz_date.endswith("01")]


def ok_file_name(sys: str, biz_date: str) -> str:
    return f"{sys}_{biz_date}.OK"


# --- code tables ----------------------------------------------------------------------


@dataclass(frozen=True)
class Product:
    code: str
    system: str
    name: str
    kind: str  # deposit | loan | card | wealth | agency
    is_aum: bool


PRODUCTS: dict[str, Product] = {
    p.code: p
    for p in [
        Product("SAV-DD", "SAV", "demand savings 活期储蓄", "deposit", True),
        *[
            Product(f"SAV-TD{t}", "SAV", f"time deposit 整存整取 {t}", "deposit", True)
            for t in ("3M", "6M", "1Y", "2Y", "3Y", "5Y")
        ],
        Product("SAV-PB", "SAV", "passbook 定期一本通", "deposit", True),
        Product("ACC-DD", "ACC", "corporate demand 单位活期", "deposit", True),
        Product("ACC-TD", "ACC", "corporate time 单位定期", "deposit", True),
        Product("ACC-NT", "ACC", "call deposit 通知存款", "deposit", True),
        Product("ACC-MG", "ACC", "margin deposit 保证金", "deposit", True),
        Product("CRD-WC", "CRD", "working-capital loan", "loan", False),
        Product("CRD-FA", "CRD", "fixed-asset loan", "loan", False),
        Product("CRD-TF", "CRD", "trade-finance loan", "loan", False),
        Product("PLN-MTG", "PLN", "mortgage", "loan", False),
        Product("PLN-CON", "PLN", "consumer loan", "loan", False),
        Product("PLN-BIZ", "PLN", "business loan", "loan", False),
        Product("PLN-CAR", "PLN", "car loan", "loan", False),
        Product("CCS-STD", "CCS", "standard card", "card", False),
        Product("CCS-GLD", "CCS", "gold card", "card", False),
        Product("CCS-PLT", "CCS", "platinum card", "card", False),
        Product("WMS-WMP", "WMS", "wealth product 理财", "wealth", True),
        Product("WMS-FND", "WMS", "fund 基金", "wealth", True),
        Product("WMS-INS", "WMS", "insurance 保险", "wealth", True),
        Product("HPF-STD", "HPF", "provident-fund account 公积金", "agency", False),
    ]
}


@dataclass(frozen=True)
class TxnCode:
    code: str
    name: str
    customer_initiated: bool
    flag: str | None  # outflow | salary | fee | reversal


TXN_CODES: dict[str, TxnCode] = {
    t.code: t
    for t in [
        TxnCode("1001", "cash deposit 现金存入", True, None),
        TxnCode("1002", "cash withdrawal 现金支取", True, None),
        TxnCode("1101", "transfer within the bank 行内转账", True, None),
        TxnCode("1102", "transfer with another bank 跨行转账", True, "outflow"),
        TxnCode("1201", "salary credit 代发工资", False, "salary"),
        TxnCode("1301", "card purchase 消费", True, None),
        TxnCode("1302", "card cash advance 取现", True, None),
        TxnCode("1401", "loan drawdown 贷款发放", False, None),
        TxnCode("1402", "loan repayment 贷款还款", True, None),
        TxnCode("1501", "wealth purchase 申购", True, None),
        TxnCode("1502", "wealth redemption 赎回", True, None),
        TxnCode("1601", "provident contribution 缴存", False, None),
        TxnCode("1602", "provident withdrawal 提取", True, None),
        TxnCode("2001", "interest 结息", False, None),
        TxnCode("2101", "service fee 手续费", False, "fee"),
        TxnCode("2102", "card annual fee 年费", False, "fee"),
        TxnCode("9001", "reversal 冲正", False, "reversal"),
    ]
}

CODE_SETS: dict[str, set[str]] = {
    "personal_id_type": {"01", "02", "03", "04", "05", "06"},
    "corporate_id_type": {"21", "22", "23"},
    "gender": {"1", "2"},
    "scale": {"1", "2", "3", "4"},
    "cust_status": {"0", "1", "2"},
    "acct_status": {"0", "1", "2", "3"},
    "acct_kind": {"1", "2", "3", "4"},
    "five_class": {"1", "2", "3", "4", "5"},
    "dr_cr": {"D", "C"},
    "channel": {"01", "02", "03", "04", "05", "06", "07"},
    "currency": {"CNY", "USD", "HKD", "EUR"},
    "txn_code": set(TXN_CODES),
    "product_code": set(PRODUCTS),
    "org_level": {"1", "2", "3", "4", "5"},
    "assign_purpose": {"assess", "watch"},
    "manager_status": {"active", "left"},
    "ok_mode": {"FULL", "DELTA"},
}

KPI_INDICATORS = (
    "aum_adb", "vip_count", "new_customers", "loan_adb", "fee_income",
    "cross_sell", "contribution", "npl_ratio", "contact_compliance",
)  # fmt: skip


def cents_text(cents: int) -> str:
    """Integer cents as the `.OK` writes a control total: '1234.56', '-0.05'."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"
