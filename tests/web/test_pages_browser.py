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


PAGES = {"home": "/", "argument": "/argument", "essay": "/essay", "claims": "/claims", "actors": "/actors",
         "events": "/events", "causal": "/causal", "concepts": "/concepts", "dataset": "/dataset",
         "ontology": "/ontology", "claim": "/page/claim-altman-state-controlled", "person": "/page/sam-altman",
         "viewpoint": "/page/viewpoint-state-product", "event": "/page/event-nvidia-stock-fall",
         "search": "/search?q=cafe", "query": "/query", "map": "/map", "dumps": "/dumps/"}
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.mark.parametrize("size", list(VIEWPORTS))
@pytest.mark.parametrize("name", list(PAGES))
def test_page_loads_cleanly_in_browser(browser, server, name, size):
    """Every page at 1280 and 390 px: no error, the site's layout (navigation, search box), a screenshot."""
    w = Watched(browser, server.url, viewport=VIEWPORTS[size], is_mobile=size == "phone")
    try:
        page = w.goto(PAGES[name])
        page.wait_for_load_state("networkidle")
        if name == "map":
            page.wait_for_function("window.kgMapReady === true")
        assert page.locator("h1").first.is_visible()
        assert page.locator("header.site nav a[href='/argument']").count() == 1
        assert page.locator("form.search input[name=q]").is_visible()
        w.shot(f"{size}-{name}", full_page=name not in ("query", "map"))
        assert w.problems == []
    finally:
        w.close()


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_error_pages_are_in_the_site_layout(browser, server, size):
    w = Watched(browser, server.url, viewport=VIEWPORTS[size], is_mobile=size == "phone")
    try:
        resp = w.page.goto(server.url + "/sam-altman-somewhere")
        assert resp.status == 404 and resp.headers["content-type"].startswith("text/html")
        assert w.page.locator("h1").inner_text() == "Not Found"
        assert w.page.locator("header.site nav a[href='/essay']").is_visible()
        assert w.page.locator("ul.hits a", has_text="Sam Altman").count() >= 1     # suggestions from the words
        w.shot(f"{size}-error-404")
    finally:
        w.close()


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


def test_query_ui_has_the_competency_queries_in_a_menu_and_simple_view(watched):
    from kg.queries import named_queries
    page = watched.goto("/query")
    page.wait_for_selector(".yasqe .CodeMirror")
    assert page.locator(".tabsList .tab").count() == 1                  # the editor is above the fold
    assert page.locator("#q-menu option").count() == len(named_queries())
    assert page.locator(".yasqe").bounding_box()["y"] < 900
    second = named_queries()[1]
    page.select_option("#q-menu", second.slug)
    assert page.evaluate("kgYasgui.getTab().getYasqe().getValue()") == second.text
    page.evaluate("""() => kgYasgui.getTab().getYasqe().setValue(
        'SELECT ?v WHERE { VALUES ?v { 17.0 "x"@en } }')""")
    page.locator(".yasqe_queryButton").click()
    page.locator(".yasr table tbody tr").first.wait_for(timeout=15000)
    cells = page.locator(".yasr table tbody").inner_text()
    assert "17" in cells and "^^" not in cells and "@en" not in cells     # simple view: no datatype tags
    assert page.locator(".tableControls input[type=checkbox]").first.is_checked()
    assert watched.problems == []


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


@pytest.mark.parametrize("name", ["home", "argument", "claim", "person", "essay", "claims", "search", "dumps",
                                  "causal", "events"])
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


@pytest.mark.parametrize("name", ["home", "argument", "essay", "claims", "events", "map", "query"])
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


# --- what a reader sees: the argument, the reader's colours and panel, the map, the lists -------

def _background(page, selector: str) -> str:
    return page.eval_on_selector(selector, "el => getComputedStyle(el).backgroundColor")


