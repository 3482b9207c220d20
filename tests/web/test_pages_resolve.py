"""Dereferenceable IRIs: 303 + content negotiation, /data/ twins, the ontology, 404s, search, escaping."""
from __future__ import annotations

import json

import pytest
from bs4 import BeautifulSoup

from .conftest import XSS

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
IRI = "https://w3id.org/deepseek-kg/id/claim-altman-state-controlled"


def soup(resp) -> BeautifulSoup:
    return BeautifulSoup(resp.get_data(as_text=True), "html.parser")


@pytest.mark.parametrize("accept, location", [
    (None, "/data/deepseek.ttl"),                       # curl
    ("*/*", "/data/deepseek.ttl"),
    (BROWSER, "/page/deepseek"),
    ("text/turtle", "/data/deepseek.ttl"),
    ("application/ld+json", "/data/deepseek.jsonld"),
    ("application/n-triples", "/data/deepseek.nt"),
    ("application/rdf+xml", "/data/deepseek.rdf"),
    ("application/ld+json;q=0.5, text/turtle;q=0.9", "/data/deepseek.ttl"),
])
def test_iri_303_by_accept(pc, accept, location):
    r = pc.get("/deepseek-kg/id/deepseek", headers={"Accept": accept} if accept else {})
    assert r.status_code == 303
    assert r.headers["Location"] == location
    assert "Accept" in r.headers["Vary"]


@pytest.mark.parametrize("fmt, location", [("html", "/page/deepseek"), ("jsonld", "/data/deepseek.jsonld"),
                                           ("ttl", "/data/deepseek.ttl"), ("text/turtle", "/data/deepseek.ttl")])
def test_format_parameter_overrides_accept(pc, fmt, location):
    r = pc.get(f"/deepseek-kg/id/deepseek?format={fmt}", headers={"Accept": BROWSER})
    assert (r.status_code, r.headers["Location"]) == (303, location)


def test_unacceptable_is_406_not_500(pc):
    assert pc.get("/deepseek-kg/id/deepseek", headers={"Accept": "image/png"}).status_code == 406
    assert pc.get("/deepseek-kg/id/deepseek?format=png").status_code == 406


@pytest.mark.parametrize("ext, media, marker", [("ttl", "text/turtle", "ds:deepseek"),
                                                ("nt", "application/n-triples", "<https://w3id.org/deepseek-kg/id/deepseek>"),
                                                ("jsonld", "application/ld+json", "@id"),
                                                ("rdf", "application/rdf+xml", "rdf:RDF")])
def test_data_twins(pc, ext, media, marker):
    r = pc.get(f"/data/deepseek.{ext}")
    assert r.status_code == 200 and r.mimetype == media
    assert marker in r.get_data(as_text=True)
    assert 'rel="alternate"' in r.headers["Link"] and "/page/deepseek" in r.headers["Link"]


def test_data_twin_includes_owned_blank_nodes(pc):
    """The anchor (blank node) and its selectors travel with the claim."""
    import pyoxigraph as ox
    body = pc.get("/data/claim-altman-state-controlled.nt").data
    triples = list(ox.parse(body, format=ox.RdfFormat.N_TRIPLES))
    preds = {t.predicate.value for t in triples}
    assert "http://www.w3.org/ns/oa#exact" in preds and "http://www.w3.org/ns/oa#start" in preds


def test_unknown_iri_404_page_offers_search(pc):
    r = pc.get("/deepseek-kg/id/sam-altmann", headers={"Accept": BROWSER})
    assert r.status_code == 404 and r.mimetype == "text/html"
    s = soup(r)
    assert "Nothing in this graph" in s.find(class_="notfound").get_text()
    assert s.find("form", attrs={"role": "search"}) is not None
    r = pc.get("/page/sam-altmann")
    assert r.status_code == 404
    assert any("Sam Altman" in a.get_text() for a in soup(r).select("ul.hits a"))


@pytest.mark.parametrize("path", ["/page/%00", "/page/a%20b", "/page/x>y", "/data/x%3Ey.ttl", "/data/deepseek.exe",
                                  "/resource?iri=javascript:alert(1)", "/resource?iri=%3E%20%7B", "/resource",
                                  "/search?q=%00", "/claims?claimant=%3Cx%3E&stance=%22", "/deepseek-kg/id/%22%3E"])
def test_bad_input_never_500(pc, path):
    r = pc.get(path)
    assert r.status_code in (200, 301, 400, 404), (path, r.status_code)
    assert b"Traceback" not in r.data


def test_page_links_its_twins(pc):
    r = pc.get("/page/deepseek")
    assert r.status_code == 200
    link = r.headers["Link"]
    for suffix in ("ttl", "jsonld", "nt", "rdf"):
        assert f"</data/deepseek.{suffix}>" in link
    s = soup(r)
    alternates = {l["type"]: l["href"] for l in s.find_all("link", rel="alternate")}
    assert alternates["text/turtle"] == "/data/deepseek.ttl"
    assert s.find("a", href="/data/deepseek.jsonld") is not None     # visible link
    assert s.find("link", rel="canonical")["href"] == "https://w3id.org/deepseek-kg/id/deepseek"


