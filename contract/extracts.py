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
# rate (4 dp, annual percent), decimal, int
Column = tuple[str, str]

# the SQL (DuckDB) type of each column type, as ingest writes it to the raw zone
SQL_TYPES: dict[str, str] = {
    "str": "varchar",
    "date": "date",
    "ts": "timestamp",
    "time": "time_ns",  # polars writes nanosecond times
    "amount": "decimal(18, 2)",
    "rate": "decimal(10, 4)",
    "decimal": "decimal(18, 6)",
    "int": "bigint",
}


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

    @property
    def meaning(self) -> str:
        """What one row is."""
        return ROW_MEANINGS[self.name]

    def column_meaning(self, column: str) -> str:
        """What a column means in this entity (see MEANINGS)."""
        for table in (
            COLUMN_MEANINGS.get(f"{self.system}_{self.name}", {}),
            COLUMN_MEANINGS.get(self.name, {}),
            MEANINGS,
        ):
            if column in table:
                return table[column]
        raise KeyError(f"{self.system}_{self.name}.{column}: no meaning in contract.extracts")


_PERSONAL_CUST: tuple[Column, ...] = (
    ("cust_no", "str"),
    ("cust_name", "str"),
    ("id_type", "str"),
    ("id_no", "str"),
    ("gender", "str"),
    ("birth_date", "date"),
    ("mobile", "str"),
    ("address", "str"),
    ("org_code", "str"),
    ("cust_status", "str"),
    ("update_ts", "ts"),
)
_CORPORATE_CUST: tuple[Column, ...] = (
    ("cust_no", "str"),
    ("cust_name", "str"),
    ("id_type", "str"),
    ("id_no", "str"),
    ("industry_code", "str"),
    ("scale", "str"),
    ("reg_capital", "amount"),
    ("org_code", "str"),
    ("cust_status", "str"),
    ("update_ts", "ts"),
)
ACCT_COMMON: tuple[Column, ...] = (
    ("acct_no", "str"),
    ("cust_no", "str"),
    ("product_code", "str"),
    ("currency", "str"),
    ("org_code", "str"),
    ("open_date", "date"),
    ("close_date", "date"),
    ("acct_status", "str"),
    ("balance", "amount"),
    ("rate", "rate"),
)
ACCT_EXTRA: dict[str, tuple[Column, ...]] = {
    "SAV": (("term_months", "int"), ("maturity_date", "date")),
    "ACC": (("acct_kind", "str"),),
    "CRD": (
        ("contract_no", "str"),
        ("loan_amount", "amount"),
        ("maturity_date", "date"),
        ("five_class", "str"),
        ("overdue_days", "int"),
    ),
    "PLN": (
        ("loan_amount", "amount"),
        ("maturity_date", "date"),
        ("five_class", "str"),
        ("overdue_days", "int"),
        ("collateral_type", "str"),
    ),
    "CCS": (("credit_limit", "amount"), ("bill_day", "int")),
    "WMS": (("shares", "amount"), ("nav", "rate")),
    "HPF": (("monthly_contribution", "amount"),),
}
TXN_COLUMNS: tuple[Column, ...] = (
    ("txn_id", "str"),
    ("txn_date", "date"),
    ("txn_time", "time"),
    ("acct_no", "str"),
    ("dr_cr", "str"),
    ("amount", "amount"),
    ("currency", "str"),
    ("channel", "str"),
    ("txn_code", "str"),
    ("cp_acct_no", "str"),
    ("cp_name", "str"),
    ("cp_bank_code", "str"),
    ("reversal_of", "str"),
    ("org_code", "str"),
    ("balance_after", "amount"),
    ("remark", "str"),
)


def _legacy_entities(sys: str) -> list[Entity]:
    cust = _PERSONAL_CUST if SYSTEMS[sys].party_kind == "personal" else _CORPORATE_CUST
    return [
        Entity(sys, "CUST", cust, None, "delta", ("cust_no",)),
        Entity(sys, "ACCT", ACCT_COMMON + ACCT_EXTRA[sys], "balance", "delta", ("acct_no",)),
        Entity(sys, "TXN", TXN_COLUMNS, "amount", "day", ("txn_id",)),
    ]


