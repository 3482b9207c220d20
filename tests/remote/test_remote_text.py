"""Full-text search in SPARQL on a remote engine (Virtuoso): text:search is rewritten into standard
SPARQL before the engine sees it, so it answers as the embedded store does; text:matches cannot run
there and is refused with a 400 that says what to use."""
from __future__ import annotations

import pytest

from kg.web import create_app

P = "PREFIX text: <https://w3id.org/deepseek-kg/text#> PREFIX dsk: <https://w3id.org/deepseek-kg/ontology#> "
JSON = {"Accept": "application/sparql-results+json"}
QUERY = P + 'SELECT ?s ?score { (?s ?score) text:search ("patient capital" 10) . ?s ?p ?o } GROUP BY ?s ?score ORDER BY DESC(?score) ?s'


def rows(client, query: str) -> list[tuple[str, float]]:
    r = client.get("/sparql", query_string={"query": query}, headers=JSON)
    assert r.status_code == 200, r.data
    return [(b["s"]["value"], float(b["score"]["value"])) for b in r.get_json()["results"]["bindings"]]


def test_text_search_answers_as_on_the_embedded_store(bundled_app):
    embedded = create_app({"QUERY_TIMEOUT": 0, "TESTING": True})
    try:
        want = rows(embedded.test_client(), QUERY)
    finally:
        embedded.extensions["kg"].close()
    got = rows(bundled_app.test_client(), QUERY)
    assert want and [iri for iri, _ in got] == [iri for iri, _ in want]
    assert [score for _, score in got] == pytest.approx([score for _, score in want], rel=1e-5)  # engines round doubles


def test_text_matches_is_refused_with_what_to_use(bundled_app):
    r = bundled_app.test_client().get("/sparql", query_string={
        "query": P + 'SELECT ?c { ?c dsk:statement ?s FILTER(text:matches(?s, "labor")) }'}, headers=JSON)
    assert r.status_code == 400 and b"text:search" in r.data
