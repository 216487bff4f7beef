"""Where the warehouse lives. Defaults are the project's folders under the working
directory; `CRMWH_LANDING` and `CRMWH_DATA` (read when a run starts) override them, so
others can run their own landing folders through the same definitions."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg


class WarehousePaths(dg.ConfigurableResource):
    landing_dir: str = ""  # empty: $CRMWH_LANDING, else data/landing
    data_dir: str = ""  # empty: $CRMWH_DATA, else data

    @property
    def landing(self) -> Path:
        return Path(self.landing_dir or os.environ.get("CRMWH_LANDING", "data/landing")).resolve()

    @property
    def data(self) -> Path:
        return Path(self.data_dir or os.environ.get("CRMWH_DATA", "data")).resolve()

    @property
    def raw(self) -> Path:
        return self.data / "raw"

    @property
    def warehouse(self) -> Path:
        """The file runs write (ingest audit, every dbt schema); readers never open it."""
        return self.data / "warehouse" / "work.duckdb"

    @property
    def published(self) -> Path:
        """The file readers open (read-only): the checked marts, replaced in one step."""
        return self.data / "warehouse" / "crm.duckdb"

    @property
    def exports(self) -> Path:
        return self.data / "exports"

    @property
    def docs(self) -> Path:
        return self.data / "docs"
