"""The store finds a write's change without copying the graph when it can (INSERT DATA / DELETE
DATA, updates of named graphs only, Graph Store writes); what it finds must be what running the
update on a copy of the whole graph finds. Each update below, run in sequence on two stores of the
same state, one each way, leaves them with the same graph (blank nodes compared by canonical form)."""
from __future__ import annotations

import pytest

from kg.changes import ChangeSet, GraphsUpdate, InsertData, Update
from kg.curated import CuratedStore
from kg.canonical import canonical_quads
from kg.web.query_scan import graphs_only
from kg.web.writes import data_operations

from conftest import EX, GRAPHS

P, E = GRAPHS["people.ttl"], GRAPHS["events.ttl"]
PRE = f"PREFIX ex: <{EX}> PREFIX xsd: <http://www.w3.org/2001/XMLSchema#> "
UPDATES = [
    f"INSERT DATA {{ GRAPH <{P}> {{ ex:dave a ex:Person ; ex:age 7 ; ex:note [ ex:text \"b\" ] }} }}",
    f"INSERT DATA {{ GRAPH <{P}> {{ ex:dave ex:age 7 }} }}",  # already there: no change
    f"DELETE DATA {{ GRAPH <{P}> {{ ex:dave ex:age 7 }} }} ; INSERT DATA {{ GRAPH <{P}> {{ ex:dave ex:age 8 }} }}",
    f"INSERT DATA {{ GRAPH <{P}> {{ ex:erin ex:age \"09\"^^xsd:integer }} }} ; DELETE DATA {{ GRAPH <{P}> {{ ex:erin ex:age 9 }} }}",
    f"DELETE WHERE {{ GRAPH <{P}> {{ ex:alice ex:age ?a }} }} ; INSERT DATA {{ GRAPH <{P}> {{ ex:alice ex:age 43 }} }}",
    f"DELETE {{ GRAPH <{P}> {{ ?s ex:age ?a }} }} INSERT {{ GRAPH <{P}> {{ ?s ex:age ?b }} }} "
    f"WHERE {{ GRAPH <{P}> {{ ?s ex:age ?a BIND(?a + 1 AS ?b) }} }}",
    f"INSERT {{ GRAPH <{E}> {{ ?s ex:seen [ ex:by ?s ] }} }} WHERE {{ GRAPH <{P}> {{ ?s a ex:Person }} }}",
    f"DELETE WHERE {{ GRAPH <{E}> {{ ?s ex:seen ?x . ?x ex:by ?s }} }}",
    f"INSERT DATA {{ GRAPH <{E}> {{ ex:x ex:y 1 }} }} ; DELETE WHERE {{ GRAPH <{E}> {{ ex:x ?p ?o }} }}",
    f"DELETE WHERE {{ GRAPH <{P}> {{ ?s ex:knows ?o }} }}",
    f"INSERT {{ GRAPH <{P}> {{ ?s ex:knows ?o }} }} WHERE {{ GRAPH <{E}> {{ ?e ex:actor ?s }} GRAPH <{P}> {{ ?o a ex:Person }} }}",
    f"DELETE WHERE {{ GRAPH <{E}> {{ ?s ?p ?o }} }}",  # the whole graph: it is gone
    f"INSERT DATA {{ GRAPH <{E}> {{ ex:back ex:in 1 }} }}",
    "DELETE WHERE { ?s ex:age ?a }",  # the default graph (empty): through the whole-graph copy
    "DELETE { GRAPH ?g { ?s ex:age ?a } } WHERE { GRAPH ?g { ?s ex:age ?a FILTER(?a > 40) } }",
]


def ops_for(text: str):
    """The operations the web layer sends for ``text`` (see kg.web.writes.run_update)."""
    ops = data_operations(text)
    if ops is None:
        graphs = graphs_only(text)
        ops = [GraphsUpdate(text, graphs) if graphs else Update(text)]
    return ops


def state(store) -> list[str]:
    return [str(q) for q in canonical_quads(q for q in store.store if "changes" not in str(q.graph_name))]


@pytest.fixture
def stores(tmp_path, fixture_sources):
    return [CuratedStore(tmp_path / name, fixture_sources, writable_prefix=EX + "graph/") for name in ("fast", "copy")]


def test_the_change_found_without_a_copy_is_the_change_a_copy_finds(stores):
    fast, copy = stores
    kinds = set()
    for text in UPDATES:
        text = PRE + text
        ops = ops_for(text)
        kinds.add(type(ops[0]).__name__)
        a = fast.write(ChangeSet("SPARQL Update", text, ops), agent="t")
        b = copy.transact(lambda st: st.update(text), agent="t", kind="SPARQL Update", text=text)
        assert (len(a.removed), len(a.added)) == (len(b.removed), len(b.added)), text
        assert state(fast) == state(copy), text
    assert kinds == {"InsertData", "DeleteData", "GraphsUpdate", "Update"}
    assert fast.named_graphs() == copy.named_graphs()


def test_data_operations_blank_nodes_are_fresh_each_time(stores):
    fast, _ = stores
    text = PRE + f"INSERT DATA {{ GRAPH <{P}> {{ ex:z ex:note [ ex:text \"t\" ] }} }}"
    for _ in range(2):
        fast.write(ChangeSet("SPARQL Update", text, ops_for(text)), agent="t")
    notes = list(fast.query(f"SELECT ?n WHERE {{ GRAPH <{P}> {{ <{EX}z> <{EX}note> ?n }} }}"))
    assert len(notes) == 2 and isinstance(ops_for(text)[0], InsertData)
