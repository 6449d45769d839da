"""``coursekit site`` in a real browser with the network cut: every page typesets its math with
the bundled MathJax (no raw ``$…$`` left in the prose), loads nothing from another host, and
every image has a real alt text."""

from __future__ import annotations

import functools
import http.server
import re
import threading

import pytest
from browser_support import NOTEBOOKS

from coursekit.site import build_site, lesson_notebooks

LESSONS = lesson_notebooks(NOTEBOOKS)
# Prose text with a $…$ pair still in it: math MathJax did not typeset (code is left out).
RAW_MATH = re.compile(r"\$[^$\n]{1,200}\$")
PROSE_TEXT_JS = """() => {
    const root = document.body.cloneNode(true);
    root.querySelectorAll(
        'pre, code, script, style, .jp-InputArea, .MathJax, .MJX_Assistive_MathML')
        .forEach(e => e.remove());
    return root.innerText;
}"""
MATHJAX_DONE_JS = """() => new Promise(done => {
    if (!window.MathJax || !MathJax.Hub) { done(false); return; }
    MathJax.Hub.Queue(() => done(true));
})"""


@pytest.fixture(scope="module")
def site_url(tmp_path_factory):
    """The site built into a temp dir and served on 127.0.0.1 by a thread."""
    out = tmp_path_factory.mktemp("site")
    build_site(NOTEBOOKS, out)
    handler = functools.partial(QuietHandler, directory=str(out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def offline_page(browser, site_url):
    """A page whose every request to another host is aborted (and recorded)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    blocked: list[str] = []

    def route(r):
        if r.request.url.startswith(site_url) or r.request.url.startswith("data:"):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.blocked = blocked
    try:
        yield page
    finally:
        context.close()


@pytest.mark.parametrize("page_name", ["index"] + [p.stem for p in LESSONS])
def test_site_page_typesets_math_offline_and_describes_every_image(
        offline_page, site_url, page_name):
    page = offline_page
    page.blocked.clear()
    page.goto(f"{site_url}/{page_name}.html", wait_until="load")
    assert page.evaluate(MATHJAX_DONE_JS), "MathJax did not load from the site's own copy"
    raw = RAW_MATH.findall(page.evaluate(PROSE_TEXT_JS))
    assert not raw, f"{len(raw)} formulas left as raw TeX, e.g. {raw[:3]}"
    assert not page.blocked, f"the page asked for other hosts: {page.blocked[:5]}"
    alts = page.evaluate("() => Array.from(document.images).map(i => i.alt)")
    bad = [a for a in alts if len(a) < 20 or a.startswith("No description")]
    assert not bad, f"{len(bad)} of {len(alts)} images without a real alt text: {bad[:3]}"
    if page_name != "index":
        math = page.locator(".MathJax, .MathJax_Display").count()
        assert math > 0, "no typeset math on a lesson page"
