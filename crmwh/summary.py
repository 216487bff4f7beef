"""What the core layers hold after a run: a few counts an operator can check at a glance."""

from __future__ import annotations

from pathlib import Path

import duckdb

COUNTS = {
    "parties": "select count(*) from core.dim_customer",
    "source customer records": "select count(*) from core.customer_xref",
    "identities to review": "select count(*) from core.customer_review_queue",
    "accounts": "select count(*) from core.dim_account",
    "balance intervals": "select count(*) from core.fct_balance",
    "transactions": "select count(*) from core.fct_transaction",
    "duplicate deliveries dropped": "select count(*) from core.transaction_duplicates",
    "reversals": "select count(*) from core.fct_transaction where is_reversal",
    "reconciliation breaks": "select count(*) from core.fct_balance_reconciliation",
    "credit-share overflows": "select count(*) from core.credit_share_overflows",
}


def core_summary(warehouse: Path) -> str:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        counts = {name: con.execute(sql).fetchone()[0] for name, sql in COUNTS.items()}
    return "core: " + ", ".join(f"{name} {n:,}" for name, n in counts.items())
