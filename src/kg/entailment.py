"""The ontology's cheap consequences, materialised: the inferred graph the endpoint serves.

What the ontology graph's axioms entail for the data, by these rules (the RDFS rules and the
OWL 2 RL rules of the axioms the ontology uses):

- ``rdfs:subClassOf`` and ``owl:equivalentClass`` between named classes: an instance of a class
  is an instance of every superclass (cax-sco, cax-eqc);
- ``rdfs:subPropertyOf``, ``owl:equivalentProperty``, ``owl:inverseOf`` and
  ``owl:SymmetricProperty``: a triple entails the triples of every superproperty, equivalent,
  inverse or mirror (prp-spo1, prp-eqp, prp-inv, prp-symp), composed in any order;
- ``rdfs:domain`` / ``rdfs:range`` (named classes, not datatypes): the subject / object of a
  triple is an instance of the domain / range of its property and of every property it entails
  (prp-dom, prp-rng);
- ``owl:propertyChainAxiom`` of named properties (prp-spo2).

Nothing else: no ``owl:sameAs``, no transitive properties, no class expressions (restrictions,
``oneOf``, unions) and no inconsistency checks; HermiT's full run stays the check of those
(``kg reason``, CI). On the bundled graph the types this closure gives every named individual
are exactly the ones HermiT entails (``tests/graph/test_entailment.py``).

The axioms are read from the ontology graph only (:data:`kg.sources.ONTOLOGY_GRAPH`); the data
they apply to is every graph but the derived and service graphs (:data:`NOT_INPUT`). What the
closure adds and the data does not already state goes into :data:`INFERRED_GRAPH`.

Kept current after every change (:func:`update`): a change's consequences are added, and the
consequences of what it removed are re-checked against what is left (a triple stays inferred
while anything still entails it), touching only the nodes the change can reach. A change to the
axioms themselves recomputes the whole closure. ``tests/graph/test_entailment.py`` checks the
incremental result against the full closure after random changes.

>>> import pyoxigraph as ox
>>> ex = lambda s: ox.NamedNode("http://ex/" + s)
>>> TYPE, SUB = ox.NamedNode(RDF_TYPE), ox.NamedNode(RDFS + "subClassOf")
>>> onto = [ox.Triple(ex("Person"), SUB, ex("Agent"))]
>>> sorted(str(t) for t in closure(Schema.from_triples(onto), [ox.Triple(ex("ann"), TYPE, ex("Person"))]))
['<http://ex/ann> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://ex/Agent>']
"""
from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable

import pyoxigraph as ox

from .namespaces import GRAPH
from .sources import INFERRED_GRAPH, ONTOLOGY_GRAPH, SHAPES_GRAPH

__all__ = ["INFERRED_GRAPH", "NOT_INPUT", "Schema", "closure", "materialize", "update", "inferred_quads",
           "input_quads", "Outcome", "RDF_TYPE"]

#: graphs the closure never reads: its own output (INFERRED_GRAPH: derived data, in no dump, written by
#: no curator), the shapes and the curators' change log
NOT_INPUT = frozenset({INFERRED_GRAPH, SHAPES_GRAPH, str(GRAPH.changes)})

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = RDF + "type"
_TYPE = ox.NamedNode(RDF_TYPE)
_FIRST, _REST, _NIL = ox.NamedNode(RDF + "first"), ox.NamedNode(RDF + "rest"), ox.NamedNode(RDF + "nil")
#: classes every node belongs to: saying so adds nothing (HermiT's answers leave owl:Thing out too)
_TRIVIAL = {OWL + "Thing", RDFS + "Resource"}
#: ranges that are datatypes, not classes: they type no node
_DATATYPE_RANGES = (XSD, RDFS + "Literal", RDF + "langString", RDF + "PlainLiteral", RDF + "XMLLiteral")
#: the predicates of the axioms this module reads (a change to one of them recomputes everything)
AXIOMS = {RDFS + p for p in ("subClassOf", "subPropertyOf", "domain", "range")} | {
    OWL + p for p in ("equivalentClass", "equivalentProperty", "inverseOf", "propertyChainAxiom")}

