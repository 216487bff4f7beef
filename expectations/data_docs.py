"""Great Expectations' own Data Docs for the validations run in this process.

The raw-zone suites (`expectations.validate`) and the mart suites (`expectations.marts`)
run in one ephemeral GX context, whose in-memory store keeps the latest result of each
suite. `build_data_docs` renders those suites and results as GX's static HTML site: an
index page, a page per suite (its expectations) and a page per validation result (each
expectation with its observed values). Nothing is downloaded: the pages reference GX's
CSS and JavaScript from public CDNs, which a browser fetches when they are opened.

The site is built in a folder next to `site_dir` and swapped in when complete, so a
reader never sees a half-written site and pages of an earlier run do not linger.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from expectations.validate import _lock, gx_context

SITE = "crmwh"  # the data docs site's name in the GX context


def _site_config(base_directory: Path) -> dict:
    return {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "store_backend": {
            "class_name": "TupleFilesystemStoreBackend",
            "base_directory": str(base_directory),
        },
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    }


def build_data_docs(site_dir: Path) -> Path:
    """Write the Data Docs of this process's GX suites and their latest validation
    results under `site_dir` (replacing what was there); returns its index.html.

    With no validation run yet, the site lists no results (and only the suites made)."""
    site_dir = Path(site_dir)
    site_dir.parent.mkdir(parents=True, exist_ok=True)
    building = site_dir.with_name(f".{site_dir.name}.building-{os.getpid()}")
    shutil.rmtree(building, ignore_errors=True)
    with _lock:
        ctx = gx_context()
        config = _site_config(building)
        sites = ctx.config.data_docs_sites or {}
        if SITE in sites:
            ctx.update_data_docs_site(SITE, config)
        else:
            ctx.add_data_docs_site(SITE, config)
        ctx.build_data_docs(site_names=[SITE])
    index = building / "index.html"
    if not index.exists():
        raise RuntimeError(f"GX wrote no Data Docs index in {building}")
    # swap: the old site aside, the new one in, then the old one away
    old = site_dir.with_name(f".{site_dir.name}.old-{os.getpid()}")
    if site_dir.exists():
        site_dir.rename(old)
    building.rename(site_dir)
    shutil.rmtree(old, ignore_errors=True)
    return site_dir / "index.html"
