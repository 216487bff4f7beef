"""The bank's identity key inside dbt, and the guard that keeps one key per warehouse.

`party_id` is an HMAC-SHA256 of the match key under the identity key (spec section 1, rule
7), computed in SQL by the `keyed_hash` macro (dbt/macros/identity.sql) from two DuckDB
session variables, `crmwh_ipad` and `crmwh_opad`: the key's RFC 2104 padded forms. `Plugin`
is a dbt-duckdb plugin (dbt/profiles.yml, `plugins:`) that sets them on every connection and
every cursor dbt opens (variables belong to one connection, and dbt runs a cursor per
thread), with parameters: the key is in no SQL text, compiled file, manifest or log.

`check_key` runs before every dbt build: party ids under two keys would mix in the
incremental and closed-month tables, so a work file remembers the key its parties were built
under (its fingerprint, `meta.identity_key`) and a build under another key stops.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import duckdb
from dbt.adapters.duckdb.plugins import BasePlugin

from marts.masking import KEY_ENV, dev_key_path, hmac_hex, identity_key, key_id, set_key_variables


class Plugin(BasePlugin):
    """Sets `crmwh_ipad`/`crmwh_opad` on dbt's DuckDB connection and on each of its cursors."""

    def initialize(self, plugin_config):
        self._key = identity_key()  # read once per dbt process

    def configure_connection(self, conn):
        set_key_variables(conn, self._key)

    def configure_cursor(self, cursor):
        set_key_variables(cursor, self._key)


DDL = """
create schema if not exists meta;
create table if not exists meta.identity_key(
    key_id varchar not null,        -- marts.masking.key_id: names the key, reveals nothing
    recorded_at timestamp not null, -- UTC, the first build of the parties
    run_id varchar);
"""


class IdentityKeyChanged(RuntimeError):
    """The identity key is not the one the work file's parties were built under."""


def check_key(work: Path, key: bytes, run_id: str | None = None) -> str:
    """The key's fingerprint, recorded in `meta.identity_key` on the warehouse's first
    build. Raises `IdentityKeyChanged` when the recorded key is another one, or when parties
    exist with no record and are not HMACs under `key` (built before ids were keyed)."""
    new = key_id(key)
    with duckdb.connect(str(work)) as con:
        con.execute(DDL)
        row = con.execute("select key_id from meta.identity_key").fetchone()
        if row is not None:
            if row[0] != new:
                raise IdentityKeyChanged(_changed(work, f"were built under key {row[0]}", new))
            return new
        party = _a_party(con)
        if party is not None and party[0] != "PT" + hmac_hex(key, [party[1]])[0][:20]:
            raise IdentityKeyChanged(
                _changed(
                    work,
                    "have no recorded key and ids that are not HMACs under the current one "
                    "(another key, or the unkeyed md5 of versions before ids were keyed)",
                    new,
                )
            )
        con.execute(
            "insert into meta.identity_key values (?, ?, ?)",
            [new, dt.datetime.now(dt.UTC).replace(tzinfo=None), run_id],
        )
    return new


def _a_party(con: duckdb.DuckDBPyConnection) -> tuple[str, str] | None:
    """(party_id, match_key) of one built party; None before the first build."""
    exists = con.execute(
        "select 1 from duckdb_tables() where schema_name = 'core' and table_name = 'dim_customer'"
    ).fetchone()
    if exists is None:
        return None
    return con.execute("select party_id, match_key from core.dim_customer limit 1").fetchone()


def _changed(work: Path, parties: str, now: str) -> str:
    source = KEY_ENV if os.environ.get(KEY_ENV) else f"the development key {dev_key_path()}"
    data = work.parent.parent
    return (
        f"the identity key changed: the parties in {work} {parties}, and "
        f"{source} is key {now} (fingerprints, not keys). Party ids are HMACs under the key: "
        "building now would mix ids of two keys in the incremental tables and closed months, "
        "so nothing was built and the published marts are unchanged. Either restore the key "
        f"that built this warehouse (set {KEY_ENV} to it), or rebuild the warehouse under the "
        "new key in a fresh data folder over the same landing folder: `crmwh run --landing "
        f"LANDING --data NEW_DATA` (every batch ingested again, every month recomputed), then "
        f"let readers use NEW_DATA instead of {data} (a development warehouse with nothing to "
        "keep: remove its data folder and run again)."
    )