Term = ox.NamedNode | ox.BlankNode | ox.Literal


@dataclass(frozen=True)
class Chain:
    result: ox.NamedNode
    links: tuple[ox.NamedNode, ...]


@dataclass
class Schema:
    """The axioms, compiled into lookup tables. Equal schemas give equal closures."""
    superclasses: dict = field(default_factory=dict)   # class -> frozenset of named classes (itself included)
    entails: dict = field(default_factory=dict)        # property -> frozenset of (property, inverted)
    domains: dict = field(default_factory=dict)        # property -> frozenset of classes (closed upwards)
    ranges: dict = field(default_factory=dict)
    chains: tuple = ()

    # -- compiling ----------------------------------------------------------------------------
    @classmethod
    def from_triples(cls, triples: Iterable) -> "Schema":
        """Compile the axioms among ``triples`` (ox.Triple or ox.Quad; other triples are ignored)."""
        sub_c, sub_p = defaultdict(set), defaultdict(set)  # x -> direct supers
        inverse, symmetric = defaultdict(set), set()
        dom, rng = defaultdict(set), defaultdict(set)
        lists: dict = {}
        chain_heads = []
        #: each axiom's index, and whether it holds both ways (equivalence, inverse)
        into = {RDFS + "subClassOf": (sub_c, False), OWL + "equivalentClass": (sub_c, True),
                RDFS + "subPropertyOf": (sub_p, False), OWL + "equivalentProperty": (sub_p, True),
                OWL + "inverseOf": (inverse, True), RDFS + "domain": (dom, False), RDFS + "range": (rng, False)}
        for t in triples:
            s, p, o = t.subject, t.predicate.value, t.object
            if p == RDF_TYPE and o.value == OWL + "SymmetricProperty":
                symmetric.add(s)
            elif p in (RDF + "first", RDF + "rest"):
                lists.setdefault(s, {})[p] = o
            if p not in AXIOMS or not isinstance(s, ox.NamedNode):
                continue
            if p == OWL + "propertyChainAxiom":
                chain_heads.append((s, o))
                continue
            if not isinstance(o, ox.NamedNode) or (p == RDFS + "range" and o.value.startswith(_DATATYPE_RANGES)):
                continue
            index, both_ways = into[p]
            index[s].add(o)
            if both_ways:
                index[o].add(s)
        schema = cls()
        classes = set(sub_c) | {c for cs in sub_c.values() for c in cs} | {c for cs in dom.values() for c in cs} \
            | {c for cs in rng.values() for c in cs}
        schema.superclasses = {c: frozenset(x for x in _reach(c, sub_c) if x.value not in _TRIVIAL) for c in classes}
        # a property's entailed properties: steps are (super/equivalent, same direction),
        # (inverse, flipped), (symmetric: itself, flipped); composed to a fixpoint
        steps = defaultdict(set)
        for p, qs in sub_p.items():
            steps[p] |= {(q, False) for q in qs}
        for p, qs in inverse.items():
            steps[p] |= {(q, True) for q in qs}
        for p in symmetric:
            steps[p].add((p, True))
        props = set(steps) | {q for qs in steps.values() for q, _ in qs} | set(dom) | set(rng)
        for s, o in chain_heads:
            links = _list(lists, o)
            if links and all(isinstance(x, ox.NamedNode) for x in links) and len(links) >= 2:
                schema.chains += (Chain(s, tuple(links)),)
                props |= {s, *links}
        for p in props:
            seen, todo = {(p, False)}, [(p, False)]
            while todo:
                q, inv = todo.pop()
                for r, flip in steps.get(q, ()):
                    nxt = (r, inv != flip)
                    if nxt not in seen:
                        seen.add(nxt)
                        todo.append(nxt)
            schema.entails[p] = frozenset(seen)
        up = lambda cs: frozenset(x for c in cs for x in schema.superclasses.get(c, {c}) if x.value not in _TRIVIAL)  # noqa: E731
        schema.domains = {p: up(cs) for p, cs in dom.items()}
        schema.ranges = {p: up(cs) for p, cs in rng.items()}
        schema._index()
        return schema

    @classmethod
    def from_store(cls, store: ox.Store) -> "Schema":
        """The schema of the ontology graph of ``store``."""
        return cls.from_triples(store.quads_for_pattern(None, None, None, ox.NamedNode(ONTOLOGY_GRAPH)))

    def __eq__(self, other) -> bool:
        return isinstance(other, Schema) and (self.superclasses, self.entails, self.domains, self.ranges,
                                              self.chains) == (other.superclasses, other.entails, other.domains,
                                                               other.ranges, other.chains)

    def __bool__(self) -> bool:
        return bool(self.superclasses or self.entails)

    def _index(self) -> None:
        """Reverse tables for the incremental checks: what can produce a given consequence."""
        self.produced_by = defaultdict(set)            # property q -> {(asserted p, inverted)}
        for p, outs in self.entails.items():
            for q, inv in outs:
                self.produced_by[q].add((p, inv))
        self.type_from_type = defaultdict(set)         # class C -> {asserted class D with C in supers(D)}
        for d, sups in self.superclasses.items():
            for c in sups:
                self.type_from_type[c].add(d)
        self.type_from_edge = defaultdict(set)         # class C -> {(asserted p, node is subject?, inverted)}
        self.type_from_chain = defaultdict(set)        # class C -> {(chain index, node is its start?)}
        for p, outs in self.entails.items():
            for q, inv in outs:
                for c in self.domains.get(q, ()):      # q's subject: the node if not inverted
                    self.type_from_edge[c].add((p, not inv, inv))
                for c in self.ranges.get(q, ()):
                    self.type_from_edge[c].add((p, inv, inv))
        self.prop_from_chain = defaultdict(set)        # property q -> {(chain index, inverted)}
        for i, ch in enumerate(self.chains):
            for q, inv in self.entails.get(ch.result, {(ch.result, False)}):
                self.prop_from_chain[q].add((i, inv))
                for c in self.domains.get(q, ()):
                    self.type_from_chain[c].add((i, not inv))
                for c in self.ranges.get(q, ()):
                    self.type_from_chain[c].add((i, inv))
        # the hot path's tables, keyed by IRI strings (hashing a str is ~10x cheaper than a term)
        self._sup = {c.value: tuple(v) for c, v in self.superclasses.items()}
        self._ent = {p.value: tuple(v) for p, v in self.entails.items()}
        self._dom = {p.value: tuple(v) for p, v in self.domains.items()}
        self._rng = {p.value: tuple(v) for p, v in self.ranges.items()}
        links = {x for ch in self.chains for x in ch.links}
        #: a chain's result feeds a chain: the incremental path does not follow that, update() recomputes
        self.nested_chains = any(q in links for ch in self.chains
                                 for q, _ in self.entails.get(ch.result, {(ch.result, False)}))

    # -- one triple's direct consequences ------------------------------------------------------
    def consequences(self, t: ox.Triple) -> Iterable[ox.Triple]:
        """What ``t`` entails by itself (itself included): supertypes, or entailed triples and their
        subjects' domains and objects' ranges. Chains need two triples: see :func:`_chain_paths`."""
        p = t.predicate.value
        if p == RDF_TYPE:
            o = t.object
            if isinstance(o, ox.NamedNode):
                s = t.subject
                for c in self._sup.get(o.value, ()):
                    yield ox.Triple(s, _TYPE, c)
            return
        outs = self._ent.get(p)
        if outs is None:  # a property no axiom names entails nothing
            return
        s, o = t.subject, t.object
        literal = isinstance(o, ox.Literal)
        for q, inv in outs:
            if inv and literal:
                continue
            a, b = (o, s) if inv else (s, o)
            yield ox.Triple(a, q, b)
            for c in self._dom.get(q.value, ()):
                yield ox.Triple(a, _TYPE, c)
            if not (literal and not inv):
                for c in self._rng.get(q.value, ()):
                    yield ox.Triple(b, _TYPE, c)


