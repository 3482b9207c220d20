"""The served closure (kg.entailment): the same consequences as HermiT on the shipped graph, and
kept current after every change exactly as a full recomputation would be."""
from __future__ import annotations

import random
import shutil

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from kg import entailment as E
from kg.namespaces import DSK
from kg.sources import ONTOLOGY_GRAPH, SHAPES_GRAPH
from kg.store import OxigraphStore

java = pytest.mark.skipif(shutil.which("java") is None, reason="HermiT needs Java (apt-get install default-jre-headless)")
TYPE = ox.NamedNode(E.RDF_TYPE)
INFERRED = ox.NamedNode(E.INFERRED_GRAPH)


@pytest.fixture(scope="module")
def bundled() -> OxigraphStore:
    return OxigraphStore.from_sources()


def _served(store: ox.Store) -> set[ox.Triple]:
    """What the union default graph holds: every graph but the shapes, inferred graph included."""
    return {q.triple for q in store if q.graph_name != ox.NamedNode(SHAPES_GRAPH)}


def _named_links(triples, individuals: set[str], namespace: str = str(DSK)):
    return {(t.subject.value, t.predicate.value, t.object.value) for t in triples
            if isinstance(t.subject, ox.NamedNode) and isinstance(t.object, ox.NamedNode)
            and t.subject.value in individuals and t.object.value in individuals
            and t.predicate.value.startswith(namespace)}


# -- against HermiT ----------------------------------------------------------------------------
@pytest.mark.slow
@java
def test_types_and_links_are_hermits(bundled):
    """Every (individual, class) pair and every dsk: object property assertion between named
    individuals: the same sets from the closure as from HermiT (one run with -Y)."""
    from kg.reason import entailed
    hermit_types, hermit_values = entailed(property_values=True)
    individuals = {str(i) for i, _ in hermit_types}
    served = _served(bundled.store)
    ours = {(t.subject.value, t.object.value) for t in served
            if t.predicate == TYPE and isinstance(t.subject, ox.NamedNode) and t.subject.value in individuals
            and isinstance(t.object, ox.NamedNode) and not t.object.value.endswith("#NamedIndividual")}
    assert {(str(i), str(c)) for i, c in hermit_types} == ours
    assert len(ours) > 1400
    assert {(str(s), str(p), str(o)) for s, p, o in hermit_values} == _named_links(served, individuals)


def test_every_actor_is_an_agent(bundled):
    """The issue's query: each of the actors is a dsk:Agent, and no one else is."""
    actor_classes = ["Person", "Organization", "Company", "InvestmentFund", "MediaOutlet", "GovernmentBody",
                     "AcademicInstitution", "State", "Group"]
    asserted = bundled.query(f"""SELECT (COUNT(DISTINCT ?x) AS ?n) {{
        VALUES ?c {{ {' '.join(f'<{DSK[c]}>' for c in actor_classes)} }} GRAPH ?g {{ ?x a ?c }}
        FILTER(?g != <{E.INFERRED_GRAPH}>) }}""")
    actors = int(next(iter(asserted))["n"].value)
    agents = int(next(iter(bundled.query(f"SELECT (COUNT(DISTINCT ?x) AS ?n) {{ ?x a <{DSK.Agent}> }}")))["n"].value)
    orgs = bundled.query(f"ASK {{ <https://w3id.org/deepseek-kg/id/deepseek> a <{DSK.Organization}> }}")
    assert actors > 50 and agents == actors and bool(orgs)


def test_asserted_only_leaves_the_inferred_graph_out(bundled):
    q = f"SELECT (COUNT(DISTINCT ?x) AS ?n) {{ ?x a <{DSK.Agent}> }}"
    assert int(next(iter(bundled.query(q, inferred=False)))["n"].value) == 0
    names = bundled.query("SELECT DISTINCT ?g { GRAPH ?g { ?s ?p ?o } }", inferred=False)
    assert E.INFERRED_GRAPH not in {r["g"].value for r in names}


def test_the_inferred_graph_holds_only_what_is_not_stated(bundled):
    inferred = {q.triple for q in bundled.store.quads_for_pattern(None, None, None, INFERRED)}
    stated = {q.triple for q in bundled.store if q.graph_name != INFERRED}
    assert inferred and not inferred & stated
    assert inferred == E.closure(E.Schema.from_store(bundled.store), E.input_quads(bundled.store))


def test_a_literal_is_never_a_subject_nor_typed():
    ex = lambda s: ox.NamedNode("http://ex/" + s)  # noqa: E731
    onto = [ox.Triple(ex("name"), ox.NamedNode(E.OWL + "inverseOf"), ex("nameOf")),
            ox.Triple(ex("name"), ox.NamedNode(E.RDFS + "range"), ex("Thing")),
            ox.Triple(ex("text"), ox.NamedNode(E.RDFS + "range"), ox.NamedNode(E.XSD + "string"))]
    out = E.closure(E.Schema.from_triples(onto), [ox.Triple(ex("a"), ex("name"), ox.Literal("A")),
                                                   ox.Triple(ex("a"), ex("text"), ex("b"))])
    assert out == set()


# -- incremental = full, after random changes --------------------------------------------------
N = lambda s: ox.NamedNode("http://ex/" + s)  # noqa: E731
NODES = [N(f"n{i}") for i in range(5)] + [ox.BlankNode("b0")]
PROPS = [N(f"p{i}") for i in range(5)]
CLASSES = [N(f"C{i}") for i in range(5)]
DATA = ox.NamedNode("http://ex/graph/data")
OTHER = ox.NamedNode("http://ex/graph/other")
AXIOM = {"sub": E.RDFS + "subClassOf", "eqc": E.OWL + "equivalentClass", "subp": E.RDFS + "subPropertyOf",
         "eqp": E.OWL + "equivalentProperty", "inv": E.OWL + "inverseOf", "dom": E.RDFS + "domain",
         "rng": E.RDFS + "range"}


