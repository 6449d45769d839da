"""The browser the browser tests drive is installed (skipped with an install hint if not;
failing instead under COURSEKIT_REQUIRE_BROWSER=1, as in CI)."""

import subprocess

import pytest
from browser_support import CHROMIUM, MISSING, REQUIRED


def test_chromium_and_playwright_are_available():
    if MISSING:
        if REQUIRED:
            pytest.fail(f"COURSEKIT_REQUIRE_BROWSER=1 but {MISSING}", pytrace=False)
        pytest.skip(MISSING)
    version = subprocess.run([str(CHROMIUM), "--version"], capture_output=True, text=True,
                             timeout=60)
    assert version.returncode == 0 and "Chromium" in version.stdout, version