def test_reader_colours_mean_who_says_what_and_toggle(watched):
    text = essay_text()
    start, end = locate(text, QUOTES["altman"])
    page = watched.goto("/essay")
    altman = f"a.hl[data-spans~='a-{start}-{end}']"
    feat = "a.hl.v-author:not(.v-other)"
    assert _background(page, altman) == "rgb(253, 228, 225)"         # others' words the author rejects
    assert page.eval_on_selector(altman, "el => getComputedStyle(el).textDecorationStyle") == "wavy"
    assert _background(page, feat) == "rgba(0, 0, 0, 0)"              # the author's own: plain by default
    legend = page.locator("fieldset.legend[data-mode=voice]")
    assert legend.is_visible() and "Others' words the author rejects" in legend.inner_text()
    assert page.locator(".reader-controls .apply").is_hidden()       # JS applies at once
    legend.get_by_label("Others' words the author rejects").uncheck()
    assert _background(page, altman) == "rgba(0, 0, 0, 0)"
    legend.get_by_label("The author's own claims").check()
    assert _background(page, feat) == "rgb(238, 240, 244)"
    assert "show=author" in page.url
    page.get_by_label("What kind of statement").check()
    assert page.locator("fieldset.legend[data-mode=kind]").is_visible()
    assert _background(page, altman) != "rgba(0, 0, 0, 0)"            # claims coloured by kind
    watched.shot("reader-kinds", full_page=False)
    assert watched.problems == []


def test_reader_panel_says_who_the_stance_and_what_counters(watched):
    start, end = locate(essay_text(), QUOTES["altman"])
    page = watched.goto("/essay")
    page.locator(f"a.hl[data-spans~='a-{start}-{end}']").first.click()
    panel = page.locator("#span-panel")
    card = panel.locator(".node-card", has=page.locator("a[href='/page/claim-altman-state-controlled']")).first
    assert "Said by Sam Altman" in " ".join(card.locator(".who").inner_text().split())
    assert "The author rejects it" in card.locator(".stance-badge").inner_text()
    assert card.locator(".con a[href='/page/claim-feat']").is_visible()
    box = panel.bounding_box()
    assert box["x"] > 600 and box["width"] > 250                       # beside the text on a desktop
    watched.shot("reader-panel", full_page=False)
    page.keyboard.press("Escape")
    assert panel.is_hidden()


def test_reader_panel_on_a_phone_is_below_the_text(browser, server):
    w = Watched(browser, server.url, viewport=VIEWPORTS["phone"], is_mobile=True)
    try:
        start, end = locate(essay_text(), QUOTES["altman"])
        page = w.goto("/essay")
        page.locator(f"a.hl[data-spans~='a-{start}-{end}']").first.click()
        box = page.locator("#span-panel").bounding_box()
        assert box["width"] >= 380 and box["y"] + box["height"] <= 845     # a sheet at the bottom of the screen
        w.shot("phone-reader-panel", full_page=False)
    finally:
        w.close()


def test_argument_page_reads_in_order(watched):
    page = watched.goto("/argument")
    points = page.locator("ol.thesis > li")
    assert points.count() == 1 and "feat shook the market" in points.first.inner_text()
    debate = page.locator(".debate").first
    assert debate.locator(".side").count() == 2 and debate.locator(".verdict").count() == 0
    card = page.locator("article#viewpoint-state-product")
    assert "Held by panicked commentators in the West" in " ".join(card.locator(".node-voice").inner_text().split())
    assert card.locator(".reasons .con li").count() >= 1
    card.locator(".reasons .con a[href='/page/claim-feat']").click()
    page.wait_for_url("**/page/claim-feat")
    assert watched.problems == []