def _reach(start, edges) -> set:
    seen, todo = {start}, [start]
    while todo:
        for x in edges.get(todo.pop(), ()):
            if x not in seen:
                seen.add(x)
                todo.append(x)
    return seen


def _list(lists: dict, head) -> list:
    """The members of an RDF list (rdf:first / rdf:rest), or [] if it is malformed or cyclic."""
    out, seen = [], set()
    while head != _NIL:
        cell = lists.get(head)
        if cell is None or head in seen or RDF + "first" not in cell or RDF + "rest" not in cell:
            return []
        seen.add(head)
        out.append(cell[RDF + "first"])
        head = cell[RDF + "rest"]
    return out


def _triple(q) -> ox.Triple:
    return q.triple if isinstance(q, ox.Quad) else q


# -- the whole closure -------------------------------------------------------------------------
def closure(schema: Schema, triples: Iterable) -> set[ox.Triple]:
    """Every triple ``schema`` entails from ``triples`` that ``triples`` do not state."""
    asserted = {_triple(t) for t in triples}
    derived: set[ox.Triple] = set()
    for t in asserted:
        derived.update(schema.consequences(t))
    # chains over the property triples (asserted and entailed), to a fixpoint when chains feed chains
    new = {t for t in derived if t.predicate.value != RDF_TYPE}
    while schema.chains and new:
        by_pred = defaultdict(lambda: defaultdict(list))
        for t in derived:
            if t.predicate.value != RDF_TYPE:
                by_pred[t.predicate][t.subject].append(t.object)
        found = set()
        for ch in schema.chains:
            for x, ys in list(by_pred[ch.links[0]].items()):
                ends = set(ys)
                for link in ch.links[1:]:
                    ends = {z for y in ends for z in by_pred[link].get(y, ())}
                for y in ends:
                    found.update(schema.consequences(ox.Triple(x, ch.result, y)))
        new = found - derived
        derived |= new
    return derived - asserted


