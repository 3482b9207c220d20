"""Real SPARQL clients against the live server (gunicorn, bundled data), with their default
settings: SPARQLWrapper, rdflib's SPARQLStore and Jena's rsparql run the 27 competency queries and
get the embedded engine's answers (issue 15, item 1: SPARQLWrapper's defaults got 400s and 406s)."""
from __future__ import annotations

import warnings
from collections import Counter
from xml.dom.minidom import Document

import pyoxigraph as ox
import pytest
from rdflib import BNode, Literal, URIRef

from kg.queries import compact, named_queries
from kg.store import OxigraphStore
from kg.web.query_scan import scan
from testkit import jena

QUERIES = named_queries()
IDS = [q.slug for q in QUERIES]
SELECT = "SELECT ?s ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label } LIMIT 5"
CONSTRUCT = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 5"


def rows(solutions) -> Counter:
    """A multiset of rows, each value in the expected answers' compact form."""
    return Counter(tuple(sorted((k, compact(v)) for k, v in row.items() if v is not None)) for row in solutions)


@pytest.fixture(scope="module")
def embedded() -> dict[str, Counter]:
    store = OxigraphStore.from_sources()
    out = {}
    for q in QUERIES:
        res = store.query(q.text)
        names = [v.value for v in res.variables]
        out[q.slug] = rows({n: s[n] for n in names} for s in res)
    return out


@pytest.fixture(scope="module")
def server(start_server):
    """server.py on the bundled data: what a user points a client at."""
    return start_server(["--workers", "2", "--threads", "2", "--no-dump-warmup"])


# --- SPARQLWrapper ------------------------------------------------------------------------------

def test_sparqlwrapper_reads_every_query_form_right():
    """SPARQLWrapper guesses the form from the text (comments only partly removed): each .rq file
    must read as what it is, or it is sent as an update (a question saying "copy") or asks for RDF
    ("describe"). docs/data-guide.md: header comment lines are each followed by a blank line."""
    from SPARQLWrapper import SPARQLWrapper
    wrong = {}
    for q in QUERIES:
        sw = SPARQLWrapper("http://127.0.0.1:1/sparql")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # its own RuntimeWarnings about unknown forms
            sw.setQuery(q.text)
        if sw.queryType != scan(q.text).form:
            wrong[q.slug] = sw.queryType
    assert not wrong, f"SPARQLWrapper misreads these queries' forms: {wrong}"


def _sw_rows(doc: Document) -> Counter:
    """SPARQLWrapper's default answer (SPARQL XML as a DOM) as a multiset of compact rows."""
    out = []
    for result in doc.getElementsByTagName("result"):
        row = {}
        for b in result.getElementsByTagName("binding"):
            node = next(n for n in b.childNodes if n.nodeType == n.ELEMENT_NODE)
            text = "".join(t.data for t in node.childNodes if t.nodeType == t.TEXT_NODE)
            row[b.getAttribute("name")] = (URIRef(text) if node.tagName == "uri" else BNode(text) if node.tagName == "bnode"
                                           else Literal(text, datatype=node.getAttribute("datatype") or None,
                                                        lang=node.getAttribute("xml:lang") or None))
        out.append(row)
    return rows(out)


@pytest.mark.parametrize("query", QUERIES, ids=IDS)
def test_sparqlwrapper_with_its_defaults_gets_the_embedded_answers(server, embedded, query):
    from SPARQLWrapper import SPARQLWrapper
    sw = SPARQLWrapper(server.url + "/sparql")  # default settings: GET, XML, format= repeated
    sw.setQuery(query.text)
    assert _sw_rows(sw.query().convert()) == embedded[query.slug]


@pytest.mark.parametrize("form,fmt", [("SELECT", f) for f in ("xml", "json", "csv", "tsv")] +
                         [("CONSTRUCT", f) for f in ("xml", "rdf+xml", "turtle", "n3", "json-ld")])
def test_sparqlwrapper_every_return_format(server, form, fmt):
    """SPARQLWrapper sends format=tsv&format=text/tab-separated-values (likewise for RDF/XML and
    JSON-LD) and format=n3: each gets its answer, parsed by SPARQLWrapper itself."""
    from SPARQLWrapper import SPARQLWrapper
    sw = SPARQLWrapper(server.url + "/sparql", returnFormat=fmt)
    sw.setQuery(SELECT if form == "SELECT" else CONSTRUCT)
    res = sw.query()
    assert res.response.status == 200
    if form == "SELECT":
        answer = res.convert()  # SPARQLWrapper's own parse
        assert (len(answer["results"]["bindings"]) if fmt == "json" else
                len(answer.getElementsByTagName("result")) if fmt == "xml" else
                len(answer.decode().strip().splitlines()) - 1) == 5
    else:  # its convert() builds an rdflib ConjunctiveGraph, which rdflib 7 deprecates: parse what it got
        mime = res.response.headers["Content-Type"].split(";")[0]
        assert len(list(ox.parse(res.response.read(), format=ox.RdfFormat.from_media_type(mime)))) == 5


# --- rdflib's SPARQLStore -----------------------------------------------------------------------

@pytest.mark.parametrize("query", QUERIES, ids=IDS)
def test_rdflib_sparqlstore_gets_the_embedded_answers(server, embedded, query):
    from rdflib import Graph
    from rdflib.plugins.stores.sparqlstore import SPARQLStore
    g = Graph(store=SPARQLStore(server.url + "/sparql"))
    res = g.query(query.text)
    assert rows(r.asdict() for r in res) == embedded[query.slug]


# --- Jena rsparql -------------------------------------------------------------------------------

def rsparql_commands(url: str, files) -> list[list[str]]:
    """What a user types: ``rsparql --service URL --query FILE.rq --results=JSON`` (docs/exports.md)."""
    return [["rsparql", "--service", url, "--query", str(f), "--results=JSON"] for f in files]


def test_jena_rsparql_gets_the_embedded_answers(server, embedded, jena_tools):
    results = jena_tools.run(rsparql_commands(server.url + "/sparql", [q.path for q in QUERIES]))
    differ = []
    for q, r in zip(QUERIES, results):
        assert r.code == 0, f"{q.slug}: {jena.command_line(r.command)}: {r.err[-500:]}"
        res = ox.parse_query_results(r.out.encode(), format=ox.QueryResultsFormat.JSON)
        names = [v.value for v in res.variables]
        if rows({n: s[n] for n in names} for s in res) != embedded[q.slug]:
            differ.append(q.slug)
    assert not differ and len(results) == len(QUERIES) == 27
