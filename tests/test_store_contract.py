"""The Store contract (kg.store.Store), checked the same way on every kind of store: the embedded
in-memory store, the on-disk store and the external engines (Virtuoso, the Oxigraph server). The web layer relies on
these and nothing else, so a new kind of store is one more row of conftest.STORE_KINDS."""
from __future__ import annotations

import pyoxigraph as ox
import pytest

from kg.changes import ChangeSet, Refusal, Update
from kg.store import Capabilities, Dataset

from conftest import EX, GRAPHS

PEOPLE, EVENTS = GRAPHS["people.ttl"], GRAPHS["events.ttl"]


def test_graphs_and_counts(store):
    assert store.named_graphs() == sorted(GRAPHS.values())
    per_graph = {g: store.triple_count(g) for g in GRAPHS.values()}
    assert per_graph == {PEOPLE: 11, EVENTS: 8}
    assert store.triple_count() == sum(per_graph.values())


def test_the_default_graph_is_the_union_unless_a_dataset_is_named(store):
    union = list(store.query(f"SELECT ?p WHERE {{ <{EX}alice> ?p ?o }}"))
    assert len(union) == 5
    only_events = Dataset(default_graphs=[EVENTS], named_graphs=[])
    assert not bool(store.query(f"ASK {{ <{EX}alice> a <{EX}Person> }}", only_events))
    assert bool(store.query(f"ASK {{ <{EX}launch> a <{EX}Event> }}", only_events))
    graphs = {s["g"].value for s in store.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")}
    assert graphs == set(GRAPHS.values())


def test_answers_are_pyoxigraph_objects(store):
    assert isinstance(store.query("ASK { ?s ?p ?o }"), ox.QueryBoolean)
    assert isinstance(store.query("SELECT * WHERE { ?s ?p ?o } LIMIT 1"), ox.QuerySolutions)
    triples = list(store.query(f"CONSTRUCT {{ <{EX}bob> ?p ?o }} WHERE {{ <{EX}bob> ?p ?o }}"))
    assert triples and all(isinstance(t, ox.Triple) for t in triples)


def test_a_bad_query_is_a_syntax_error(store):
    with pytest.raises(SyntaxError):
        store.query("SELECT * WHERE { ?s ?p }")


def test_dump_holds_every_quad_in_its_graph(store):
    quads = list(ox.parse(store.dump(ox.RdfFormat.N_QUADS), format=ox.RdfFormat.N_QUADS))
    assert len(quads) == store.triple_count()
    assert {q.graph_name.value for q in quads} == set(GRAPHS.values())


def test_version_and_sync(store):
    assert isinstance(store.loaded_at, float)
    assert store.version() == store.version()
    assert store.sync() is False  # nobody writes to a read-only store


def test_read_only_stores_refuse_writes_and_say_so(store):
    assert isinstance(store.capabilities, Capabilities) and not store.capabilities.writable
    with pytest.raises(Refusal) as refused:
        store.write(ChangeSet("SPARQL Update", "INSERT DATA {}", [Update("INSERT DATA {}")]), agent="alice")
    assert refused.value.status == 403
    with pytest.raises(Refusal):
        store.check_writable(ox.NamedNode(PEOPLE))