def inferred_quads(store: ox.Store, schema: Schema | None = None) -> list[ox.Quad]:
    """The inferred graph of ``store`` as it should be (its ontology graph's schema by default)."""
    schema = Schema.from_store(store) if schema is None else schema
    if not schema:
        return []
    g = ox.NamedNode(INFERRED_GRAPH)
    return [ox.Quad(t.subject, t.predicate, t.object, g) for t in closure(schema, input_quads(store))]


def input_quads(store: ox.Store):
    """The quads the closure reads: every graph but :data:`NOT_INPUT`."""
    return (q for q in store if not _excluded(q.graph_name))


def _excluded(g) -> bool:
    return isinstance(g, ox.NamedNode) and g.value in NOT_INPUT


def materialize(store: ox.Store) -> Schema:
    """Replace the inferred graph of ``store`` with the full closure; returns the schema used.

    The rules run inside the engine as SPARQL updates (:func:`_rule_updates`), so only the chain
    triples cross into Python: 1M triples take seconds, where :func:`closure` (the reference the
    tests compare it with) takes close to a minute."""
    schema = Schema.from_store(store)
    store.update(f"DROP SILENT GRAPH <{INFERRED_GRAPH}>")
    if schema:
        _engine_closure(store, schema)
    return schema


def _input(pattern: str, *, inferred: bool = False, g: str = "?g") -> str:
    """A graph pattern matching ``pattern`` in the input graphs (and the inferred graph if asked);
    ``g`` names its graph variable (two patterns joined need two)."""
    skip = ", ".join(f"<{x}>" for x in sorted(NOT_INPUT - ({INFERRED_GRAPH} if inferred else set())))
    return f"{{ {{ GRAPH {g} {{ {pattern} }} FILTER({g} NOT IN ({skip})) }} UNION {{ {pattern} }} }}"


