"""Fixtures for the real-browser tests: Debian's Chromium driven by Playwright, one JupyterLab
server and one page per pytest(-xdist) worker, reused across lessons.

Without /usr/bin/chromium (or the playwright package) the browser tests are not collected and
test_browser_available.py skips with one line saying how to install it; with
COURSEKIT_REQUIRE_BROWSER=1 (set by .ci/run) a missing browser fails instead, and every
browser test errors.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    MISSING,
    REQUIRED,
    Lab,
    start_lab,
    widget_lessons,
)

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"


if MISSING and not REQUIRED:  # one skip line (test_browser_available.py), not one per test
    collect_ignore = ["test_lab_widgets.py", "test_voila_present.py", "test_site_offline.py",
                      "test_accessibility.py"]


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium (/usr/bin/chromium), shared by the tests of this worker."""
    if MISSING:
        if REQUIRED:
            pytest.fail(f"COURSEKIT_REQUIRE_BROWSER=1 but {MISSING}", pytrace=False)
        pytest.skip(MISSING)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def lab_server(browser, tmp_path_factory):
    """JupyterLab serving copies of the widget lessons from its own temp dirs; stopped by PID
    at the end, with a check that it left no kernel running."""
    server = start_lab(tmp_path_factory.mktemp("lab"), widget_lessons())
    try:
        yield server
    finally:
        strays = server.stop()
        assert not strays, f"JupyterLab left kernels running (killed now): PIDs {strays}"


@pytest.fixture(scope="session")
def lab(browser, lab_server):
    """A JupyterLab page, loaded once and reused lesson after lesson."""
    page = Lab(browser, lab_server)
    try:
        yield page
    finally:
        page.context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS
