"""Resource pages, the annotated essay and the index pages, asserted by structure (BeautifulSoup)."""
from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup

from kg.text import essay_text, locate

from .conftest import QUOTES


def soup(resp) -> BeautifulSoup:
    assert resp.status_code == 200, resp.status_code
    return BeautifulSoup(resp.get_data(as_text=True), "html.parser")


def props(s: BeautifulSoup, section: str) -> dict[str, list]:
    """{property label: [dd, ...]} of a page's statements or incoming section."""
    out: dict[str, list] = {}
    dl = s.select_one(f"section.{section} dl.props")
    key = None
    for el in dl.find_all(["dt", "dd"], recursive=False):
        if el.name == "dt":
            key = el.find("a").get_text()
            out[key] = []
        else:
            out[key].append(el)
    return out


# --- resource pages ------------------------------------------------------------------------

def test_resource_page_label_type_description(pc):
    s = soup(pc.get("/page/claim-altman-state-controlled"))
    assert s.h1.get_text() == "Altman: DeepSeek is state-controlled"
    assert "claim" in [t.get_text() for t in s.select("header .types .type")]
    assert "DeepSeek is controlled by the Chinese state." in [p.get_text() for p in s.select("p.description")]


def test_statements_grouped_by_property_iris_by_label(pc):
    p = props(soup(pc.get("/page/claim-altman-state-controlled")), "statements")
    assert [dd.a.get_text() for dd in p["claimant"]] == ["Sam Altman"]
    assert p["claimant"][0].a["href"] == "/page/sam-altman"
    assert [dd.a.get_text() for dd in p["author stance"]] == ["rejects"]


def test_literals_show_language_and_datatype(pc):
    p = props(soup(pc.get("/page/deepseek")), "statements")
    labels = {dd.select_one(".lit").get_text(): dd.select_one(".lang").get_text() for dd in p["label"]}
    assert labels == {"DeepSeek": "@en", "深度求索": "@zh"}
    p = props(soup(pc.get("/page/quantity-nvidia-stock-fall")), "statements")
    assert p["value"][0].select_one(".dt").get_text() == "xsd:decimal"


def test_quantity_formatted_with_unit(pc):
    s = soup(pc.get("/page/quantity-nvidia-stock-fall"))
    assert s.select_one("p.quantity .qty").get_text() == "17%"
    p = props(soup(pc.get("/page/event-nvidia-stock-fall")), "statements")
    assert p["has quantity"][0].select_one(".qty").get_text() == "17%"


def test_blank_nodes_inline_with_dates_at_precision(pc):
    p = props(soup(pc.get("/page/event-nvidia-stock-fall")), "statements")
    when = p["when"][0].select_one("div.bnode")
    assert when.select_one(".summary").get_text() == "2025"
    assert "earlier this year" in when.get_text()
    participation = p["has participation"][0].select_one("div.bnode")
    assert participation.find("a", href="/page/nvidia") is not None
    assert props(soup(pc.get("/page/event-little-known")), "statements")["when"][0] \
        .select_one(".summary").get_text() == "December 2024"
    assert props(soup(pc.get("/page/event-boom")), "statements")["when"][0] \
        .select_one(".summary").get_text() == "from 2010s"


def test_incoming_links_grouped_with_counts(pc):
    p = props(soup(pc.get("/page/author")), "incoming")
    assert sorted(p) == ["argued by", "asserted by", "claimant", "held by"]
    dts = {dt.find("a").get_text(): dt.select_one(".count").get_text()
           for dt in soup(pc.get("/page/author")).select("section.incoming dl.props > dt")}
    assert dts["claimant"] == "(1)"
    # a blank-node subject is shown by its owner: event --participation--> [] --participant--> nvidia
    s = soup(pc.get("/page/nvidia"))
    dt = s.select_one("section.incoming dl.props > dt")
    assert [a.get_text() for a in dt.find_all("a")] == ["has participation", "participant"]


def test_claim_quote_in_paragraph_with_span_highlighted(pc):
    text = essay_text()
    start, end = locate(text, QUOTES["altman"])
    s = soup(pc.get("/page/claim-altman-state-controlled"))
    fig = s.select_one("section.quotes figure.quote")
    assert fig.mark.get_text() == QUOTES["altman"]
    para = fig.blockquote.get_text()
    assert len(para) > len(QUOTES["altman"]) and para in text          # the whole paragraph
    link = fig.find("a", string=re.compile("Read it in the essay"))
    assert link["href"] == f"/essay#t-a-{start}-{end}"


# --- the reader ----------------------------------------------------------------------------

def test_reader_paragraphs_and_spans_have_stable_addresses(pc):
    text = essay_text()
    s = soup(pc.get("/essay"))
    paras = s.select("article.essay .para")
    assert [p["id"] for p in paras] == [f"p{i}" for i in range(1, len(paras) + 1)]
    start, end = locate(text, QUOTES["altman"])
    key = f"a-{start}-{end}"
    section = s.find("section", id=key)
    assert section is not None
    assert s.find(id=f"t-{key}") is not None
    nodes = {a["href"] for a in section.select("ul a")}
    assert "/page/claim-altman-state-controlled" in nodes


def test_reader_highlights_link_to_their_section_without_js(pc):
    s = soup(pc.get("/essay"))
    highlights = s.select("a.hl")
    assert highlights
    ids = {sec["id"] for sec in s.select("section.span")}
    for a in highlights:
        assert a["href"].lstrip("#") in ids
        assert set(a["data-spans"].split()) <= ids
    # a span shared by several nodes lists them all
    text = essay_text()
    start, end = locate(text, QUOTES["feat"])
    sec = s.find("section", id=f"a-{start}-{end}")
    assert {a["href"] for a in sec.select("ul a")} >= {"/page/claim-feat", "/page/causal-feat-drives-fall",
                                                      "/page/arg-feat-attacks-state"}


def test_reader_text_is_the_essay(pc):
    s = soup(pc.get("/essay"))
    for p in s.select("article.essay .para"):
        p.select_one(".pnum").decompose()
    assert [p.get_text() for p in s.select("article.essay .para")] == \
        [line for line in essay_text().split("\n") if line]


# --- index pages -----------------------------------------------------------------------------

def test_home_links_every_section(pc):
    hrefs = {a["href"] for a in soup(pc.get("/")).select("main a[href]")}
    assert {"/essay", "/claims", "/actors", "/events", "/causal", "/concepts", "/map", "/query",
            "/dataset", "/ontology"} <= hrefs


def test_actors_by_kind(pc):
    s = soup(pc.get("/actors"))
    people = s.find("h2", id="Person").find_parent("section")
    assert {a.get_text() for a in people.select("ul a")} == {"Sam Altman", "the essay's author"}
    companies = s.find("h2", id="Company").find_parent("section")
    assert "Nvidia" in {a.get_text() for a in companies.select("ul a")}


def test_claims_filter_by_claimant_and_stance(pc):
    rows = soup(pc.get("/claims")).select("table.claims tbody tr")
    assert len(rows) == 4
    s = soup(pc.get("/claims?stance=rejects"))
    assert {r.a.get_text() for r in s.select("table.claims tbody tr")} == {
        "Altman: DeepSeek is state-controlled", "Commentators: DeepSeek is a product of the Chinese state"}
    s = soup(pc.get("/claims", query_string={"claimant": "https://w3id.org/deepseek-kg/id/sam-altman",
                                             "stance": "rejects"}))
    assert [r.a.get_text() for r in s.select("table.claims tbody tr")] == ["Altman: DeepSeek is state-controlled"]
    assert s.select_one("#f-claimant option[selected]").get_text() == "Sam Altman"
    assert soup(pc.get("/claims?claimant=sam-altman&stance=endorses")).select("table.claims tbody tr") == []


def test_events_timeline_in_date_order(pc):
    s = soup(pc.get("/events"))
    items = s.select("ol.timeline li")
    assert [li.time.get_text() for li in items] == ["from 2010s", "December 2024", "2025"]
    assert items[1].a.get_text() == "DeepSeek is little known"


def test_causal_index(pc):
    s = soup(pc.get("/causal"))
    row = next(r for r in s.select("table.causal tbody tr") if "feat drove" in r.get_text())
    cells = row.find_all("td")
    assert cells[0].a.get_text() == "DeepSeek" and cells[2].a.get_text() == "Nvidia's stock falls 17 percent"
    assert "promotes" in cells[1]["class"]


def test_concepts_and_dataset(pc):
    s = soup(pc.get("/concepts"))
    assert "996" in [a.get_text() for a in s.select("dl.concepts dt a")]
    s = soup(pc.get("/dataset"))
    assert s.h1.get_text() == "fixture dataset"
    assert s.find("a", href="/dumps/deepseek-kg.nq") is not None and s.find("a", href="/dumps/") is not None
    assert "Cite me like this." in s.select_one("p.cite").get_text()
    assert s.find("a", href="https://creativecommons.org/licenses/by/4.0/") is not None


@pytest.mark.parametrize("path", ["/claims", "/events", "/causal", "/concepts", "/actors"])
def test_index_twins_are_live_sparql_answers(pc, path):
    r = pc.get(path)
    twin = BeautifulSoup(r.data, "html.parser").find("link", rel="alternate", type="application/sparql-results+json")
    answer = pc.get(twin["href"])
    assert answer.status_code == 200 and answer.json["results"]["bindings"]


def test_three_clicks_from_home_to_quote_claimant_and_causal_links(pc):
    home = soup(pc.get("/"))
    claims = soup(pc.get(home.find("a", href="/claims")["href"]))                        # click 1
    link = claims.find("a", string="DeepSeek's feat recalibrated assumptions")
    page = soup(pc.get(link["href"]))                                                   # click 2
    assert page.select_one("section.quotes mark")                                      # its quote
    assert props(page, "statements")["claimant"][0].a["href"] == "/page/author"         # its claimant
    incoming = props(page, "incoming")
    assert incoming["part of claim"][0].find("a", href="/page/causal-feat-drives-fall")  # its causal links


# --- the bundled data (contents change while it is written: structure only) -----------------

@pytest.mark.parametrize("path", ["/", "/essay", "/claims", "/actors", "/events", "/causal", "/concepts",
                                  "/dataset", "/query", "/map", "/map.json", "/ontology", "/page/essay",
                                  "/page/author", "/search?q=deepseek"])
def test_bundled_data_pages_render(bundled_app, path):
    r = bundled_app.test_client().get(path)
    assert r.status_code == 200


@pytest.mark.parametrize("value, unit, symbol, ulabel, cmp, shown", [
    ("17.0", "percent", "%", "percent", "exactly", "17%"),
    ("600000000000", "usDollar", "$", "US dollar", "approximately", "≈ $600,000,000,000"),
    ("72", "hoursPerWeek", "h/week", "hours per week", "moreThan", "> 72 h/week"),
    ("3", "daysPerWeek", None, "days per week", "atLeast", "≥ 3 days per week"),
    ("139", "count", None, "count", None, "139"),
])
def test_quantity_formatting(value, unit, symbol, ulabel, cmp, shown):
    from kg.web.pages.model import format_quantity
    dsk = "https://w3id.org/deepseek-kg/ontology#"
    assert format_quantity(value, dsk + unit, symbol, ulabel, dsk + cmp if cmp else None) == shown


@pytest.mark.parametrize("lexical, datatype, shown", [
    ("2025", "gYear", "2025"), ("2024-12", "gYearMonth", "December 2024"), ("2025-01-27", "date", "27 January 2025"),
    ("1094", "integer", "1094"), ("not-a-date", "date", "not-a-date"), ("2024-13", "gYearMonth", "2024-13")])
def test_literal_formatting(lexical, datatype, shown):
    from kg.web.pages.model import Term, format_literal
    assert format_literal(Term("literal", lexical, None, "http://www.w3.org/2001/XMLSchema#" + datatype)) == shown


# --- who says what: lists, facets, sorting, the argument page -------------------------------------

def test_claims_voice_filter_and_facet_counts(pc):
    s = soup(pc.get("/claims?voice=others"))
    rows = s.select("table.claims tbody tr")
    assert {r.a.get_text() for r in rows} == {"Altman: DeepSeek is state-controlled", "claim by <script>alert(1)</script>",
                                              "Commentators: DeepSeek is a product of the Chinese state"}
    voice = {a.contents[0].strip(): a.select_one(".count").get_text() for a in s.select(".voice-tabs a.facet")}
    assert voice == {"Others' voices": "3", "The author's own": "1"}
    stance = {a.contents[0].strip(): a.select_one(".count").get_text() for a in s.select("nav[aria-label=\"The author's stance\"] a")}
    assert stance == {"rejects": "2", "reports": "1"}          # counted within others' voices
    claimants = {a.contents[0].strip(): a.select_one(".count").get_text()
                 for a in s.select("nav[aria-label=Claimant] a")}
    assert claimants["Sam Altman"] == "1" and "the essay's author" not in claimants
    s = soup(pc.get("/claims?voice=author"))
    assert [r.a.get_text() for r in s.select("table.claims tbody tr")] == ["DeepSeek's feat recalibrated assumptions"]


def test_facet_links_keep_the_other_filters(pc):
    s = soup(pc.get("/claims?voice=others&sort=claim"))
    href = s.select_one("nav[aria-label=\"The author's stance\"] a")["href"]
    assert "voice=others" in href and "sort=claim" in href and "stance=" in href


@pytest.mark.parametrize("sort, first", [("claim", "Altman: DeepSeek is state-controlled"),
                                         ("-claim", "DeepSeek's feat recalibrated assumptions"),
                                         ("stance", "DeepSeek's feat recalibrated assumptions"),   # endorses first
                                         ("-stance", "claim by <script>alert(1)</script>")])       # reports last
def test_claims_sortable(pc, sort, first):
    s = soup(pc.get(f"/claims?sort={sort}"))
    names = [r.a.get_text() for r in s.select("table.claims tbody tr")]
    assert names[0] == first and len(names) == 4
    th = s.select_one("th[aria-sort]")
    assert th["aria-sort"] == ("descending" if sort.startswith("-") else "ascending")


def test_causal_and_events_sortable(pc):
    s = soup(pc.get("/causal?sort=-cause"))
    assert [r.td.a.get_text() for r in s.select("table.causal tbody tr")] == ["DeepSeek", "996"]
    s = soup(pc.get("/events?sort=-date"))
    assert [li.time.get_text() for li in s.select("ol.timeline li")][:2] == ["2025", "December 2024"]
    s = soup(pc.get("/events?sort=event"))
    assert [li.a.get_text() for li in s.select("ol.timeline li")] == [
        "DeepSeek is little known", "Nvidia's stock falls 17 percent", "the boom"]


def test_argument_page_shows_viewpoints_holders_stance_and_reasons(pc):
    s = soup(pc.get("/argument"))
    assert s.h1.get_text().startswith("The argument")
    card = s.find("article", id="viewpoint-state-product")
    assert card.h3.a["href"] == "/page/viewpoint-state-product"
    assert "The author rejects it" in card.select_one(".node-voice .stance-badge").get_text()
    assert card.select_one(".node-voice a")["href"] == "/page/western-commentators"
    against = card.select_one(".reasons .con")
    assert against.find("a", href="/page/claim-feat") is not None          # attacks a claim made within it
    assert "/page/claim-altman-state-controlled" in {a["href"] for a in against.select(".on a")}
    assert card.select_one("blockquote.essay-quote a")["href"].startswith("/essay#t-a-")
    assert s.find("a", href="/argument") is not None                       # in the navigation
    # regression: one thesis point was counted as "1 points"
    assert s.find("h2", id="h-thesis").get_text() == "The thesis in 1 point" and "thesis in 1 point," in s.text


def test_resource_page_sections_speak_of_people(pc):
    s = soup(pc.get("/page/sam-altman"))
    titles = [h.contents[0].strip() for h in s.select("section.people h2")]
    assert titles == ["What Sam Altman says"]
    assert "The author rejects it".casefold() in s.select_one("section.says").get_text().casefold()
    s = soup(pc.get("/page/claim-altman-state-controlled"))
    assert "Said by" in s.select_one(".lead-voice").get_text() and s.select_one(".lead-voice a")["href"] == "/page/sam-altman"
    countered = s.select_one("section.argument-links .con")
    assert countered.h3.get_text() == "Countered by" and countered.find("a", href="/page/claim-feat")
    # RDF details folded away, still there
    assert s.select_one("section.data details.rdf section.statements dl.props") is not None
    s = soup(pc.get("/page/deepseek"))
    assert "What the essay says about DeepSeek" in [h.contents[0].strip() for h in s.select("section.people h2")]


def test_reader_highlights_carry_voice_and_stance(pc):
    text = essay_text()
    s = soup(pc.get("/essay"))
    start, end = locate(text, QUOTES["altman"])
    hl = s.select_one(f"a.hl[data-spans~='a-{start}-{end}']")
    assert {"v-other", "s-rejects", "k-claim"} <= set(hl["class"])
    start, end = locate(text, QUOTES["feat"])
    hl = s.select_one(f"a.hl[href='#a-{start}-{end}']")
    assert "v-author" in hl["class"] and "v-other" not in hl["class"]
    essay = s.select_one("article.essay")
    assert "mode-voice" in essay["class"] and "show-rejects" in essay["class"] and "show-author" not in essay["class"]
    legend = {i["value"] for i in s.select("fieldset.legend[data-mode=voice] input[checked]")}
    assert legend == {"rejects", "qualifies", "reports", "endorses", "thesis"}
    # the panel's content (server-rendered): who says it, the stance, what counters it
    sec = s.find("section", id=f"a-{locate(text, QUOTES['altman'])[0]}-{locate(text, QUOTES['altman'])[1]}")
    card = sec.select_one(".node-card")
    assert "Said by" in card.get_text() and card.find("a", href="/page/sam-altman")
    assert "the author rejects it" in card.select_one(".stance-badge").get_text().casefold()
    assert card.select_one(".con").find("a", href="/page/claim-feat")


def test_reader_controls_work_without_javascript(pc):
    s = soup(pc.get("/essay?mode=kind&set=1&show=event&show=bogus"))
    essay = s.select_one("article.essay")
    assert "mode-kind" in essay["class"] and "show-event" in essay["class"]
    assert not [c for c in essay["class"] if c.startswith("show-") and c != "show-event"]
    assert s.select_one("fieldset.legend[data-mode=kind]").get("hidden") is None
    s = soup(pc.get("/essay?mode=voice&set=1"))                 # all unticked
    assert not [c for c in s.select_one("article.essay")["class"] if c.startswith("show-")]


@pytest.mark.parametrize("slug, shown", [
    ("quantity-experience", "≤ 3–5 year"),           # a range keeps both bounds
    ("quantity-billions", "“billions”"),             # a vague amount keeps its words, no number
    ("quantity-market-cap", "down ≈ $600,000,000,000"),  # a change shows its direction
])
def test_quantities_show_range_vagueness_and_direction(pc, slug, shown):
    assert soup(pc.get(f"/page/{slug}")).select_one("p.quantity .qty").get_text() == shown


def test_values_not_in_the_essay_are_marked(pc):
    """A derived date says so where it is shown (resource page, timeline); an outside-knowledge
    node says so on its own page."""
    when = props(soup(pc.get("/page/event-little-known")), "statements")["when"][0].select_one("div.bnode")
    assert when.select_one(".provenance").get_text() == "Not in the essay: derived"
    assert when.find("a", href="/page/essay-publication-date") is not None
    items = soup(pc.get("/events")).select("ol.timeline li")
    marks = {li.a.get_text(): li.select_one(".provenance") for li in items}
    assert marks["DeepSeek is little known"].get_text() == "(derived)"
    assert marks["Nvidia's stock falls 17 percent"] is None
    header = soup(pc.get("/page/essay-publication-date")).select_one("header .provenance")
    assert "outside knowledge" in header.get_text()
    assert soup(pc.get("/page/event-nvidia-stock-fall")).select_one(".provenance") is None