def _values(names: str, rows) -> str:
    body = " ".join("(" + " ".join(str(t) for t in row) + ")" for row in sorted(rows, key=str))
    return f"VALUES ({names}) {{ {body} }}"


def _rule_updates(schema: Schema) -> list[str]:
    """The closure's rules as SPARQL updates into the inferred graph (chains excepted)."""
    inf = f"<{INFERRED_GRAPH}>"
    supers = {(c, d) for c, ds in schema.superclasses.items() for d in ds if d != c}
    forward = {(p, q) for p, outs in schema.entails.items() for q, inv in outs if not inv and q != p}
    backward = {(p, q) for p, outs in schema.entails.items() for q, inv in outs if inv}
    subject_types, subject_types_nonliteral, object_types = set(), set(), set()
    for p, outs in schema.entails.items():
        for q, inv in outs:
            for c in schema.domains.get(q, ()):   # the entailed triple's subject: s, or o when inverted
                (object_types if inv else subject_types).add((p, c))
            for c in schema.ranges.get(q, ()):    # its object: o, or s when inverted (o then no literal)
                (subject_types_nonliteral if inv else object_types).add((p, c))
    out = []
    if supers:
        out.append(f"INSERT {{ GRAPH {inf} {{ ?x a ?d }} }} WHERE {{ {_values('?c ?d', supers)} {_input('?x a ?c')} }}")
    if forward:
        out.append(f"INSERT {{ GRAPH {inf} {{ ?s ?q ?o }} }} WHERE {{ {_values('?p ?q', forward)} {_input('?s ?p ?o')} }}")
    if backward:
        out.append(f"INSERT {{ GRAPH {inf} {{ ?o ?q ?s }} }} WHERE {{ {_values('?p ?q', backward)} "
                   f"{_input('?s ?p ?o')} FILTER(!isLiteral(?o)) }}")
    if subject_types:
        out.append(f"INSERT {{ GRAPH {inf} {{ ?s a ?c }} }} WHERE {{ {_values('?p ?c', subject_types)} {_input('?s ?p ?o')} }}")
    if subject_types_nonliteral:
        out.append(f"INSERT {{ GRAPH {inf} {{ ?s a ?c }} }} WHERE {{ {_values('?p ?c', subject_types_nonliteral)} "
                   f"{_input('?s ?p ?o')} FILTER(!isLiteral(?o)) }}")
    if object_types:
        out.append(f"INSERT {{ GRAPH {inf} {{ ?o a ?c }} }} WHERE {{ {_values('?p ?c', object_types)} "
                   f"{_input('?s ?p ?o')} FILTER(!isLiteral(?o)) }}")
    return out


def _engine_closure(store: ox.Store, schema: Schema) -> None:
    inf = ox.NamedNode(INFERRED_GRAPH)
    for update in _rule_updates(schema):
        store.update(update)
    # chains over the property triples, stated or entailed (the inferred graph holds the latter now),
    # to a fixpoint when a chain's result feeds a chain
    while schema.chains:
        found = set()
        for ch in schema.chains:
            path = " . ".join(_input(f"?v{i} <{link.value}> ?v{i + 1}", inferred=True, g=f"?g{i}")
                              for i, link in enumerate(ch.links))
            for row in store.query(f"SELECT DISTINCT ?v0 ?v{len(ch.links)} WHERE {{ {path} }}"):
                found.update(schema.consequences(ox.Triple(row[0], ch.result, row[1])))
        new = [ox.Quad(t.subject, t.predicate, t.object, inf) for t in found]
        new = [q for q in new if q not in store]
        if not new:
            break
        store.extend(new)
    # what the data states is not inferred
    store.update(f"DELETE {{ GRAPH <{INFERRED_GRAPH}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{INFERRED_GRAPH}> {{ ?s ?p ?o }} "
                 f"{_input('?s ?p ?o')} }}")


