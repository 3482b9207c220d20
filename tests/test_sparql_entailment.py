"""Entailment as a SPARQL user meets it: the inferred graph in the default graph, announced in the
service description, left out with infer=false, and in no dump."""
from __future__ import annotations

import pyoxigraph as ox
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDFS

from kg.namespaces import DSK, PROV, SD
from kg.sources import INFERRED_GRAPH, ONTOLOGY_GRAPH
from kg.store import OxigraphStore
from kg.web import create_app

AGENTS = f"SELECT (COUNT(DISTINCT ?x) AS ?n) {{ ?x a <{DSK.Agent}> }}"
JSON = {"Accept": "application/sparql-results+json"}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    app = create_app({"QUERY_TIMEOUT": 5, "QUERY_PROCESSES": 1, "TESTING": True,
                      "DUMPS_DIR": str(tmp_path_factory.mktemp("dumps"))})
    yield app
    app.extensions["kg"].close()


@pytest.fixture
def client(app):
    return app.test_client()


def count(client, query: str, **params) -> int:
    r = client.get("/sparql", query_string={"query": query, **params}, headers=JSON)
    assert r.status_code == 200, r.data
    return int(r.get_json()["results"]["bindings"][0]["n"]["value"])


def test_the_issues_query_counts_the_actors(client):
    actors = count(client, f"""SELECT (COUNT(DISTINCT ?x) AS ?n) {{ ?x a ?c VALUES ?c {{
        <{DSK.Person}> <{DSK.Company}> <{DSK.InvestmentFund}> <{DSK.MediaOutlet}> <{DSK.GovernmentBody}>
        <{DSK.AcademicInstitution}> <{DSK.State}> <{DSK.Group}> <{DSK.Organization}> }} }}""", infer="false")
    assert actors > 50
    assert count(client, AGENTS) == actors
    assert count(client, f"SELECT (COUNT(DISTINCT ?x) AS ?n) {{ ?x a <{DSK.Organization}> }}") > 0


@pytest.mark.parametrize("params", [{"infer": "false"}, {"infer": "0"}, {"infer": "No"}])
def test_infer_false_asks_for_the_stated_triples(client, params):
    assert count(client, AGENTS, **params) == 0
    graphs = client.get("/sparql", query_string={"query": "SELECT DISTINCT ?g { GRAPH ?g {} }", **params}, headers=JSON)
    names = {b["g"]["value"] for b in graphs.get_json()["results"]["bindings"]}
    assert ONTOLOGY_GRAPH in names and INFERRED_GRAPH not in names


def test_naming_the_graphs_asks_for_the_stated_triples_too(client):
    from_clauses = "".join(f"FROM <{g}> " for g in (ONTOLOGY_GRAPH, "https://w3id.org/deepseek-kg/graph/essay"))
    assert count(client, f"SELECT (COUNT(DISTINCT ?x) AS ?n) {from_clauses} {{ ?x a <{DSK.Agent}> }}") == 0
    assert count(client, f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{INFERRED_GRAPH}> {{ ?s ?p ?o }} }}") > 1000


@pytest.mark.parametrize("value", ["maybe", ""])
def test_a_bad_infer_value_is_a_400_that_says_what_to_send(client, value):
    r = client.get("/sparql", query_string={"query": AGENTS, "infer": value})
    assert r.status_code == 400 and b"infer=false" in r.data


def test_infer_is_part_of_the_etag(client):
    a = client.get("/sparql", query_string={"query": AGENTS}, headers=JSON)
    b = client.get("/sparql", query_string={"query": AGENTS, "infer": "false"}, headers=JSON)
    assert a.headers["ETag"] != b.headers["ETag"]


def test_the_service_description_announces_the_inferred_graph(client):
    g = Graph().parse(data=client.get("/sparql", headers={"Accept": "text/turtle"}).data, format="turtle")
    named = [ng for ng in g.subjects(SD.name, URIRef(INFERRED_GRAPH))]
    assert len(named) == 1
    graph = g.value(named[0], SD.graph)
    assert (graph, PROV.wasDerivedFrom, URIRef(ONTOLOGY_GRAPH)) in g
    assert "owl:inverseOf" in str(g.value(graph, RDFS.comment))
    endpoint_comment = " ".join(str(c) for c in g.objects(None, RDFS.comment))
    assert "infer=false" in endpoint_comment


def test_dumps_leave_the_inferred_graph_out(client):
    quads = list(ox.parse(client.get("/dumps/deepseek-kg.nq").data, format=ox.RdfFormat.N_QUADS))
    graphs = {q.graph_name.value for q in quads if isinstance(q.graph_name, ox.NamedNode)}
    assert ONTOLOGY_GRAPH in graphs and INFERRED_GRAPH not in graphs
    plain = OxigraphStore.from_sources(entail=False)
    assert len(quads) == len(plain.store)


@pytest.mark.parametrize("fmt", [ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG])
def test_store_dump_is_the_data_as_loaded(fmt):
    served, plain = OxigraphStore.from_sources(), OxigraphStore.from_sources(entail=False)
    assert served.triple_count(INFERRED_GRAPH) > 1000
    inferred = ox.NamedNode(INFERRED_GRAPH)
    dumped = set(ox.parse(served.dump(fmt), format=fmt))
    assert dumped == {q for q in served.store if q.graph_name != inferred} and len(dumped) == len(plain.store)
