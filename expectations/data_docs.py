"""Great Expectations' own Data Docs for the validations run in this process.

The raw-zone suites (`expectations.validate`) and the mart suites (`expectations.marts`)
run in one ephemeral GX context, whose in-memory store keeps the latest result of each
suite. `build_data_docs` renders those suites and results as GX's static HTML site: an
index page, a page per suite (its expectations) and a page per validation result (each
expectation with its observed values). Nothing is downloaded: the pages reference GX's
CSS and JavaScript from public CDNs, which a browser fetches when they are opened. On a
machine without Internet (a bank's analyst desk, often) those never load: the suite and
result pages still read as plain HTML, but GX's index draws its tables with JavaScript
from the CDN and shows nothing. So the index also carries a plain list of the results
and suites, hidden when GX's table script did load.

The site is built in a folder next to `site_dir` and swapped in when complete, so a
reader never sees a half-written site and pages of an earlier run do not linger.
"""

from __future__ import annotations

import html
import os
import re
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
    _add_offline_index(index)
    # swap: the old site aside, the new one in, then the old one away
    old = site_dir.with_name(f".{site_dir.name}.old-{os.getpid()}")
    if site_dir.exists():
        site_dir.rename(old)
    building.rename(site_dir)
    shutil.rmtree(old, ignore_errors=True)
    return site_dir / "index.html"


def _add_offline_index(index: Path) -> None:
    """A plain list of every validation result (failed first) and suite, before `</body>`,
    hidden by an inline script when GX's CDN table script is there."""
    site = index.parent
    results = []
    for page in sorted(site.glob("validations/**/*.html")):
        text = page.read_text(encoding="utf-8")
        status = re.search(r'Status:</span>\s*<i class="[^"]*text-(success|danger)', text)
        passed = status is not None and status.group(1) == "success"
        run = page.parent.name  # the run's timestamp folder, e.g. 20261124T005443.387023Z
        results.append((passed, page.parent.parent.parent.name, run, page.relative_to(site)))
    results.sort(key=lambda r: (r[0], r[1]))
    rows = "".join(
        f'<tr><td>{"passed" if ok else "<b>FAILED</b>"}</td><td><a href="{html.escape(str(link))}">'
        f"{html.escape(suite)}</a></td><td>{html.escape(run)}</td></tr>"
        for ok, suite, run, link in results
    )
    suites = [
        f'<li><a href="{html.escape(str(p.relative_to(site)))}">{html.escape(p.stem)}</a></li>'
        for p in sorted(site.glob("expectations/*.html"))
    ]
    block = (
        '<div id="crmwh-offline-index" style="font-family:sans-serif;margin:1em">'
        f"<h2>Validation results ({sum(not r[0] for r in results)} failed of {len(results)})</h2>"
        "<p>A result counts as failed when any of its expectations failed, warnings included; "
        "only the blocking ones reject a batch or stop a publish (see each page).</p>"
        f"<table><tr><th>status</th><th>suite</th><th>run</th></tr>{rows}</table>"
        f"<h2>Expectation suites ({len(suites)})</h2><ul>{''.join(suites)}</ul></div>"
        "<script>if (window.jQuery && jQuery.fn && jQuery.fn.bootstrapTable) "
        "document.getElementById('crmwh-offline-index').style.display = 'none';</script>"
    )
    text = index.read_text(encoding="utf-8")
    index.write_text(text.replace("</body>", block + "</body>", 1), encoding="utf-8")