# -- keeping it current ----------------------------------------------------------------------
@dataclass
class Outcome:
    """What :func:`update` did: the schema now in force, the inferred quads removed and added."""
    schema: Schema
    removed: list = field(default_factory=list)
    added: list = field(default_factory=list)
    full: bool = False          # the whole closure was recomputed (the axioms changed)
    seconds: float = 0.0


class _View:
    """Lookups of the asserted data (the input graphs of ``store``), optionally with extra triples
    (the ones a change removed: walks over "before or after" over-approximate the graph before)."""

    def __init__(self, store: ox.Store, extra: Iterable[ox.Triple] = ()):
        self.store = store
        self.out, self.into = defaultdict(list), defaultdict(list)
        for t in extra:
            self.out[(t.subject, t.predicate)].append(t.object)
            self.into[(t.object, t.predicate)].append(t.subject)

    def has(self, s, p, o) -> bool:
        if isinstance(s, ox.Literal):
            return False
        return any(not _excluded(q.graph_name) for q in self.store.quads_for_pattern(s, p, o, None))

    def objects(self, s, p) -> set:
        if isinstance(s, ox.Literal):
            return set()
        found = {q.object for q in self.store.quads_for_pattern(s, p, None, None) if not _excluded(q.graph_name)}
        return found | set(self.out.get((s, p), ()))

    def subjects(self, p, o) -> set:
        found = {q.subject for q in self.store.quads_for_pattern(None, p, o, None) if not _excluded(q.graph_name)}
        return found | set(self.into.get((o, p), ()))

    def step(self, schema: Schema, node, q, forward: bool) -> set:
        """Nodes one entailed ``q`` triple away from ``node`` (forward: node q z; else z q node)."""
        out = set()
        for p, inv in schema.produced_by.get(q, {(q, False)}):
            if forward != inv:
                out |= self.objects(node, p)
            elif not isinstance(node, ox.Literal):
                out |= self.subjects(p, node)
        return {z for z in out if not (isinstance(z, ox.Literal) and not forward)}


def _walk(view: _View, schema: Schema, start, links, forward: bool = True) -> set:
    ends = {start}
    for link in (links if forward else reversed(links)):
        ends = {z for y in ends for z in view.step(schema, y, link, forward) if not isinstance(y, ox.Literal)}
    return ends


def _chain_paths(view: _View, schema: Schema, t: ox.Triple) -> Iterable[ox.Triple]:
    """The chain triples (x result y) of every chain path that ``t`` can be a link of."""
    entailed = schema.entails.get(t.predicate, ((t.predicate, False),))
    for ch in schema.chains:
        for q, inv in entailed:
            if inv and isinstance(t.object, ox.Literal):
                continue
            a, b = (t.object, t.subject) if inv else (t.subject, t.object)
            for i, link in enumerate(ch.links):
                if link != q:
                    continue
                starts = _walk(view, schema, a, ch.links[:i], forward=False)
                ends = _walk(view, schema, b, ch.links[i + 1:]) if not isinstance(b, ox.Literal) else \
                    ({b} if i == len(ch.links) - 1 else set())
                for x in starts:
                    for y in ends:
                        yield ox.Triple(x, ch.result, y)


def _candidates(view: _View, schema: Schema, triples) -> set[ox.Triple]:
    out = set()
    for t in triples:
        out.update(schema.consequences(t))
        for c in _chain_paths(view, schema, t):
            out.update(schema.consequences(c))
    return out


