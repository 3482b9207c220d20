"""The pages in a real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright) against
the real server (gunicorn, via tests/conftest.py's start_server) on the fixture graph.

Every page type loads with no console error, no page error, no failed request and no HTTP error;
the reader shows a span's claims on click; the query UI runs a query and shows rows; the causal
map draws its nodes. Screenshots go to tests/artifacts/ (gitignored)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from kg.text import essay_text, locate

from .conftest import QUOTES

CHROMIUM = os.environ.get("KG_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium; .ci/run does)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (no browser download)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def server(start_server, page_sources):
    data = [a for s in page_sources for a in ("--data", f"{s.path}={s.graph}")]
    return start_server(data + ["--workers", "1", "--threads", "4", "--query-timeout", "5"])


class Watched:
    """A page that records console errors, page errors, failed requests and HTTP errors."""

    def __init__(self, browser, base: str, **context):
        self.context = browser.new_context(**context)
        self.page = self.context.new_page()
        self.base = base
        self.problems: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}"))
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on("requestfailed", lambda r: self.problems.append(f"failed: {r.url} {r.failure}"))
        self.page.on("response", lambda r: r.status >= 400 and self.problems.append(f"HTTP {r.status}: {r.url}"))

    def goto(self, path: str):
        resp = self.page.goto(self.base + path, wait_until="load")
        assert resp is not None and resp.status == 200, (path, resp and resp.status)
        return self.page

    def shot(self, name: str, full_page: bool = True) -> None:
        if not ARTIFACTS.is_dir():
            ARTIFACTS.mkdir()
            (ARTIFACTS / ".gitignore").write_text("*\n")   # artefacts, never committed
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def watched(browser, server):
    w = Watched(browser, server.url, viewport={"width": 1280, "height": 900})
    yield w
    w.close()


PAGES = {"home": "/", "essay": "/essay", "claims": "/claims", "actors": "/actors", "events": "/events",
         "causal": "/causal", "concepts": "/concepts", "dataset": "/dataset", "ontology": "/ontology",
         "claim": "/page/claim-altman-state-controlled", "event": "/page/event-nvidia-stock-fall",
         "search": "/search?q=cafe", "query": "/query", "map": "/map"}


@pytest.mark.parametrize("name", list(PAGES))
def test_page_loads_cleanly_in_browser(watched, name):
    page = watched.goto(PAGES[name])
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").first.is_visible()
    watched.shot(f"page-{name}", full_page=name not in ("query", "map"))
    assert watched.problems == []


def test_not_found_page_in_browser(watched):
    resp = watched.page.goto(watched.base + "/page/sam-altmann")
    assert resp.status == 404
    assert "Not found" in watched.page.locator("h1").inner_text()
    assert watched.page.locator("ul.hits a", has_text="Sam Altman").count() == 1
    watched.shot("page-404")


def test_reader_click_shows_the_span_claims(watched):
    start, end = locate(essay_text(), QUOTES["altman"])
    page = watched.goto("/essay")
    panel = page.locator("#span-panel")
    assert panel.is_hidden()
    page.locator(f"a.hl[data-spans~='a-{start}-{end}']").first.click()
    assert panel.is_visible()
    claim = panel.locator("a[href='/page/claim-altman-state-controlled']")
    assert claim.count() >= 1
    assert page.evaluate("location.hash") == f"#t-a-{start}-{end}"
    watched.shot("reader-span-selected", full_page=False)
    claim.first.click()
    page.wait_for_url("**/page/claim-altman-state-controlled")
    assert page.locator("section.quotes mark").inner_text() == QUOTES["altman"]
    assert watched.problems == []


def test_reader_without_javascript_links_spans_to_sections(browser, server):
    w = Watched(browser, server.url, java_script_enabled=False)
    try:
        start, end = locate(essay_text(), QUOTES["altman"])
        page = w.goto("/essay")
        page.locator(f"a.hl[href='#a-{start}-{end}']").first.click()
        assert page.evaluate("location.hash") == f"#a-{start}-{end}"
        assert page.locator(f"section#a-{start}-{end} a[href='/page/claim-altman-state-controlled']").is_visible()
        assert w.problems == []
    finally:
        w.close()


def test_query_ui_runs_a_query_and_shows_rows(watched):
    page = watched.goto("/query")
    page.wait_for_selector(".yasqe .CodeMirror")
    tabs = page.locator(".tabsList .tab")
    assert tabs.count() >= 1
    page.evaluate("""() => kgYasgui.getTab().getYasqe().setValue(
        'PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\\n' +
        'SELECT ?s ?label WHERE { ?s rdfs:label ?label FILTER(STRSTARTS(STR(?s), \"https://w3id.org/deepseek-kg/id/\")) } ORDER BY ?label')""")
    page.locator(".yasqe_queryButton").click()
    rows = page.locator(".yasr table tbody tr")
    rows.first.wait_for(timeout=15000)
    assert rows.count() > 3
    page.wait_for_function("document.querySelector(\".yasr a[href^='/page/']\") !== null")
    watched.shot("query-results", full_page=False)
    assert watched.problems == []


def test_query_ui_has_the_competency_queries_as_tabs(watched):
    from kg.queries import named_queries
    page = watched.goto("/query")
    page.wait_for_selector(".yasqe .CodeMirror")
    assert page.locator(".tabsList .tab").count() == len(named_queries())


def test_causal_map_draws_its_nodes(watched):
    page = watched.goto("/map")
    page.wait_for_function("window.kgMapReady === true")
    n = page.evaluate("kgCy.nodes().length")
    expected = page.evaluate("JSON.parse(document.getElementById('map-data').textContent).nodes.length")
    assert n == expected > 0
    drawn = page.evaluate("kgCy.nodes().filter(n => n.style('display') !== 'none').length")
    assert drawn > 0     # by default the causal links and their nodes
    # readable: no two drawn nodes on top of each other
    boxes = page.evaluate("kgCy.nodes().filter(n => n.style('display') !== 'none').map(n => n.position())")
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert abs(a["x"] - b["x"]) + abs(a["y"] - b["y"]) > 20
    pos = page.evaluate("""() => { const n = kgCy.getElementById('https://w3id.org/deepseek-kg/id/deepseek');
        const p = n.renderedPosition(); const r = document.getElementById('cy').getBoundingClientRect();
        return {x: r.left + p.x, y: r.top + p.y}; }""")
    page.mouse.click(pos["x"], pos["y"])
    assert page.locator("#map-panel a[href='/page/deepseek']").is_visible()
    page.select_option("#f-by", "https://w3id.org/deepseek-kg/id/western-commentators")
    visible = page.evaluate("kgCy.edges().filter(e => e.style('display') !== 'none').map(e => e.data('by'))")
    assert visible and set(visible) == {"https://w3id.org/deepseek-kg/id/western-commentators"}
    watched.shot("map", full_page=False)
    page.select_option("#f-by", "")
    page.select_option("#f-kind", "argument")
    kinds = page.evaluate("kgCy.edges().filter(e => e.style('display') !== 'none').map(e => e.data('kind'))")
    assert kinds == ["attack"]
    assert watched.problems == []


@pytest.mark.parametrize("name", ["home", "claim", "essay", "claims"])
def test_phone_width_has_no_horizontal_scroll(browser, server, name):
    w = Watched(browser, server.url, viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        page = w.goto(PAGES[name])
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        w.shot(f"phone-{name}")
        assert w.problems == []
    finally:
        w.close()


def test_keyboard_reaches_the_search_box_and_highlights(watched):
    page = watched.goto("/essay")
    page.keyboard.press("Tab")          # skip link
    page.keyboard.press("Tab")          # brand
    seen = set()
    for _ in range(40):
        page.keyboard.press("Tab")
        seen.add(page.evaluate("document.activeElement.id || document.activeElement.className"))
    assert "site-search" in seen


@pytest.fixture(scope="module")
def bundled_server(start_server):
    return start_server(["--workers", "1", "--threads", "4", "--query-timeout", "5"])


@pytest.mark.parametrize("name", ["home", "essay", "claims", "events", "map", "query"])
def test_bundled_data_pages_load_cleanly(browser, bundled_server, name):
    """The same on the bundled data (its size, not its counts, is what this checks)."""
    w = Watched(browser, bundled_server.url, viewport={"width": 1280, "height": 900})
    try:
        page = w.goto(PAGES[name])
        page.wait_for_load_state("networkidle")
        if name == "map":
            page.wait_for_function("window.kgMapReady === true")
        w.shot(f"bundled-{name}", full_page=name not in ("query", "map", "essay"))
        assert w.problems == []
    finally:
        w.close()