def _modern(sys: str, name: str, cols: str, amount: str | None, snapshot: str, keys: str):
    typed = []
    for c in cols.split():
        n, _, t = c.partition(":")
        typed.append((n, t or "str"))
    return Entity(sys, name, tuple(typed), amount, snapshot, tuple(keys.split()))


_MODERN_ENTITIES = [
    _modern(
        "CRM",
        "MANAGER",
        "manager_id manager_name org_id team_id grade:int hire_date:date status",
        None,
        "full",
        "manager_id",
    ),
    _modern("CRM", "TEAM", "team_id team_name parent_team_id org_id", None, "full", "team_id"),
    _modern(
        "CRM",
        "ASSIGN",
        "assign_id manager_id sys acct_no share_pct:decimal purpose valid_from:date valid_to:date",
        None,
        "full",
        "assign_id",
    ),
    _modern(
        "CRM",
        "CONTACT",
        "contact_id manager_id sys cust_no contact_ts:ts method outcome",
        None,
        "day",
        "contact_id",
    ),
    _modern(
        "CRM",
        "TARGET",
        "period manager_id indicator target_value:decimal",
        None,
        "monthly",
        "period manager_id indicator",
    ),
    _modern(
        "CRM",
        "FEE",
        "entry_id period sys cust_no fee_type amount:amount entered_by entered_ts:ts",
        "amount",
        "day",
        "",
    ),
    _modern("PUB", "FXRATE", "currency rate_to_cny:decimal", None, "full", "currency"),
    _modern("PUB", "ORG", "org_id org_name parent_org_id org_level:int", None, "full", "org_id"),
    _modern(
        "PUB",
        "ORGMAP",
        "sys org_code org_id valid_from:date valid_to:date",
        None,
        "full",
        "sys org_code valid_from",
    ),
]

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
    "aum_adb",
    "vip_count",
    "new_customers",
    "loan_adb",
    "fee_income",
    "cross_sell",
    "contribution",
    "npl_ratio",
    "contact_compliance",
)