def _supported(view: _View, schema: Schema, t: ox.Triple) -> bool:
    """Whether the asserted data (``view``) entails ``t``."""
    s, p, o = t.subject, t.predicate, t.object
    if p.value == RDF_TYPE:
        if any(view.has(s, _TYPE, d) for d in schema.type_from_type.get(o, ())):
            return True
        for prop, subject_side, inv in schema.type_from_edge.get(o, ()):
            if subject_side:  # s prop z; inverted, z is the subject of what it entails: no literal
                if any(not (inv and isinstance(z, ox.Literal)) for z in view.objects(s, prop)):
                    return True
            elif view.subjects(prop, s):
                return True
        for i, start_side in schema.type_from_chain.get(o, ()):
            links = schema.chains[i].links
            if _walk(view, schema, s, links, forward=start_side):
                return True
        return view.has(s, p, o)
    if view.has(s, p, o):
        return True
    for prop, inv in schema.produced_by.get(p, ()):
        if view.has(o, prop, s) if inv else view.has(s, prop, o):
            return True
    for i, inv in schema.prop_from_chain.get(p, ()):
        links = schema.chains[i].links
        if (s in _walk(view, schema, o, links)) if inv else (o in _walk(view, schema, s, links)):
            return True
    return False


def update(store: ox.Store, schema: Schema | None, removed: Iterable[ox.Quad], added: Iterable[ox.Quad]) -> Outcome:
    """Bring the inferred graph of ``store`` up to date after a change to its other graphs.

    ``store`` holds the graph after the change, with the inferred graph as it was before it;
    ``removed`` / ``added`` are the quads the change removed and added (the inferred graph's own
    quads are never among them). ``schema`` is the one in force before (None: not known yet).
    Returns the schema in force after, and what was changed in the inferred graph.
    """
    t0 = time.perf_counter()
    removed, added = list(removed), list(added)
    axioms_touched = schema is None or any(
        isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value == ONTOLOGY_GRAPH
        and (q.predicate.value in AXIOMS or q.predicate.value in (RDF + "first", RDF + "rest")
             or q.predicate.value == RDF_TYPE and q.object.value == OWL + "SymmetricProperty")
        for q in removed + added)
    if axioms_touched:
        fresh = Schema.from_store(store)
        if schema is None or fresh != schema or fresh.nested_chains:
            return _recompute(store, fresh, t0)
    if not schema:
        return Outcome(schema, seconds=time.perf_counter() - t0)
    if schema.nested_chains:
        return _recompute(store, schema, t0)
    gone = [q.triple for q in removed if not _excluded(q.graph_name)]
    new = [q.triple for q in added if not _excluded(q.graph_name)]
    after, before_or_after = _View(store), _View(store, gone)
    candidates = _candidates(after, schema, new) | _candidates(before_or_after, schema, gone) | set(gone) | set(new)
    g = ox.NamedNode(INFERRED_GRAPH)
    out = Outcome(schema)
    for t in candidates:
        quad = ox.Quad(t.subject, t.predicate, t.object, g)
        want = not after.has(t.subject, t.predicate, t.object) and _supported(after, schema, t)
        if want and quad not in store:
            out.added.append(quad)
        elif not want and quad in store:
            out.removed.append(quad)
    for q in out.removed:
        store.remove(q)
    store.extend(out.added)
    out.seconds = time.perf_counter() - t0
    return out


def _recompute(store: ox.Store, schema: Schema, t0: float) -> Outcome:
    g = ox.NamedNode(INFERRED_GRAPH)
    old = set(store.quads_for_pattern(None, None, None, g))
    store.update(f"DROP SILENT GRAPH <{INFERRED_GRAPH}>")
    if schema:
        _engine_closure(store, schema)
    new = set(store.quads_for_pattern(None, None, None, g))
    out = Outcome(schema, sorted(old - new, key=str), sorted(new - old, key=str), full=True)
    out.seconds = time.perf_counter() - t0
    return out
