"""Every competency query in queries/ returns its expected answer, in rdflib and in pyoxigraph."""
from __future__ import annotations

from collections import Counter

import pyoxigraph as ox
import pytest

from kg.canonical import to_ox_term
from kg.queries import compact, named_queries

QUERIES = named_queries()


@pytest.fixture(scope="module")
def ox_store(shipped_graph):
    store = ox.Store()
    store.extend(ox.Quad(*map(to_ox_term, t), ox.DefaultGraph()) for t in shipped_graph)
    return store


def test_there_are_at_least_25_competency_queries():
    assert len(QUERIES) >= 25
    for q in QUERIES:
        assert q.title and q.question, f"{q.path.name} needs '# title:' and '# question:' lines"
        assert q.expected is not None, f"{q.path.name} has no .expected.json"


def _rows_rdflib(g, text):
    result = g.query(text)
    if result.type == "ASK":
        return {"boolean": bool(result.askAnswer)}
    return [{str(v): compact(row[v]) for v in result.vars if row[v] is not None} for row in result]


def _rows_ox(store, text):
    result = store.query(text)
    if isinstance(result, bool):
        return {"boolean": result}
    names = [v.value for v in result.variables]
    return [{n: compact(sol[n]) for n in names if sol[n] is not None} for sol in result]


def _check(rows, expected, name):
    if "boolean" in expected:
        assert rows == {"boolean": expected["boolean"]}, name
        return
    want = [{k: str(v) for k, v in r.items()} for r in expected["rows"]]
    if expected.get("ordered"):
        assert rows == want, name
    else:
        key = lambda r: tuple(sorted(r.items()))  # noqa: E731
        assert Counter(map(key, rows)) == Counter(map(key, want)), name


@pytest.mark.parametrize("query", QUERIES, ids=[q.slug for q in QUERIES])
def test_query_in_rdflib(shipped_graph, query):
    _check(_rows_rdflib(shipped_graph, query.text), query.expected, query.slug)


@pytest.mark.parametrize("query", QUERIES, ids=[q.slug for q in QUERIES])
def test_query_in_pyoxigraph(ox_store, query):
    _check(_rows_ox(ox_store, query.text), query.expected, query.slug)