def test_map_is_deterministic_readable_coloured_and_zoomable(browser, server):
    positions = []
    for _ in range(2):
        w = Watched(browser, server.url, viewport=VIEWPORTS["desktop"])
        try:
            page = w.goto("/map")
            page.wait_for_function("window.kgMapReady === true")
            positions.append(page.evaluate(
                "Object.fromEntries(kgCy.nodes().map(n => [n.id(), [Math.round(n.position().x), Math.round(n.position().y)]]))"))
            font = page.evaluate("kgCy.zoom() * parseFloat(kgCy.nodes()[0].style('font-size'))")
            assert font >= 11
            colours = page.evaluate("Object.fromEntries(kgCy.nodes().map(n => [n.data('group'), n.style('background-color')]))")
            assert len(set(colours.values())) == len(colours) >= 3        # one colour per kind
            assert page.locator(".map-legend").is_visible() and page.locator(".legend-nodes li").count() >= 5
            # every drawn node inside the box
            inside = page.evaluate("""() => { const w = kgCy.width(), h = kgCy.height();
                return kgCy.nodes().filter(n => n.style('display') !== 'none').every(n => {
                  const p = n.renderedPosition(); return p.x >= 0 && p.y >= 0 && p.x <= w && p.y <= h; }); }""")
            assert inside
            z = page.evaluate("kgCy.zoom()")
            page.locator(".map-zoom button[data-zoom=in]").click()
            assert page.evaluate("kgCy.zoom()") > z
            assert w.problems == []
        finally:
            w.close()
    assert positions[0] == positions[1]


def test_claims_sort_and_voice_facets_by_click(watched):
    page = watched.goto("/claims")
    page.locator("th a.sort[href$='sort=claim']").click()
    page.wait_for_url("**sort=claim")
    names = page.locator("table.claims tbody tr td:first-child").all_inner_texts()
    assert names == sorted(names, key=str.casefold)
    page.locator(".voice-tabs a", has_text="Others' voices").click()
    page.wait_for_url("**voice=others**")
    assert page.locator("table.claims tbody tr").count() == 3
    assert page.locator(".voice-tabs a.on").inner_text().startswith("Others' voices")
    watched.shot("claims-others", full_page=False)


def test_search_marks_whole_words(watched):
    page = watched.goto("/search?q=state")
    marks = page.locator("ul.hits mark").all_inner_texts()
    from kg.search import fold
    assert marks and all(fold(m) == "state" for m in marks)           # "States" too (plural), never "statement"
    watched.shot("search-state", full_page=False)


def test_bundled_argument_page_shows_thesis_and_debates(browser, bundled_server):
    """On the bundled data: the thesis in a few points, each debate as two sides and the author's verdict."""
    w = Watched(browser, bundled_server.url, viewport=VIEWPORTS["desktop"])
    try:
        page = w.goto("/argument")
        assert 3 <= page.locator("ol.thesis > li").count() <= 8
        assert page.locator("ol.thesis blockquote.essay-quote").count() == page.locator("ol.thesis > li").count()
        debates = page.locator(".debate")
        assert debates.count() >= 1
        for i in range(debates.count()):
            assert debates.nth(i).locator(".side").count() == 2
        verdicts = page.locator(".debate .verdict")
        assert verdicts.count() >= 1 and page.locator(".debate .versus s").count() == verdicts.count()
        w.shot("bundled-argument-top", full_page=False)
        page.locator(".debate").nth(debates.count() - 1).scroll_into_view_if_needed()
        w.shot("bundled-argument-debate", full_page=False)
        assert w.problems == []
    finally:
        w.close()


def test_map_on_a_phone_uses_the_width(browser, server):
    """Regression: the desktop two-column rule came after the phone rule and squeezed the map to a sliver."""
    w = Watched(browser, server.url, viewport=VIEWPORTS["phone"], is_mobile=True)
    try:
        page = w.goto("/map")
        page.wait_for_function("window.kgMapReady === true")
        assert page.locator("#cy").bounding_box()["width"] >= 340
        assert page.evaluate("kgCy.zoom() * parseFloat(kgCy.nodes()[0].style('font-size'))") >= 11
        w.shot("phone-map-width", full_page=False)
        assert w.problems == []
    finally:
        w.close()
