"""Issue 12: the Content-Security-Policy, proven in Chromium. Every page loads under the policy the
server sends with no violation reported (``securitypolicyviolation`` events and console errors),
YASGUI runs a query and links its results, the map draws; and the policy does bite: an inline
script, an inline event handler and a ``javascript:`` link are blocked and reported."""
from __future__ import annotations

import pytest

from kg.web.http import PAGE_CSP

from .test_pages_browser import PAGES, Watched, browser, server  # noqa: F401  (fixtures)

RECORD = """window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"""


def open_page(browser, server, path):  # noqa: F811
    w = Watched(browser, server.url, viewport={"width": 1280, "height": 900})
    w.context.add_init_script(RECORD)
    resp = w.page.goto(server.url + path, wait_until="load")
    assert resp is not None and resp.status == 200
    assert resp.headers["content-security-policy"] == PAGE_CSP
    assert resp.headers["x-content-type-options"] == "nosniff" and resp.headers["x-frame-options"] == "DENY"
    w.page.wait_for_load_state("networkidle")
    return w


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_runs_under_its_csp(browser, server, name):  # noqa: F811
    w = open_page(browser, server, PAGES[name])
    try:
        if name == "map":
            w.page.wait_for_function("window.kgMapReady === true")
            assert w.page.locator("#map canvas, .map canvas, canvas").count() > 0
        if name == "query":
            w.page.wait_for_selector(".yasqe .CodeMirror")
        assert w.page.evaluate("window.__csp") == [] and w.problems == []
    finally:
        w.close()


def test_yasgui_runs_a_query_under_the_csp(browser, server):  # noqa: F811
    w = open_page(browser, server, "/query")
    try:
        page = w.page
        page.wait_for_selector(".yasqe .CodeMirror")
        page.evaluate("""() => kgYasgui.getTab().getYasqe().setValue(
            'SELECT ?s ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label } LIMIT 20')""")
        page.locator(".yasqe_queryButton").click()
        page.locator(".yasr table tbody tr").first.wait_for(timeout=15000)
        page.wait_for_function("document.querySelector(\".yasr a[href^='/page/']\") !== null")
        assert page.evaluate("window.__csp") == [] and w.problems == []
    finally:
        w.close()


def test_the_policy_blocks_inline_script_handlers_and_javascript_links(browser, server):  # noqa: F811
    """The control: what an injected page would try is blocked and reported, so the test above can fail."""
    w = open_page(browser, server, "/")
    try:
        page = w.page
        page.evaluate("""() => {
            const s = document.createElement('script'); s.textContent = 'window.__ran = 1'; document.body.appendChild(s);
            document.body.insertAdjacentHTML('beforeend', '<img src="data:," onerror="window.__ran = 2">');
            const a = document.createElement('a'); a.href = 'javascript:window.__ran = 3'; a.id = 'jslink';
            a.textContent = 'x'; document.body.appendChild(a);
        }""")
        page.click("#jslink")
        page.wait_for_timeout(300)
        assert page.evaluate("window.__ran") is None
        blocked = page.evaluate("window.__csp")
        assert any(v.startswith("script-src") for v in blocked) and len(blocked) >= 2, blocked
    finally:
        w.close()
