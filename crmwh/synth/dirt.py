"""Rates of the dirt real extracts contain (contract, "What real extracts contain").

Each rate is a probability per eligible unit (record, row, batch) named in the comment.
`none` is clean data; `default` is a realistic few per thousand; `heavy` is for fault tests.
"""

from __future__ import annotations

KINDS = (
    "old_15_digit_id",  # 1  per SAV record of a person with id_type 01 known elsewhere
    "name_variant",  # 2  per source customer record (full-width, spaces, bracket style)
    "invalid_check_digit",  # 3  per source customer record with a checked number
    "corp_org_code_only",  # 4  per CRD record of a company that ACC knows by its USCC
    "duplicate_txn",  # 5  per transaction (same file or next day's file)
    "late_reversal",  # 6  per reversal: posted on a later day than the original
    "broken_line",  # 7a per transaction row with a remark: newline inside the remark
    "wrong_field_count",  # 7b per transaction row
    "bad_bytes",  # 8  per transaction row with a remark: bytes that are not GB18030
    "ok_mismatch",  # 9  per legacy batch: truncated data file
    "late_batch",  # 10a per batch: its .OK arrives after the next day's batch
    "restatement",  # 10b per legacy or CRM batch: re-delivered with version 2
    "balance_chain_break",  # 11 per account-day with transactions: a posting missing
    "org_merge",  # 12 one outlet merge inside the period (at every dirt level)
    "share_over_100",  # 13 per shared account: overlapping assess shares for some days
)

RATES: dict[str, dict[str, float]] = {
    "none": {k: 0.0 for k in KINDS},
    "default": {
        "old_15_digit_id": 0.03,
        "name_variant": 0.02,
        "invalid_check_digit": 0.003,
        "corp_org_code_only": 0.05,
        "duplicate_txn": 0.002,
        "late_reversal": 0.3,
        "broken_line": 0.001,
        "wrong_field_count": 0.0005,
        "bad_bytes": 0.0005,
        "ok_mismatch": 0.004,
        "late_batch": 0.004,
        "restatement": 0.004,
        "balance_chain_break": 0.0005,
        "share_over_100": 0.05,
    },
    "heavy": {
        "old_15_digit_id": 0.2,
        "name_variant": 0.1,
        "invalid_check_digit": 0.02,
        "corp_org_code_only": 0.3,
        "duplicate_txn": 0.01,
        "late_reversal": 0.5,
        "broken_line": 0.005,
        "wrong_field_count": 0.003,
        "bad_bytes": 0.003,
        "ok_mismatch": 0.1,
        "late_batch": 0.1,
        "restatement": 0.1,
        "balance_chain_break": 0.003,
        "share_over_100": 0.3,
    },
}
# reversals themselves are business, not dirt: this share of customer-initiated postings
REVERSAL_RATE = 0.002
# a late batch's .OK arrives this many days after its business date (after D+1's batch)
LATE_BY_DAYS = 2
# a restated batch's version 2 arrives this many days after its business date
RESTATED_AFTER_DAYS = 3
# the outlet merge happens this many days after the first business date
MERGE_AFTER_DAYS = 20


def rates(level: str) -> dict[str, float]:
    if level not in RATES:
        raise ValueError(f"--dirt must be one of {', '.join(RATES)}, not {level!r}")
    r = dict(RATES[level])
    r.setdefault("org_merge", 1.0)
    return r