def _axiom(draw) -> list[ox.Triple]:
    kind = draw(st.sampled_from([*AXIOM, "sym", "chain"]))
    if kind in ("sub", "eqc"):
        return [ox.Triple(draw(st.sampled_from(CLASSES)), ox.NamedNode(AXIOM[kind]), draw(st.sampled_from(CLASSES)))]
    if kind in ("dom", "rng"):
        return [ox.Triple(draw(st.sampled_from(PROPS)), ox.NamedNode(AXIOM[kind]), draw(st.sampled_from(CLASSES)))]
    p = draw(st.sampled_from(PROPS))
    if kind == "sym":
        return [ox.Triple(p, TYPE, ox.NamedNode(E.OWL + "SymmetricProperty"))]
    if kind == "chain":
        a, b = draw(st.sampled_from(PROPS)), draw(st.sampled_from(PROPS))
        l1, l2 = ox.BlankNode(f"l1{p.value[-1]}"), ox.BlankNode(f"l2{p.value[-1]}")
        first, rest = ox.NamedNode(E.RDF + "first"), ox.NamedNode(E.RDF + "rest")
        return [ox.Triple(p, ox.NamedNode(E.OWL + "propertyChainAxiom"), l1), ox.Triple(l1, first, a),
                ox.Triple(l1, rest, l2), ox.Triple(l2, first, b), ox.Triple(l2, rest, ox.NamedNode(E.RDF + "nil"))]
    return [ox.Triple(p, ox.NamedNode(AXIOM[kind]), draw(st.sampled_from(PROPS)))]


@st.composite
def data_quad(draw) -> ox.Quad:
    s = draw(st.sampled_from(NODES))
    g = draw(st.sampled_from([DATA, OTHER, ox.DefaultGraph()]))
    if draw(st.booleans()):
        return ox.Quad(s, TYPE, draw(st.sampled_from(CLASSES)), g)
    o = draw(st.sampled_from(NODES + [ox.Literal("v"), ox.Literal("w", language="en")]))
    return ox.Quad(s, draw(st.sampled_from(PROPS)), o, g)


@st.composite
def scenario(draw):
    axioms = [t for _ in range(draw(st.integers(1, 8))) for t in _axiom(draw)]
    data = draw(st.lists(data_quad(), max_size=25))
    # each step: quads to add, how many to remove (5: drop a whole graph), whether an axiom goes too
    steps = draw(st.lists(st.tuples(st.lists(data_quad(), max_size=4), st.integers(0, 5), st.booleans()),
                          min_size=1, max_size=6))
    return axioms, data, steps


def _check(store: ox.Store) -> None:
    expected = E.closure(E.Schema.from_store(store), E.input_quads(store))
    got = {q.triple for q in store.quads_for_pattern(None, None, None, INFERRED)}
    assert got == expected


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario())
def test_incremental_equals_full(case):
    axioms, data, steps = case
    onto = ox.NamedNode(ONTOLOGY_GRAPH)
    store = ox.Store()
    store.extend(ox.Quad(t.subject, t.predicate, t.object, onto) for t in axioms)
    store.extend(data)
    schema = E.materialize(store)
    _check(store)
    rnd = random.Random(len(data))
    for adds, n_removed, touch_axioms in steps:
        present = [q for q in store if q.graph_name != INFERRED]
        if n_removed == 5:
            graph = rnd.choice([DATA, OTHER, ox.DefaultGraph()])
            removed = {q for q in present if q.graph_name == graph}
        else:
            removed = set(rnd.sample(present, min(n_removed, len(present))))
        ontology = sorted(store.quads_for_pattern(None, None, None, onto), key=str)
        if touch_axioms and ontology:  # a change to the ontology itself: recomputed in full
            removed.add(rnd.choice(ontology))
        for q in removed:
            store.remove(q)
        added = [q for q in adds if q not in store]
        store.extend(added)
        schema = E.update(store, schema, removed, added).schema
        _check(store)


def test_incremental_on_the_bundled_graph(bundled):
    """Random deletions and re-additions of the essay's own triples, with the real ontology."""
    store = ox.Store()
    store.extend(q for q in bundled.store if q.graph_name != INFERRED)
    schema = E.materialize(store)
    essay = [q for q in store if q.graph_name == ox.NamedNode("https://w3id.org/deepseek-kg/graph/essay")]
    rnd = random.Random(17)
    for _ in range(15):
        removed = rnd.sample(essay, 12)
        for q in removed:
            store.remove(q)
        outcome = E.update(store, schema, removed, [])
        assert not outcome.full
        _check(store)
        store.extend(removed)
        E.update(store, schema, [], removed)
        _check(store)
    assert {q.triple for q in store.quads_for_pattern(None, None, None, INFERRED)} == \
        {q.triple for q in bundled.store.quads_for_pattern(None, None, None, INFERRED)}


def test_changing_an_axiom_recomputes(bundled):
    store = ox.Store()
    store.extend(q for q in bundled.store if q.graph_name != INFERRED)
    schema = E.materialize(store)
    axiom = ox.Quad(DSK_("Company"), ox.NamedNode(E.RDFS + "subClassOf"), DSK_("Organization"), ox.NamedNode(ONTOLOGY_GRAPH))
    store.remove(axiom)
    outcome = E.update(store, schema, [axiom], [])
    assert outcome.full and outcome.removed
    _check(store)


def DSK_(name: str) -> ox.NamedNode:
    return ox.NamedNode(str(DSK) + name)
