"""Full-text search inside SPARQL: text:search (rewritten to VALUES from the index) and
text:matches (per row), each checked against a brute-force scan of the served literals."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from kg import search
from kg.search import keys
from kg.web import create_app
from kg.web.text_query import TextQueryError, rewrite

from test_search import brute_force

P = "PREFIX text: <https://w3id.org/deepseek-kg/text#> PREFIX dsk: <https://w3id.org/deepseek-kg/ontology#> " \
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
JSON = {"Accept": "application/sparql-results+json"}
#: words of the essay (and some it lacks), for generated queries
WORDS = ["patient", "capital", "labor", "labour", "DeepSeek", "deepseek’s", "chips", "996", "state", "innovation",
         "technology", "transfer", "Liang", "Wenfeng", "hedge", "fund", "Silicon", "Valley", "Nvidia", "export",
         "false", "dichotomy", "WORKERS", "café", "zzzqx", "the", "China", "American", "hours"]


@pytest.fixture(scope="module")
def app():
    app = create_app({"QUERY_TIMEOUT": 5, "QUERY_PROCESSES": 1, "TESTING": True})
    yield app
    app.extensions["kg"].close()


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def documents(app):
    return search.documents(app.extensions["kg"].store)


def select(client, query: str, status: int = 200, **params):
    r = client.get("/sparql", query_string={"query": P + query, **params}, headers=JSON)
    assert r.status_code == status, r.data
    if status != 200:
        return r
    return [{k: v["value"] for k, v in b.items()} for b in r.get_json()["results"]["bindings"]], r


# -- text:search against a brute-force ranking -----------------------------------------------------
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(" ".join), st.integers(1, 40))
def test_search_rows_are_the_brute_force_ranking(client, documents, words, limit):
    rows, _ = select(client, f'SELECT ?s ?score ?field {{ (?s ?score ?field) text:search ("{words}" {limit}) }}')
    every = len(dict.fromkeys(keys(words)))
    want = [w for w in brute_force(documents, words, 10_000) if len(w[2]) == every][:limit]  # every word
    assert [r["s"] for r in rows] == [iri for iri, _, _ in want]  # VALUES keeps the index's order
    for r, (_, score, _) in zip(rows, want):
        assert float(r["score"]) == pytest.approx(score, rel=1e-5)
        assert r["field"] in search.FIELDS


def test_order_by_score_and_join_with_the_graph(client):
    rows, _ = select(client, """SELECT ?c ?score ?who { (?c ?score) text:search "capital" .
        ?c a dsk:Claim ; dsk:claimant ?who } ORDER BY DESC(?score) LIMIT 3""")
    assert len(rows) == 3 and all(r["c"].startswith("https://w3id.org/deepseek-kg/id/") for r in rows)
    scores = [float(r["score"]) for r in rows]
    assert scores == sorted(scores, reverse=True)


def test_a_constant_subject_asks_whether_it_matches(client):
    iri = "https://w3id.org/deepseek-kg/id/concept-patient-capital"
    rows, _ = select(client, f'SELECT ?score {{ (<{iri}> ?score) text:search "patient capital" }}')
    assert len(rows) == 1 and float(rows[0]["score"]) > 0
    ask = client.get("/sparql", query_string={"query": P + f'ASK {{ <{iri}> text:search "zzzqx" }}'}, headers=JSON)
    assert ask.get_json()["boolean"] is False


def test_two_searches_and_the_search_page_share_one_index(client, app):
    rows, _ = select(client, 'SELECT ?s { ?s text:search "patient" . ?s text:search "capital" }')
    both = {r["s"] for r in rows}
    index = app.extensions["kg"].search_index()
    assert both == {h.iri for h in index.search("patient", 1000)} & {h.iri for h in index.search("capital", 1000)}
    page = client.get("/search", query_string={"q": "patient capital"}).data.decode()
    first = select(client, 'SELECT ?s { ?s text:search "patient capital" } LIMIT 1')[0][0]["s"]
    assert first.rsplit("/", 1)[1] in page


@pytest.mark.parametrize("where", [
    'OPTIONAL { ?s text:search "patient" }',
    '{ ?s text:search "labor" } UNION { ?s text:search "patient" }',
    'GRAPH ?g { ?s rdfs:label ?l } ?s text:search "patient" .',
    '?s text:search """patient""" FILTER(isIRI(?s))',
    "?s text:search 'patient' .",
    '?s <https://w3id.org/deepseek-kg/text#search> ("patient" 3) .',
])
def test_the_pattern_works_wherever_a_triple_pattern_does(client, where):
    rows, _ = select(client, f"SELECT * {{ {where} }} LIMIT 50")
    assert rows


def test_the_words_are_data_never_query_text(client):
    rows, _ = select(client, r'SELECT ?s { ?s text:search "patient\" } ." }')
    assert rows  # the quote, brace and dot are no words: "patient" is searched
    rows, _ = select(client, r'SELECT ?s { ?s text:search "\" } SERVICE <http://127.0.0.1:9/> { ?x ?y ?z" }')
    assert rows == []  # words that match nothing, never SPARQL


def test_hits_beyond_the_limit_are_said(make_app):
    c = make_app(TEXT_MAX_HITS=1, SOURCES=None).test_client()
    r = c.get("/sparql", query_string={"query": P + 'SELECT ?s { ?s text:search "capital" }'}, headers=JSON)
    assert len(r.get_json()["results"]["bindings"]) == 1 and "kept the best 1" in r.headers["KG-Text-Truncated"]
    asked = c.get("/sparql", query_string={"query": P + 'SELECT ?s { ?s text:search ("capital" 1) }'}, headers=JSON)
    assert "KG-Text-Truncated" not in asked.headers  # the query asked for one: nothing to say


@pytest.mark.parametrize("where, says", [
    ('?s rdfs:label ?l ; text:search "x"', "own subject"),
    ('?s text:search "x" ; rdfs:label ?l', "followed by ';'"),
    ('?s text:search ("x" ?n)', "a string, or a list"),
    ('(?s "x") text:search "y"', "cannot stand there"),
    ('(?s ?a ?b ?c) text:search "y"', "one to three terms"),
])
def test_a_malformed_pattern_is_a_400_that_shows_the_form(client, where, says):
    r = select(client, f"SELECT * {{ {where} }}", status=400)
    assert says in r.data.decode() and "text:search" in r.data.decode()


def test_the_iri_named_elsewhere_is_left_alone(client):
    rows, _ = select(client, "SELECT ?p { VALUES ?p { text:search } }")
    assert rows == [{"p": "https://w3id.org/deepseek-kg/text#search"}]


def test_rewrite_without_a_server():
    index = search.SearchIndex.from_documents([("http://ex/a", {"label": ["x y"]})])
    out = rewrite(P + 'SELECT * { <http://ex/b> text:search "x" }', index)
    assert "VALUES () {  }" in out.query and out.patterns == 1
    with pytest.raises(TextQueryError):
        rewrite(P + "SELECT * { ?s text:search ( ) }", index)


# -- text:matches, per row ---------------------------------------------------------------------------
def _literals(documents):
    return [(iri, v) for iri, fields in documents for values in fields.values() for v in values]


@pytest.mark.parametrize("words", ["labor", "patient capital", "DeepSeek’s CHIPS", "café", "996", "zzzqx"])
def test_matches_is_the_brute_force_scan(client, documents, words):
    rows, _ = select(client, f"""SELECT DISTINCT ?s ?v {{ ?s rdfs:label|dsk:statement|dsk:anchor/<http://www.w3.org/ns/oa#hasSelector>/<http://www.w3.org/ns/oa#exact>|<http://www.w3.org/2004/02/skos/core#prefLabel>|<http://purl.org/dc/terms/title>|<http://www.w3.org/2004/02/skos/core#definition>|dsk:description|<http://purl.org/dc/terms/description> ?v
        FILTER(isIRI(?s) && isLiteral(?v) && text:matches(?v, "{words}")) }}""")
    want = set(keys(words))
    scan = {(iri, v) for iri, v in _literals(documents) if want <= set(keys(v))}
    assert {(r["s"], r["v"]) for r in rows} == scan


def test_matches_on_a_non_literal_drops_the_row(client):
    rows, _ = select(client, 'SELECT ?s { ?s a dsk:Claim FILTER(text:matches(?s, "claim")) } LIMIT 1')
    assert rows == []
