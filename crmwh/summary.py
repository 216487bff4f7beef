"""What the core layers hold after a run: a few counts an operator can check at a glance."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb

COUNTS = {
    "parties": "select count(*) from core.dim_customer",
    "source customer records": "select count(*) from core.bridge_customer_xref",
    "identities to review": "select count(*) from core.exc_customer_review_queue",
    "accounts": "select count(*) from core.dim_account",
    "balance intervals": "select count(*) from core.fct_balance",
    "transactions": "select count(*) from core.fct_transaction",
    "duplicate deliveries dropped": "select count(*) from core.exc_transaction_duplicates",
    "reversals": "select count(*) from core.fct_transaction where is_reversal",
    "reconciliation breaks": "select count(*) from core.exc_balance_reconciliation",
    "credit-share overflows": "select count(*) from core.exc_credit_share_overflows",
}


def core_summary(warehouse: Path) -> str:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        counts = {name: con.execute(sql).fetchone()[0] for name, sql in COUNTS.items()}
    return "core: " + ", ".join(f"{name} {n:,}" for name, n in counts.items())


def _money(x: float | None) -> str:
    return "-" if x is None else f"{x:,.2f}"


def marts_summary(warehouse: Path) -> str:
    """Customers per tier and tier status (latest finished month), the top contributors
    (latest month), alert firings per rule and the managers scored: what a manager would
    look at first."""
    lines = []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = {
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        }
        if "mart_vip_tier" in tables:
            period = con.execute("select max(period) from marts.mart_vip_tier").fetchone()[0]
            tiers = con.execute(
                "select tier, count(*) from marts.mart_vip_tier where period = ? "
                "group by tier, tier_rank order by tier_rank",
                [period],
            ).fetchall()
            statuses = con.execute(
                "select tier_status, count(*) from marts.mart_vip_tier group by 1 order by 1"
            ).fetchall()
            lines.append(
                f"VIP tiers {period}: "
                + ", ".join(f"{t} {n:,}" for t, n in tiers)
                + "; statuses over all months: "
                + ", ".join(f"{s} {n:,}" for s, n in statuses)
            )
        if "mart_customer_contribution" in tables:
            period, total = con.execute(
                "select period, sum(contribution) from marts.mart_customer_contribution "
                "group by period order by bool_or(is_finished) desc, period desc limit 1"
            ).fetchone()  # the latest finished month, else the month to date
            top = con.execute(
                "select party_id, segment, contribution from marts.mart_customer_contribution "
                "where period = ? order by contribution desc limit 3",
                [period],
            ).fetchall()
            lines.append(
                f"contribution {period} {_money(total)} CNY; top: "
                + ", ".join(f"{p} ({s}) {_money(c)}" for p, s, c in top)
            )
        if "mart_alerts" in tables:
            # firings only: the opening state of the first loaded date is not news
            alerts = con.execute(
                "select rule_id, count(*) from marts.mart_alerts where not is_baseline "
                "group by 1 order by 1"
            ).fetchall()
            (baseline,) = con.execute(
                "select count(*) from marts.mart_alerts where is_baseline"
            ).fetchone()
            lines.append(
                "alerts: "
                + (", ".join(f"{r} {n:,}" for r, n in alerts) or "none")
                + (f" (and {baseline:,} states recorded as the opening state)" if baseline else "")
            )
        if "mart_manager_kpi" in tables:
            period, managers, best, score = con.execute(
                "select period, count(*) over (partition by period), manager_id, score "
                "from marts.mart_manager_kpi where indicator = 'total' "
                "order by period desc, score desc limit 1"
            ).fetchone()
            lines.append(
                f"manager KPI {period}: {managers:,} managers scored, best {best} ({score:.1f})"
            )
        lines += _month_close_lines(con)
    return "\n".join(lines)


def _month_close_lines(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Which months are closed (kept as computed) and what waits for a restatement."""
    found = {
        f"{s}.{t}"
        for s, t in con.execute(
            "select table_schema, table_name from information_schema.tables"
        ).fetchall()
    }
    if "meta.month_close" not in found:
        return []
    closed = con.execute("select min(period), max(period) from meta.month_close").fetchone()
    lines = [
        "month close: "
        + (f"closed {closed[0]}..{closed[1]} (kept as computed)" if closed[0] else "no month closed yet")
    ]
    if "quality.pending_restatements" in found:
        pending = con.execute(
            "select period, count(*) from quality.pending_restatements group by 1 order by 1"
        ).fetchall()
        for period, n in pending:
            lines.append(
                f"  {n} late or restated batch(es) of closed month {period} wait: "
                f"crmwh restate --period {period} (quality.pending_restatements)"
            )
    return lines


def failed_checks(result) -> list[str]:
    """Failed `error` checks of a Dagster run, with what they observed."""
    if result is None:
        return []
    out = []
    for e in result.get_asset_check_evaluations():
        if e.passed or e.severity != dg.AssetCheckSeverity.ERROR:
            continue
        failed = e.metadata.get("failed_errors")
        detail = f" ({', '.join(failed.value)})" if failed is not None else ""
        out.append(f"{e.asset_key.to_user_string()}: {e.check_name}{detail}")
    return out


def where_to_look(data: Path) -> str:
    """The paths an analyst, a BI tool and an auditor need after a run."""
    data = Path(data)
    places = [
        ("published marts, whole bank (the data team's DuckDB)", data / "warehouse" / "crm.duckdb"),
        ("Parquet exports, whole bank (one folder per organisation)", data / "exports" / "orgs"),
        ("readers' files per role and organisation", data / "published"),
        ("dbt docs (make docs)", data / "docs" / "dbt" / "static_index.html"),
        ("Great Expectations Data Docs", data / "docs" / "gx" / "index.html"),
        ("lineage report", data / "docs" / "lineage.html"),
        ("analyst notebooks, rendered (make notebooks)", data / "reports" / "index.html"),
        ("raw zone", data / "raw"),
        ("work file (runs write it; readers never open it)", data / "warehouse" / "work.duckdb"),
    ]
    width = max(len(name) for name, _ in places)
    return "\n".join(
        f"{name:<{width}}  {path}" + ("" if path.exists() else "  (not yet made)")
        for name, path in places
    )
