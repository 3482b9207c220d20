"""Curated writes keep the inferred graph current, in the writing process and in every process
that catches up with the journal; nobody writes the inferred graph itself."""
from __future__ import annotations

import pyoxigraph as ox
import pytest

from kg import entailment as E
from kg.auth import add_token
from kg.changes import ChangeSet, Refusal, Update
from kg.curated import CuratedStore, read_state
from kg.sources import INFERRED_GRAPH, ONTOLOGY_GRAPH, SourceFile

from conftest import EX, GRAPHS

PEOPLE = GRAPHS["people.ttl"]
ONTOLOGY = f"""@prefix ex: <{EX}> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
ex:Person rdfs:subClassOf ex:Agent . ex:Agent rdfs:subClassOf ex:Thing .
ex:knows a owl:SymmetricProperty ; rdfs:domain ex:Person .
ex:actor rdfs:range ex:Agent ; owl:inverseOf ex:actedIn .
"""
INFERRED = ox.NamedNode(INFERRED_GRAPH)


@pytest.fixture
def sources(fixture_sources, tmp_path):
    (tmp_path / "onto.ttl").write_text(ONTOLOGY)
    return [*fixture_sources, SourceFile(tmp_path / "onto.ttl", ONTOLOGY_GRAPH)]


def curated(path, sources) -> CuratedStore:
    return CuratedStore(path, sources, writable_prefix="")


def inferred(store: CuratedStore) -> set[ox.Triple]:
    return {q.triple for q in store.store.quads_for_pattern(None, None, None, INFERRED)}


def full(store: CuratedStore) -> set[ox.Triple]:
    return E.closure(E.Schema.from_store(store.store), E.input_quads(store.store))


def write(store: CuratedStore, update: str):
    return store.write(ChangeSet("SPARQL Update", update, [Update(update, None)]), agent="alice")


def ask(store: CuratedStore, query: str) -> bool:
    return bool(store.query(f"PREFIX ex: <{EX}> ASK {{ {query} }}"))


def test_writes_keep_the_inferred_graph_current_in_every_process(sources, tmp_path):
    a = curated(tmp_path / "state", sources)
    b = curated(tmp_path / "state", sources)  # another worker on the same state directory
    assert ask(a, "ex:alice a ex:Thing ; ex:knows ex:carol . ex:carol ex:knows ex:alice")
    write(a, f"PREFIX ex: <{EX}> INSERT DATA {{ GRAPH <{PEOPLE}> {{ ex:dave a ex:Person ; ex:knows ex:erin }} }}")
    assert a.last_entailment.added and not a.last_entailment.full
    assert ask(a, "ex:dave a ex:Agent, ex:Thing . ex:erin ex:knows ex:dave ; a ex:Person")
    assert inferred(a) == full(a)
    assert b.sync() and inferred(b) == full(b) == inferred(a)
    write(b, f"PREFIX ex: <{EX}> DELETE DATA {{ GRAPH <{PEOPLE}> {{ ex:dave a ex:Person ; ex:knows ex:erin }} }}")
    assert a.sync() and not ask(a, "ex:dave a ex:Agent") and not ask(a, "ex:erin ex:knows ex:dave")
    assert ask(a, "ex:alice a ex:Agent")  # untouched
    assert inferred(a) == full(a) == inferred(b)


def test_a_changed_axiom_recomputes_the_closure(sources, tmp_path):
    s = curated(tmp_path / "state", sources)
    write(s, f"""PREFIX ex: <{EX}> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        DELETE DATA {{ GRAPH <{ONTOLOGY_GRAPH}> {{ ex:Agent rdfs:subClassOf ex:Thing }} }}""")
    assert s.last_entailment.full and not ask(s, "ex:alice a ex:Thing") and ask(s, "ex:alice a ex:Agent")
    assert inferred(s) == full(s)


def test_a_restart_derives_the_same_graph_and_keeps_it_out_of_the_state(sources, tmp_path):
    s = curated(tmp_path / "state", sources)
    write(s, f"PREFIX ex: <{EX}> INSERT DATA {{ GRAPH <{PEOPLE}> {{ ex:dave a ex:Person }} }}")
    again = curated(tmp_path / "state", sources)
    assert inferred(again) == inferred(s) and ask(again, "ex:dave a ex:Thing")
    assert not any(q.graph_name == INFERRED for q in read_state(tmp_path / "state"))
    assert INFERRED_GRAPH not in (tmp_path / "state" / "base.nq").read_text() + (tmp_path / "state" / "journal").read_text()


def test_nobody_writes_the_inferred_graph(sources, tmp_path):
    s = curated(tmp_path / "state", sources)
    before = inferred(s)
    with pytest.raises(Refusal) as exc:
        write(s, f"INSERT DATA {{ GRAPH <{INFERRED_GRAPH}> {{ <{EX}x> a <{EX}Agent> }} }}")
    assert exc.value.status == 403 and inferred(s) == before


def test_updates_do_not_see_the_inferred_graph(sources, tmp_path):
    """CLEAR ALL clears what curators wrote; the inferred graph follows (derived), not the update."""
    s = curated(tmp_path / "state", sources)
    write(s, "CLEAR ALL")
    assert not inferred(s) and full(s) == set()


def test_over_http_the_written_type_is_entailed_at_once(make_app, sources, tmp_path):
    tokens = tmp_path / "tokens.json"
    token = add_token(tokens, "alice", "write")
    (tmp_path / "shapes.ttl").write_text("")
    app = make_app(SOURCES=sources, ALLOW_UPDATE=True, STATE_DIR=str(tmp_path / "state"), TOKENS=str(tokens),
                   SHAPES=str(tmp_path / "shapes.ttl"), WRITABLE_GRAPHS=EX + "graph/")
    c = app.test_client()
    q = {"query": f"ASK {{ <{EX}dave> a <{EX}Agent> }}"}
    assert c.get("/sparql", query_string=q, headers={"Accept": "application/sparql-results+json"}).json["boolean"] is False
    r = c.post("/update", data=f"INSERT DATA {{ GRAPH <{PEOPLE}> {{ <{EX}dave> a <{EX}Person> }} }}",
               headers={"Authorization": f"Bearer {token}", "Content-Type": "application/sparql-update"})
    assert r.status_code == 200, r.data
    assert c.get("/sparql", query_string=q, headers={"Accept": "application/sparql-results+json"}).json["boolean"] is True
    put = c.put(f"/rdf-graph-store?graph={INFERRED_GRAPH}", data=f"<{EX}x> a <{EX}Agent> .",
                headers={"Authorization": f"Bearer {token}", "Content-Type": "text/turtle"})
    assert put.status_code == 403 and b"inferred graph" in put.data
    drop = c.post("/update", data=f"DROP GRAPH <{INFERRED_GRAPH}>",
                  headers={"Authorization": f"Bearer {token}", "Content-Type": "application/sparql-update"})
    assert drop.status_code == 403 and b"inferred graph" in drop.data
