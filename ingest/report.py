"""A short text report of the audit tables, for the command line and the demo."""

from __future__ import annotations

from pathlib import Path

import duckdb


def audit_report(warehouse: Path) -> str:
    if not warehouse.exists():
        return "no warehouse yet"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        status = con.execute(
            "select status, count(*), coalesce(sum(rows_in), 0), coalesce(sum(rows_loaded), 0), "
            "coalesce(sum(rows_quarantined), 0) from audit_batch group by status order by status"
        ).fetchall()
        reasons = con.execute(
            "select q.reason, count(*) from quarantine_rows q join audit_batch b using (sys, ok_md5) "
            "where b.is_current group by q.reason order by q.reason"
        ).fetchall()
        broken = con.execute(
            "select count(*) from audit_file where rows_in <> rows_loaded + rows_quarantined "
            "+ rows_rejected"
        ).fetchone()[0]
        rejected = con.execute(
            "select sys, strftime(biz_date, '%Y%m%d'), reason from audit_batch "
            "where status = 'rejected' order by biz_date, sys limit 5"
        ).fetchall()
        dups = con.execute("select count(*) from duplicate_keys").fetchone()[0]
        strays = con.execute(
            "select reason, count(*) from audit_landing group by reason order by reason"
        ).fetchall()
        changed = con.execute(
            "select c.file, c.md5_at_load, c.md5_now from changed_after_load c "
            "join audit_batch b using (sys, biz_date, ok_md5) where b.is_current order by c.file"
        ).fetchall()
    lines = ["audit_batch:"]
    lines += [
        f"  {s:<11} {n:>6} batches  rows in {i:>12,}  loaded {lo:>12,}  quarantined {q:>7,}"
        for s, n, i, lo, q in status
    ]
    lines.append(
        "quarantined rows of current batches: " + (", ".join(f"{r} {n}" for r, n in reasons) or "none")
    )
    lines.append(f"repeated keys kept for the dbt layer to drop (duplicate_keys): {dups}")
    lines += [f"  rejected {s} {d}: {why[:120]}" for s, d, why in rejected]
    lines.append(f"files where rows in != loaded + quarantined + rejected: {broken}")
    lines.append(
        "landing entries outside any batch (audit_landing): "
        + (", ".join(f"{r} {n}" for r, n in strays) or "none")
    )
    lines += [f"  changed after load: {f} (md5 {a} at load, {b} now)" for f, a, b in changed]
    return "\n".join(lines)