def cents_text(cents: int) -> str:
    """Integer cents as the `.OK` writes a control total: '1234.56', '-0.05'."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


# --- what the rows and columns mean -----------------------------------------------------
# In the project's words (docs/extracts.md tells the contract at length). The dbt sources
# and staging models take their descriptions from here (`crmwh codegen`).

ROW_MEANINGS: dict[str, str] = {
    "CUST": "customers as the system knows them, one row per customer number",
    "ACCT": "accounts with their end-of-day balance, one row per account number",
    "TXN": "transactions posted on the business date",
    "MANAGER": "customer managers 客户经理",
    "TEAM": "teams of managers: the department tree",
    "ASSIGN": "assignments of managers to source-system accounts, with shares and dates",
    "CONTACT": "contacts of managers with customers made on the business date",
    "TARGET": "monthly KPI targets per manager",
    "FEE": "intermediary and off-balance-sheet income entered by hand 贡献度数据补充",
    "FXRATE": "exchange rates to CNY",
    "ORG": "the bank's unified organisation tree",
    "ORGMAP": "each system's own branch codes mapped to unified organisations, with dates",
}

# A column name means the same in every entity that has it, unless COLUMN_MEANINGS
# says otherwise for the entity (key: entity name, or SYS_ENTITY, which wins).
MEANINGS: dict[str, str] = {
    # customers
    "cust_no": "the system's own customer number; one person can have one in every system",
    "cust_name": "name of the person or company as the system holds it (full-width "
    "characters, spaces and bracket style vary between systems)",
    "id_type": "kind of identity document: 01 resident ID card, 02 household register, "
    "03 passport, 04 HK/Macau permit, 05 Taiwan permit, 06 foreign permanent "
    "residence; for companies 21 unified social credit code, 22 organisation "
    "code, 23 business licence number",
    "id_no": "number of the identity document: an 18-digit resident ID with its check "
    "digit (SAV still holds old 15-digit ones), an 18-character social credit "
    "code or a 9-character organisation code; a wrong check character is a "
    "typing error",
    "gender": "1 male, 2 female",
    "birth_date": "date of birth",
    "mobile": "mobile phone number",
    "address": "postal address",
    "org_code": "the system's own code of the branch or outlet the row belongs to; every "
    "system codes branches its own way (PUB ORGMAP maps codes to org_id)",
    "cust_status": "0 normal, 1 closed, 2 frozen",
    "update_ts": "when the system last changed the customer",
    "industry_code": "industry, GB/T 4754: a letter and 2 digits",
    "scale": "size of the company: 1 large, 2 medium, 3 small, 4 micro",
    "reg_capital": "registered capital, CNY",
    # accounts
    "acct_no": "the system's own account number",
    "product_code": "the account's product (e.g. SAV-DD demand savings, PLN-MTG mortgage); "
    "decides whether the balance counts as AUM",
    "currency": "currency, ISO 4217 (CNY, USD, HKD, EUR)",
    "open_date": "date the account was opened",
    "close_date": "date the account was closed; empty while open",
    "acct_status": "0 normal, 1 closed, 2 frozen, 3 dormant 久悬",
    "balance": "end-of-day balance on the business date, in the account's currency: money "
    "the bank holds for the customer (deposits) or is owed (loans)",
    "rate": "annual interest rate in percent (2.1500 = 2.15%)",
    "term_months": "term of the deposit in months; 0 = demand",
    "maturity_date": "date the deposit or loan matures",
    "acct_kind": "kind of corporate account: 1 basic 基本户, 2 general 一般户, "
    "3 special 专用户, 4 temporary 临时户",
    "contract_no": "number of the loan contract",
    "loan_amount": "amount lent, in the account's currency",
    "five_class": "five-level loan classification: 1 normal, 2 special mention, "
    "3 substandard, 4 doubtful, 5 loss (3 to 5 are non-performing)",
    "overdue_days": "days the loan is past due; 0 when paid on time",
    "collateral_type": "kind of collateral securing the loan",
    "credit_limit": "the card's credit limit, in the account's currency",
    "bill_day": "day of the month the card's statement is drawn",
    "shares": "units of the product held 份额",
    "nav": "net asset value per unit, 4 decimals",
    "monthly_contribution": "amount paid into the provident-fund account every month",
    # transactions
    "txn_id": "the system's transaction id; the same transaction is sometimes delivered "
    "twice, in one file or on two days",
    "txn_date": "date the transaction was posted",
    "txn_time": "time of day the transaction was posted",
    "dr_cr": "D debit (money out of a deposit; drawdown or purchase on a loan or card) or C credit",
    "amount": "amount of the transaction, always positive, in its currency; dr_cr gives the direction",
    "channel": "01 counter, 02 ATM, 03 online banking, 04 mobile, 05 POS, 06 batch, "
    "07 system (interest, fees)",
    "txn_code": "kind of transaction (e.g. 1001 cash deposit, 1102 transfer with another "
    "bank, 1201 salary credit, 2101 service fee, 9001 reversal)",
    "cp_acct_no": "the counterparty's account number",
    "cp_name": "the counterparty's name",
    "cp_bank_code": "the counterparty's 12-digit bank code; any code but the bank's own "
    f"({OWN_BANK_CODE}) is money leaving or entering the bank",
    "reversal_of": "for a reversal 冲正, the txn_id it cancels (sometimes posted on an "
    "earlier day); it has the opposite dr_cr and the same amount",
    "balance_after": "the account's balance after the transaction; the day's last one "
    "equals the end-of-day balance",
    "remark": "free text entered with the transaction",
    # CRM
    "manager_id": "the customer manager (CRM MANAGER)",
    "manager_name": "the manager's name",
    "org_id": "the unified organisation (PUB ORG) the row belongs to",
    "team_id": "the manager's team (CRM TEAM)",
    "grade": "the manager's grade, 1 to 10",
    "hire_date": "date the manager was hired",
    "status": "active or left",
    "team_name": "the team's name",
    "parent_team_id": "the team above this one; empty at the top of the tree",
    "assign_id": "id of the assignment",
    "share_pct": "the manager's share of the account, 0 to 100; the assess shares of an "
    "account on a day should add up to at most 100, the rest belongs to the "
    "account's organisation",
    "purpose": "assess (counts for the manager's performance) or watch (follow only)",
    "valid_from": "first day the row holds",
    "valid_to": "day the row stops holding; empty while it holds",
    "contact_id": "id of the contact",
    "contact_ts": "when the contact took place",
    "method": "phone, visit, wechat or sms; CRM may add codes without notice",
    "outcome": "reached, interested, declined or no_answer; CRM may add codes without notice",
    "period": "month, YYYYMM",
    "indicator": "the KPI the target is for: " + ", ".join(KPI_INDICATORS),
    "target_value": "the value the manager should reach for the indicator in the month",
    "entry_id": "id of the entry; a later row with the same entry_id corrects an earlier one",
    "fee_type": "kind of income",
    "entered_by": "who entered the row in CRM",
    "entered_ts": "when the row was entered",
    # reference data
    "rate_to_cny": "CNY for one unit of the currency (1 for CNY)",
    "org_name": "the organisation's name",
    "parent_org_id": "the organisation above this one; empty for the head office",
    "org_level": "1 head office, 2 tier-1 branch, 3 city branch, 4 sub-branch 支行, 5 outlet 网点",
}

COLUMN_MEANINGS: dict[str, dict[str, str]] = {
    "TXN": {
        "currency": "currency of the amount, ISO 4217 (CNY, USD, HKD, EUR)",
        "org_code": "the system's own code of the branch or outlet of the account; every "
        "system codes branches its own way (PUB ORGMAP maps codes to org_id)",
    },
    "CCS_ACCT": {
        "balance": "what the cardholder owes at the end of the business date (0 or more), "
        "in the account's currency",
    },
    "WMS_ACCT": {
        "balance": "market value of the position at the end of the business date "
        "(shares × nav), in the account's currency",
    },
    "HPF_ACCT": {
        "balance": "end-of-day balance of the provident-fund account, held as agent (not AUM)",
    },
    "SAV_ACCT": {"maturity_date": "date the time deposit matures"},
    "MANAGER": {
        "manager_id": "the manager's id in CRM",
        "org_id": "the unified organisation (PUB ORG) the manager works in",
    },
    "TEAM": {
        "team_id": "the team's id",
        "org_id": "the unified organisation (PUB ORG) the team belongs to",
    },
    "ASSIGN": {
        "manager_id": "the manager assigned (CRM MANAGER)",
        "sys": "the source system that holds the account (SAV, ACC, ...)",
        "acct_no": "the account assigned, numbered as in system sys",
        "valid_from": "first day the assignment holds",
        "valid_to": "day the assignment ends; empty while open",
    },
    "CONTACT": {
        "manager_id": "the manager who made the contact (CRM MANAGER)",
        "sys": "the source system whose customer number cust_no is",
        "cust_no": "the customer contacted, numbered as in system sys",
    },
    "TARGET": {
        "period": "month the target is for, YYYYMM",
        "manager_id": "the manager the target is set for (CRM MANAGER)",
    },
    "FEE": {
        "period": "month the income belongs to, YYYYMM",
        "sys": "the source system whose customer number cust_no is",
        "cust_no": "the customer the income comes from, numbered as in system sys",
        "amount": "the income entered",
    },
    "FXRATE": {"currency": "the currency the rate is for, ISO 4217"},
    "ORG": {"org_id": "the unified organisation's id"},
    "ORGMAP": {
        "sys": "the source system the code belongs to",
        "org_code": "a system's own branch or outlet code, as in its CUST, ACCT and TXN files",
        "org_id": "the unified organisation (PUB ORG) the code stands for",
        "valid_from": "first day the mapping holds",
        "valid_to": "day the mapping stops holding (outlets merge, codes move); empty while it holds",
    },
}
