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
        return self.data / "warehouse" / "crm.duckdb"