def test_page_embeds_its_data_as_jsonld(pc):
    s = soup(pc.get("/page/claim-altman-state-controlled"))
    data = json.loads(s.find("script", type="application/ld+json").string)
    assert IRI in json.dumps(data)


def test_ontology_terms_resolve(pc):
    r = pc.get("/deepseek-kg/ontology", headers={"Accept": BROWSER})
    assert (r.status_code, r.headers["Location"]) == (303, "/ontology")
    r = pc.get("/deepseek-kg/ontology")
    assert (r.status_code, r.headers["Location"]) == (303, "/ontology.ttl")
    r = pc.get("/ontology.ttl")
    assert r.status_code == 200 and "dsk:Claim" in r.get_data(as_text=True)
    s = soup(pc.get("/ontology"))
    assert s.find(id="Claim") is not None and s.find(id="claimant") is not None


def test_links_stay_on_the_server(pc):
    s = soup(pc.get("/page/claim-altman-state-controlled"))
    hrefs = [a["href"] for a in s.select("main a[href]")]
    assert "/page/sam-altman" in hrefs
    assert "/ontology#claimant" in hrefs
    assert not [h for h in hrefs if h.startswith("https://w3id.org/")]


# --- escaping --------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/page/hostile", "/page/claim-hostile", "/claims", "/actors", "/essay",
                                  "/search?q=script", "/map", "/causal", "/page/essay"])
def test_hostile_literals_render_as_text(pc, path):
    r = pc.get(path)
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert XSS not in html
    s = soup(r)
    for script in s.find_all("script"):   # only our own scripts: files, JSON or JSON-LD
        assert script.get("src") or script.get("type") in ("application/json", "application/ld+json")
        assert "alert(1)" not in (script.string or "") or "\\u003cscript" in (script.string or "")
    if path in ("/page/hostile", "/page/claim-hostile", "/search?q=script"):
        assert XSS in s.get_text()       # shown, as text


def test_search_box_on_every_page(pc):
    for path in ("/", "/essay", "/claims", "/page/deepseek", "/dataset", "/map", "/query", "/ontology"):
        s = soup(pc.get(path))
        form = s.find("form", attrs={"role": "search"})
        assert form is not None and form["action"] == "/search", path


@pytest.mark.parametrize("q", ["zhongguo cafe", "ZHŌNGGUÓ", "café", "Cafe", "  zhongguo   CAFÉ "])
def test_search_is_case_and_accent_insensitive(pc, q):
    s = soup(pc.get("/search", query_string={"q": q}))
    assert [a.get_text() for a in s.select("ul.hits > li > a")] == ["Zhōngguó Café"]


def test_search_finds_words_and_reports_none(pc):
    s = soup(pc.get("/search?q=altman"))
    texts = [a.get_text() for a in s.select("ul.hits > li > a")]
    assert "Sam Altman" in texts and "Altman: DeepSeek is state-controlled" in texts
    assert texts[0] == "Sam Altman"                                   # the shortest label, ranked first
    assert [m.get_text() for m in s.select("ul.hits > li > a mark")][:1] == ["Altman"]
    s = soup(pc.get("/search?q=zzzzqqq"))
    assert s.select("ul.hits a") == [] and "0 results" in s.get_text()


@pytest.mark.parametrize("q, hit, absent", [
    ("calibrated", None, "/page/claim-feat"),            # a part of "recalibrated" is not a word of it
    ("controlled", "/page/claim-altman-state-controlled", None),   # a word of a hyphenated word
    ("chinese state", "/page/claim-commentators-state-product", None),   # words of a statement
    ("recalibrated", "/page/claim-feat", None),          # a word only in the quote
])
def test_search_is_word_aware_over_labels_statements_and_quotes(pc, q, hit, absent):
    s = soup(pc.get("/search", query_string={"q": q}))
    hrefs = [a["href"] for a in s.select("ul.hits > li > a")]
    if hit:
        assert hit in hrefs
        li = s.find("a", href=hit).find_parent("li")
        assert {m.get_text().casefold() for m in li.select("mark")} >= set(q.split())
    if absent:
        assert absent not in hrefs


def test_search_does_not_match_inside_words(pc):
    """'cafe' finds Café; 'caf' (a part of a word) finds nothing."""
    s = soup(pc.get("/search?q=caf"))
    assert s.select("ul.hits a") == []


def test_and_n_more_lists_show_the_same_items_on_every_engine(bundled_app):
    """Regression (issue 15, item 8): a long "Linked from" group showed its first 40 links in the
    engine's row order, so Virtuoso, the Oxigraph server and the embedded store listed different
    ones before "and N more". The page shows the first 40 in IRI order, whatever the engine."""
    from kg.web.pages import model
    from kg.namespaces import DS
    page = BeautifulSoup(bundled_app.test_client().get("/page/essay", headers={"Accept": "text/html"}).data,
                         "html.parser")
    shown = sorted([a["title"] for a in ul.select("li > a")] for ul in page.select("section.incoming dd ul")
                   if ul.select_one("li.more"))
    assert shown, "the essay is linked from more anchors than a page lists: there should be a cut list"
    every = model.incoming(bundled_app.extensions["kg"].store, str(DS.essay), limit=10 ** 6)
    assert shown == sorted(sorted(g.subjects)[:40] for g in every if g.count > 40)  # 40: what a page lists
