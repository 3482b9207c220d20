"""Incremental SHACL validation: after a change, re-check only what the change can affect.

A curated write must get the verdict a full validation of the graph after the change would
give: whether it conforms, and the same set of results. A full pySHACL run costs seconds on the
bundled graph, and a change of a few triples can only affect a few (shape, focus node) pairs, so
:class:`IncrementalValidator` keeps the results of the current graph and, for each change,
re-validates the pairs it can affect, with pySHACL itself (``Shape.validate`` given the focus
nodes), then keeps the other pairs' results as they were.

What a change can affect is derived from the shapes graph, never from today's shapes:

- **targets**: a shape's focus nodes are recomputed (the way pySHACL finds them) when the change
  touches what its targets are defined by: ``rdf:type`` and ``rdfs:subClassOf`` triples for class
  targets (explicit or implicit), triples of ``P`` for ``sh:targetSubjectsOf``/``sh:targetObjectsOf P``,
  the triple patterns of a SPARQL target's query. Nodes that enter a target are checked; nodes that
  leave it lose their results.
- **what a focus node's check reads**: walking the shape (its property shapes' paths, and through
  ``sh:node``, ``sh:property``, ``sh:and``/``sh:or``/``sh:xone``/``sh:not``, ``sh:qualifiedValueShape``
  recursively) gives every read as *(a path from the focus node, what is read at its end)*: the
  triples of one predicate forward or backward (each step of a path), a node's types and their
  superclasses (``sh:class``), all of a node's triples (``sh:closed``), the values of the other
  property of ``sh:equals``/``sh:disjoint``/``sh:lessThan(OrEquals)``. A changed triple ``s p o``
  triggers the reads it matches (forward ``p`` at ``s``, backward ``p`` at ``o``, types at ``s`` for
  ``rdf:type``, types of every instance of ``s`` and its subclasses for ``rdfs:subClassOf``), and
  the focus nodes that reach a triggered node along the read's path, in the graph before or after
  the change, are re-checked (a SPARQL property path query on the mirror, see below).
- **SPARQL constraints** (anywhere in a shape): a query's answer depends only on the triples its
  patterns match, so it is re-run (for every focus node of its shape) only when a changed triple
  matches one of its triple patterns (paths as their predicates; a pattern whose predicate is a
  variable matches every triple; a zero-length path between two variables matches any change).
- anything this analysis does not cover (SHACL rules, SHACL functions, JavaScript, custom
  constraint components, recursive shapes, ``sh:qualifiedValueShapesDisjoint``) makes its shape
  re-checked in full on every change: slower, never wrong.

Two mirrors of the data hold the union of the data graphs as one graph, as ``kg.validate`` sees it:
an rdflib graph, from which pySHACL reads triples as in a full validation, and a pyoxigraph store,
on which the walks run and every SPARQL query pySHACL asks (constraints, targets), through
pySHACL's own Oxigraph data graph: 10-100x faster than rdflib's engine on these queries. A change is applied
to both (:meth:`IncrementalValidator.prepare`), then kept (:meth:`commit`) or undone (:meth:`abort`).

The proof is differential (``tests/validation/test_incremental.py``): hundreds of random changes
(deletions, type changes on other nodes, edits of quotes and offsets, new nodes, changes to the
ontology's class hierarchy), under the project's shapes and under variants of them with other
targets, each compared with a full pySHACL validation of the graph after it.

>>> from rdflib import Graph
>>> shapes = Graph().parse(format="turtle", data='''@prefix sh: <http://www.w3.org/ns/shacl#> .
...   <http://ex/S> a sh:NodeShape ; sh:targetClass <http://ex/C> ;
...     sh:property [ sh:path <http://ex/p> ; sh:minCount 1 ] .''')
>>> import pyoxigraph as ox
>>> q = lambda s, p, o: ox.Quad(ox.NamedNode(s), ox.NamedNode(p), ox.NamedNode(o), ox.NamedNode("http://ex/g"))
>>> TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
>>> v = IncrementalValidator(shapes)
>>> _ = v.reset([q("http://ex/a", TYPE, "http://ex/C"), q("http://ex/a", "http://ex/p", "http://ex/b")])
>>> v.conforms
True
>>> verdict = v.prepare(removed=[q("http://ex/a", "http://ex/p", "http://ex/b")], added=[])
>>> verdict.conforms, [str(r.focus) for r in verdict.results], verdict.checked
(False, ['http://ex/a'], 1)
>>> v.abort(); v.conforms
True
"""
from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef, Variable
from rdflib.namespace import RDF, RDFS, SH

from .canonical import from_ox_term, to_ox_term
from .load import bind_prefixes

__all__ = ["Result", "Verdict", "IncrementalValidator", "results_from_report", "reference_results",
           "Footprint", "footprint"]

#: pySHACL's options, as kg.validate runs it (the reference)
ALLOWED_SEVERITIES = frozenset({SH.Warning, SH.Info})   # allow_warnings=True lets Info through too
_NS = "urn:x-kg:incremental:"
TOUCHED, REMOVED, IN = ox.NamedNode(_NS + "touched"), ox.NamedNode(_NS + "removed"), ox.NamedNode(_NS + "in")
_VALUE = Variable("value")
_NESTED_ONE = (SH.node, SH.property, SH.qualifiedValueShape, SH["not"])
_NESTED_LIST = (SH["and"], SH["or"], SH.xone)
_PAIR = (SH.equals, SH.disjoint, SH.lessThan, SH.lessThanOrEquals)
_UNSUPPORTED = {SH.expression, SH.rule, SH.js, SH.jsLibrary, SH.qualifiedValueShapesDisjoint}


@dataclass(frozen=True)
class Result:
    """One validation result, as compared with the reference (pySHACL's report, read by
    :func:`results_from_report`): blank nodes keep their labels in both."""
    focus: object
    path: object
    value: object
    source: object          # sh:sourceShape (a property shape of a node shape, say)
    severity: object
    component: object       # sh:sourceConstraintComponent
    constraint: object      # sh:sourceConstraint (the sh:sparql node of a SPARQL constraint)
    messages: frozenset = frozenset()


@dataclass
class Verdict:
    """What the validation of the graph after a change says, and how much was re-checked."""
    conforms: bool
    results: frozenset
    checked: int = 0           # (shape, focus node) pairs validated
    full: bool = False         # everything was re-checked


def _unwrap(o):
    return o[1] if isinstance(o, tuple) else o


def _results(report) -> list[Result]:
    """The Results in one of pySHACL's report tuples (description, node, triples): the result and
    the ones nested under it by sh:detail (sh:node), as the report graph holds them."""
    _, _, triples = report
    got: dict = defaultdict(lambda: defaultdict(list))
    for s, p, o in triples:
        got[s][p].append(_unwrap(o))
    out = []
    for node, props in got.items():
        if SH.ValidationResult not in props.get(RDF.type, ()):
            continue
        one = lambda p: props[p][0] if props.get(p) else None  # noqa: E731
        out.append(Result(one(SH.focusNode), one(SH.resultPath), one(SH.value), one(SH.sourceShape),
                          one(SH.resultSeverity), one(SH.sourceConstraintComponent), one(SH.sourceConstraint),
                          frozenset(str(m) for m in props.get(SH.resultMessage, ()))))
    return out


def _results_focus(report):
    """The focus node of a report tuple's own (outermost) result."""
    _, node, triples = report
    return next((_unwrap(o) for s, p, o in triples if s == node and p == SH.focusNode), None)


def results_from_report(report: Graph) -> frozenset:
    """The results of a pySHACL report graph, as Results."""
    out = set()
    for r in report.subjects(RDF.type, SH.ValidationResult):
        out.add(Result(report.value(r, SH.focusNode), report.value(r, SH.resultPath), report.value(r, SH.value),
                       report.value(r, SH.sourceShape), report.value(r, SH.resultSeverity),
                       report.value(r, SH.sourceConstraintComponent), report.value(r, SH.sourceConstraint),
                       frozenset(str(m) for m in report.objects(r, SH.resultMessage))))
    return frozenset(out)


def reference_results(data: Graph, shapes: Graph) -> tuple[bool, frozenset]:
    """A full pySHACL validation, with kg.validate's options: (conforms, results)."""
    import pyshacl
    conforms, report, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none", advanced=True,
                                           allow_warnings=True)
    return bool(conforms), results_from_report(report)


# -- SPARQL footprints --------------------------------------------------------------------------
@dataclass(frozen=True)
class Footprint:
    """The triple patterns a SPARQL query reads: (subject, predicates, object), None = any."""
    patterns: tuple = ()
    always: bool = False    # the answer may depend on any change

    def matches(self, changed: Iterable[tuple]) -> bool:
        if self.always:
            return True
        for s, p, o in changed:
            for ps, pp, po in self.patterns:
                if (ps is None or ps == s) and (pp is None or p in pp) and (po is None or po == o):
                    return True
        return False


ALWAYS = Footprint(always=True)


def _const(t):
    return t if isinstance(t, (URIRef, Literal)) else None


def _path_iris(path, out: set) -> bool:
    """Collect the IRIs of an rdflib path into ``out``; False if it has a negated property set."""
    from rdflib.paths import AlternativePath, InvPath, MulPath, NegatedPath, SequencePath
    if isinstance(path, URIRef):
        out.add(path)
        return True
    if isinstance(path, NegatedPath):
        return False
    if isinstance(path, (InvPath, MulPath)):
        return _path_iris(path.path, out)
    if isinstance(path, (SequencePath, AlternativePath)):
        return all(_path_iris(p, out) for p in path.args)
    return False


def _zero_length(path) -> bool:
    from rdflib.paths import AlternativePath, InvPath, MulPath, SequencePath
    if isinstance(path, MulPath):
        return path.mod in ("*", "?") or _zero_length(path.path)
    if isinstance(path, InvPath):
        return _zero_length(path.path)
    if isinstance(path, SequencePath):
        return all(_zero_length(p) for p in path.args)
    if isinstance(path, AlternativePath):
        return any(_zero_length(p) for p in path.args)
    return False


def _algebra(query: str, namespaces: dict | None):
    from rdflib.plugins.sparql import prepareQuery
    try:
        return prepareQuery(query, initNs=namespaces or {}).algebra
    except Exception:  # rdflib cannot read it: the caller assumes the worst
        return None


class _Patterns:
    """Walks rdflib's algebra of a query: the triple patterns it reads. With a root variable
    (``var``: ?this, or a pinned ?value), the patterns joined to it through their variables become
    reads at paths from it (as for shapes: a changed triple matters only to the roots it can be
    reached from); the others stay plain patterns (a Footprint)."""

    def __init__(self, var=None):
        self.var = var
        self.triples: list[tuple] = []     # (scope, s, p, o); scope 0: the query and its EXISTS parts
        self.visible: set[int] = {0}       # scopes where ``var`` is the query's own (subqueries projecting it)
        self.scopes = 0
        self.always = False
        self.patterns: list[tuple] = []
        self.reads: dict[object, set] = defaultdict(set)   # path from the variable (None: itself) -> kinds

    def footprint(self) -> Footprint:
        return ALWAYS if self.always else Footprint(tuple(self.patterns))

    def walk(self, node, scope: int = 0, top: bool = True) -> None:
        from rdflib.plugins.sparql.algebra import translateGroupGraphPattern
        from rdflib.plugins.sparql.parserutils import CompValue
        if isinstance(node, CompValue):
            if node.name in ("Graph", "ServiceGraphPattern", "GraphGraphPattern"):
                self.always = True
            if node.name in ("Builtin_EXISTS", "Builtin_NOTEXISTS") and node.graph.name == "GroupGraphPatternSub":
                node = CompValue(node.name, graph=translateGroupGraphPattern(node.graph))  # rdflib translates it late
            if node.name == "Project" and not top:  # a subquery: variables of its own, but what it projects
                self.scopes += 1
                if scope in self.visible and self.var in (node.get("PV") or ()):
                    self.visible.add(self.scopes)
                scope = self.scopes
            if node.name == "Project":
                top = False
            if node.name == "BGP":
                self.triples += [(scope, *t) for t in node.triples]
            elif node.name == "TriplesBlock":  # untranslated syntax: subject, predicate, object runs
                flat = [t for triple in node.triples for t in triple]
                self.triples += [(scope, *flat[k:k + 3]) for k in range(0, len(flat) - 2, 3)]
            for v in node.values():
                self.walk(v, scope, top)
        elif isinstance(node, (list, tuple)):
            for v in node:
                self.walk(v, scope, top)

    def finish_walk(self, algebra) -> "_Patterns":
        self.walk(algebra)
        return self.finish()

    def finish(self) -> "_Patterns":
        """Anchor the patterns at the root variable, as far as their variables join them to it."""
        from rdflib.term import Variable
        var = lambda t: isinstance(t, (Variable, BNode))  # noqa: E731
        known = {(sc, self.var): None for sc in self.visible} if self.var is not None else {}
        todo = list(self.triples)
        changed = True
        while changed:
            changed, rest = False, []
            for sc, s, p, o in todo:
                ks, ko = known.get((sc, s), 0), known.get((sc, o), 0)   # 0: not joined to the root
                if var(p) and (sc, p) in known:
                    self.reads[None if known[(sc, p)] is None else known[(sc, p)]].add(("pred",))
                elif ks != 0 or ko != 0:
                    tree = _rdflib_path(p)
                    if tree is None:  # a variable predicate or a negated property set: any triple there
                        if ks != 0:
                            self.reads[ks].add(("all",))
                        if ko != 0:
                            self.reads[ko].add(("allin",))
                    elif ks != 0:
                        for rho, kind in _reads(_normal(tree)):
                            self.reads[_cat(ks, rho)].add(kind)
                        if var(o) and ko == 0:
                            known[(sc, o)] = _cat(ks, _normal(tree))
                    else:
                        inv = _normal(_inverse(tree))
                        for rho, kind in _reads(inv):
                            self.reads[_cat(ko, rho)].add(kind)
                        if var(s):
                            known[(sc, s)] = _cat(ko, inv)
                else:
                    rest.append((sc, s, p, o))
                    continue
                changed = True
            todo = rest
        for _, s, p, o in todo:
            self.add(s, p, o)
        return self

    def add(self, s, p, o) -> None:
        from rdflib.paths import InvPath, Path
        if isinstance(p, URIRef):
            self.patterns.append((_const(s), frozenset({p}), _const(o)))
        elif isinstance(p, InvPath) and isinstance(p.path, URIRef):
            self.patterns.append((_const(o), frozenset({p.path}), _const(s)))
        elif isinstance(p, Path):
            iris: set = set()
            if not _path_iris(p, iris) or (_zero_length(p) and _const(s) is None and _const(o) is None):
                self.always = True
            self.patterns.append((None, frozenset(iris), None))
        else:  # a variable predicate: any triple
            self.always = True


def _rdflib_path(p):
    """An rdflib predicate or path as a path tree (see _shacl_path); None for a variable or a
    negated property set."""
    from rdflib.paths import AlternativePath, InvPath, MulPath, SequencePath
    if isinstance(p, URIRef):
        return ("iri", p)
    if isinstance(p, InvPath):
        inner = _rdflib_path(p.path)
        return None if inner is None else ("inv", inner)
    if isinstance(p, (SequencePath, AlternativePath)):
        parts = [_rdflib_path(x) for x in p.args]
        return None if None in parts else ("seq" if isinstance(p, SequencePath) else "alt", tuple(parts))
    if isinstance(p, MulPath):
        inner = _rdflib_path(p.path)
        return None if inner is None else ({"*": "star", "+": "plus", "?": "opt"}[p.mod], inner)
    return None


def footprint(query: str, namespaces: dict | None = None) -> Footprint:
    """The triple patterns of a SPARQL query (rdflib's algebra), for :meth:`Footprint.matches`.

    >>> fp = footprint("SELECT ?x WHERE { ?x <http://ex/p> ?y FILTER NOT EXISTS { ?y a ?c } }")
    >>> fp.matches([(URIRef("http://ex/a"), URIRef("http://ex/q"), URIRef("http://ex/b"))])
    False
    >>> fp.matches([(URIRef("http://ex/a"), RDF.type, URIRef("http://ex/C"))])
    True
    >>> footprint("SELECT * { ?s ?p ?o }").always, footprint("SELECT * { ?a <http://ex/p>* ?b }").always
    (True, True)
    """
    algebra = _algebra(query, namespaces)
    if algebra is None:
        return ALWAYS
    return _Patterns().finish_walk(algebra).footprint()


def _pinned(node, v) -> bool:
    """Every solution of ``node`` binds ``v`` by matching a triple pattern (never by BIND, VALUES or
    an aggregate, nor only on one side of an OPTIONAL or a UNION): its solutions with ``v = w`` are
    then exactly those of the pattern with ``w`` put in place of ``v``."""
    from rdflib.plugins.sparql.parserutils import CompValue
    if not isinstance(node, CompValue):
        return False
    name = node.name
    if name == "BGP":
        return any(v in t for t in node.triples)
    if name in ("SelectQuery", "Distinct", "Reduced", "OrderBy", "Filter", "ToMultiSet"):
        return _pinned(node.p, v)
    if name == "Project":
        return v in (node.get("PV") or ()) and _pinned(node.p, v)
    if name == "Extend":
        return node.var != v and _pinned(node.p, v)
    if name == "Join":
        return _pinned(node.p1, v) or _pinned(node.p2, v)
    if name in ("LeftJoin", "Minus"):
        return _pinned(node.p1, v)
    if name == "Union":
        return _pinned(node.p1, v) and _pinned(node.p2, v)
    return False  # Slice (LIMIT/OFFSET), Group, aggregates, VALUES, GRAPH, ...


def _assigns(node, v) -> bool:
    """Does a BIND or VALUES anywhere in ``node`` give ``v`` a value?"""
    from rdflib.plugins.sparql.parserutils import CompValue
    if isinstance(node, CompValue):
        if node.name == "Extend" and node.var == v:
            return True
        if node.name in ("values", "ValuesClause", "InlineData") and v in (node.get("var") or ()):
            return True
        return any(_assigns(x, v) for x in node.values())
    if isinstance(node, (list, tuple)):
        return any(_assigns(x, v) for x in node)
    if isinstance(node, dict):
        return any(_assigns(x, v) for x in node.values())
    return False


def _spine_filters(node, v) -> list:
    """The parts of FILTERs that every solution of the query must pass and that read ``v`` alone
    (no other variable, no EXISTS): FILTERs on the path from the query down to its pattern."""
    from rdflib.plugins.sparql.parserutils import CompValue
    out = []
    while isinstance(node, CompValue):
        if node.name == "Filter":
            todo = [node.expr]
            while todo:
                e = todo.pop()
                if isinstance(e, CompValue) and e.name == "ConditionalAndExpression":
                    todo += [e.expr] + list(e.get("other") or [])
                elif isinstance(e, CompValue) and _variables(e) <= {v} and "EXISTS" not in repr(e):
                    out.append(e)
        if node.name in ("SelectQuery", "Project", "Distinct", "Reduced", "OrderBy", "Filter") or \
                (node.name == "Extend" and node.var != v):
            node = node.p
        else:
            break
    return out


def _spine_patterns(node, v) -> list:
    """Triple patterns every solution must match whose only variable is ``v`` (the other ends
    constant, the predicate an IRI or a path): in the query's own group, or groups joined to it."""
    from rdflib.paths import Path
    from rdflib.plugins.sparql.parserutils import CompValue
    from rdflib.term import Variable
    if not isinstance(node, CompValue):
        return []
    if node.name == "BGP":
        out = []
        for s, p, o in node.triples:
            ends = [t for t in (s, o) if isinstance(t, (Variable, BNode))]
            if ends and all(t == v for t in ends) and isinstance(p, (URIRef, Path)):
                out.append((s, p, o))
        return out
    if node.name in ("SelectQuery", "Project", "Distinct", "Reduced", "OrderBy", "Filter", "Extend"):
        return _spine_patterns(node.p, v)
    if node.name == "Join":
        return _spine_patterns(node.p1, v) + _spine_patterns(node.p2, v)
    if node.name in ("LeftJoin", "Minus"):
        return _spine_patterns(node.p1, v)
    return []


def _variables(node) -> set:
    """Every variable in an expression (rdflib's own _vars is not always filled in)."""
    from rdflib.term import Variable
    if isinstance(node, Variable):
        return {node}
    if isinstance(node, dict):
        return set().union(*(_variables(x) for k, x in node.items() if k != "_vars"))
    if isinstance(node, (list, tuple)):
        return set().union(*(_variables(x) for x in node))
    return set()


def _passes(expr, v) -> bool:
    """Does ``v`` pass a FILTER expression of ?value alone (rdflib's evaluation; an error fails it,
    as it does in SPARQL)?"""
    from rdflib.plugins.sparql.evalutils import _eval
    from rdflib.plugins.sparql.operators import EBV
    from rdflib.plugins.sparql.sparql import FrozenBindings, QueryContext
    from rdflib.term import Variable
    try:
        return bool(EBV(_eval(expr, FrozenBindings(QueryContext(Graph()), {Variable("value"): v}))))
    except Exception:
        return False


def this_plan(query: str, namespaces: dict | None = None) -> tuple[dict, Footprint]:
    """What a SPARQL constraint reads at paths from its $this (joined to it through variables), and
    the footprint of its other patterns.

    >>> reads, other = this_plan("SELECT $this WHERE { $this <http://ex/p> ?x . ?x <http://ex/q> ?y . ?z <http://ex/r> 1 }")
    >>> sorted((str(k[1]), "" if rho is None else _sparql(rho)) for rho, ks in reads.items() for k in ks)
    [('http://ex/p', ''), ('http://ex/q', '<http://ex/p>')]
    >>> [sorted(map(str, p[1])) for p in other.patterns]
    [['http://ex/r']]
    """
    from rdflib.term import Variable
    algebra = _algebra(query, namespaces)
    if algebra is None:
        return {}, ALWAYS
    c = _Patterns(Variable("this")).finish_walk(algebra)
    return dict(c.reads), c.footprint()


def value_plan(query: str, namespaces: dict | None = None):
    """For a SPARQL constraint whose results are one per ``?value``: what it reads at each ?value
    (path from it -> kinds, as for shapes) and the footprint of its other patterns; None when the
    query cannot be split by ?value (module docstring of :class:`IncrementalValidator`).

    >>> reads, other, filters, required = value_plan("SELECT $this ?value WHERE { ?value a ?c . FILTER NOT EXISTS { ?x ?p ?value } }")
    >>> sorted(k for ks in reads.values() for k in ks), other.patterns
    ([('allin',), ('fwd', rdflib.term.URIRef('http://www.w3.org/1999/02/22-rdf-syntax-ns#type'))], ())
    >>> value_plan("SELECT $this ?value WHERE { ?s ?p ?o BIND(?s AS ?value) }") is None
    True
    """
    from rdflib.term import Variable
    algebra = _algebra(query, namespaces)
    v = Variable("value")
    if algebra is None or v not in (algebra.get("PV") or ()) or Variable("failure") in (algebra.get("PV") or ()):
        return None
    if not _pinned(algebra.p, v) or _assigns(algebra.p, v):
        return None
    c = _Patterns(v).finish_walk(algebra)
    return dict(c.reads), c.footprint(), _spine_filters(algebra.p, v), _spine_patterns(algebra.p, v)


# -- what a shape reads --------------------------------------------------------------------------
def _shacl_path(g: Graph, node):
    """A SHACL path as a small tree: ('iri', p) | ('inv', t) | ('seq', [...]) | ('alt', [...]) |
    ('star' | 'plus' | 'opt', t)."""
    if isinstance(node, URIRef):
        return ("iri", node)
    items = list(g.items(node)) if (node, RDF.first, None) in g else []
    if items:
        return ("seq", tuple(_shacl_path(g, i) for i in items))
    for pred, kind in ((SH.inversePath, "inv"), (SH.zeroOrMorePath, "star"), (SH.oneOrMorePath, "plus"),
                       (SH.zeroOrOnePath, "opt")):
        inner = g.value(node, pred)
        if inner is not None:
            return (kind, _shacl_path(g, inner))
    alt = g.value(node, SH.alternativePath)
    if alt is not None:
        return ("alt", tuple(_shacl_path(g, i) for i in g.items(alt)))
    raise ValueError(f"not a SHACL path: {node}")


def _inverse(t):
    kind, arg = t
    if kind == "iri":
        return ("inv", t)
    if kind == "inv":
        return arg
    if kind == "seq":
        return ("seq", tuple(_inverse(x) for x in reversed(arg)))
    if kind == "alt":
        return ("alt", tuple(_inverse(x) for x in arg))
    return (kind, _inverse(arg))


def _normal(t):
    """Inverses pushed down to single predicates."""
    kind, arg = t
    if kind == "iri":
        return t
    if kind == "inv":
        inner = _normal(arg)
        return ("inv", inner) if inner[0] == "iri" else _normal(_inverse(inner))
    if kind in ("seq", "alt"):
        return (kind, tuple(_normal(x) for x in arg))
    return (kind, _normal(arg))


def _sparql(t) -> str:
    kind, arg = t
    if kind == "iri":
        return f"<{arg}>"
    if kind == "inv":
        return f"^{_sparql(arg)}"
    if kind in ("seq", "alt"):
        return "(" + ("/" if kind == "seq" else "|").join(_sparql(x) for x in arg) + ")"
    return f"({_sparql(arg)}){ {'star': '*', 'plus': '+', 'opt': '?'}[kind] }"


def _cat(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return ("seq", (a, b))


def _reads(t) -> list[tuple]:
    """(path from the start node or None, what is read at its end) for walking path ``t``."""
    kind, arg = t
    if kind == "iri":
        return [(None, ("fwd", arg))]
    if kind == "inv":
        return [(None, ("inv", arg[1]))]
    if kind == "seq":
        head, rest = arg[0], arg[1:]
        tail = rest[0] if len(rest) == 1 else ("seq", rest)
        return _reads(head) + [(_cat(head, r), k) for r, k in _reads(tail)]
    if kind == "alt":
        return [x for a in arg for x in _reads(a)]
    if kind in ("star", "plus"):
        return [(_cat(("star", arg), r), k) for r, k in _reads(arg)]
    return _reads(arg)  # opt


class _Walker:
    """A set of paths to walk back from triggered nodes (see IncrementalValidator._walk)."""

    def __init__(self, name: str):
        self.name = name
        self.reads: dict[object, set] = defaultdict(set)   # path tree (None: the start) -> kinds
        self.walk_paths: list = []

    def mark(self, i: int) -> ox.NamedNode:
        return ox.NamedNode(f"{_NS}{self.name}-path-{i}")

    def compile(self) -> None:
        self.walk_paths = [rho for rho in self.reads if rho is not None]


class _Plan(_Walker):
    """What one top-level shape reads, and where it runs."""

    def __init__(self, index: int, shape):
        super().__init__(f"shape-{index}")
        self.index, self.shape = index, shape
        nodes, classes, implicit, objects_of, subjects_of = shape.target()
        self.target_nodes, self.target_classes = list(nodes), set(classes) | set(implicit)
        self.objects_of, self.subjects_of = list(objects_of), list(subjects_of)
        self.footprints: list[Footprint] = []
        self.always = False
        self.sparql_targets: list = []       # (query text, Footprint)
        self.closure: set | None = None      # the target classes and their subclasses (cached)
        self.sparql_found: set = set()       # the nodes its SPARQL targets found
        self.by_value: list[_ValuePlan] = []  # its SPARQL constraints, re-run per ?value (when all are)
        self.sparql = False                  # it has SPARQL constraints
        self.component = None                # pySHACL's SPARQLBasedConstraint of the shape


class _ValuePlan(_Walker):
    """A SPARQL constraint re-run only for the ?value it may now report differently (value_plan)."""

    def __init__(self, name: str, node, helper, reads: dict, other: Footprint, filters: list, required: list):
        super().__init__(name)
        self.node, self.helper, self.other, self.filters, self.required = node, helper, other, filters, required
        for rho, kinds in reads.items():
            self.reads[rho] |= kinds
        self.compile()


class _BoundValue:
    """A pySHACL SPARQL query helper that also pre-binds ?value (pySHACL binds $this only). With
    ?value pinned (see value_plan), the query's rows for one ?value are exactly those of the query
    with that value in its place; pyoxigraph pushes it into subqueries too, where joining with a
    VALUES clause or a table of values would evaluate the whole query first (measured: 3.4 ms for
    ten values one by one, 7.4 ms as a VALUES clause, 5.2 ms in full, on the bundled graph)."""

    def __init__(self, helper, value, cache: dict):
        self._helper, self._value, self._cache = helper, value, cache

    def __getattr__(self, name):
        return getattr(self._helper, name)

    def pre_bind_variables(self, thisnode, valuenode=None, extravars=None):
        key = (id(self._helper), thisnode)
        if key not in self._cache:  # pySHACL checks the text with a dozen regular expressions each time
            self._cache[key] = self._helper.pre_bind_variables(thisnode)
        binds, text = self._cache[key]
        return {**binds, "value": self._value}, text


class _Mirror(Graph):
    """The rdflib mirror of the data, whose SPARQL queries run on the pyoxigraph mirror (pySHACL's
    own Oxigraph data graph answers them): pySHACL reads triples from rdflib as in a full
    validation, and its SPARQL constraints and targets run 10-100x faster than on rdflib's engine.
    The results of a SPARQL query on the two mirrors are the same (the differential test checks)."""

    oxigraph = None  # set by IncrementalValidator.reset

    def query(self, query_object, processor="sparql", result="sparql", initNs=None, initBindings=None,  # noqa: N803
              use_store_provided=True, **kwargs):
        return self.oxigraph.query(query_object, initNs=initNs, initBindings=initBindings)


# -- the validator -------------------------------------------------------------------------------
class IncrementalValidator:
    """The results of the current data, kept up to date change by change (module docstring)."""

    def __init__(self, shapes: Graph):
        from pyshacl.pytypes import SHACLExecutor
        from pyshacl.shapes_graph import ShapesGraph
        from pyshacl.target import apply_target_types, gather_target_types
        self.shapes_graph = shapes
        self.sg = ShapesGraph(shapes)
        self.shapes = list(self.sg.shapes)
        apply_target_types(gather_target_types(self.sg))
        for s in self.shapes:
            s.set_advanced(True)
        self.executor = SHACLExecutor(advanced_mode=True, allow_warnings=True)
        g = self.sg.graph
        #: the incremental analysis gives up on shapes graphs with rules, functions or JavaScript:
        #: every shape is then re-checked on every change
        self.unsupported = any((None, p, None) in g for p in (SH.rule, SH.js, SH.jsLibrary)) or \
            any((None, RDF.type, t) in g for t in (SH.SPARQLFunction, SH.ConstraintComponent, SH.JSFunction))
        self.namespaces = {p: str(n) for p, n in bind_prefixes(Graph()).namespaces()}
        self.lock = threading.RLock()
        self.plans: list[_Plan] = []
        for shape in self.shapes:
            plan = _Plan(len(self.plans), shape)
            if plan.target_nodes or plan.target_classes or plan.objects_of or plan.subjects_of or \
                    shape.advanced_target():
                self._analyse(plan)
                self.plans.append(plan)
        self._queue: list[tuple[list, list]] = []   # changes seen (made by others), not yet applied
        self._pending: tuple[list, list] = ([], [])  # applied to the mirrors, not yet re-validated
        self._tentative = None
        self._prebound: dict = {}                      # (query helper, focus) -> pySHACL's pre-binding
        self.results: dict[tuple, frozenset] = {}      # (plan index, focus) -> its results (never empty)
        self.targets: dict[int, set] = {}
        self.rg = self.og = None

    # -- shape analysis -----------------------------------------------------------------------------
    def _analyse(self, plan: _Plan) -> None:
        g = self.sg.graph
        if self.unsupported:
            plan.always = True
        for node, at in (plan.shape.advanced_target() or {}).items():
            if at["type"] == SH.SPARQLTarget:
                query = at["qh"].apply_prefixes(at["qh"].select_text)
                plan.sparql_targets.append((query, footprint(query, self.namespaces)))
            else:
                plan.always = True
        self._collect(g, plan.shape.node, None, plan, ())
        plan.compile()
        if plan.sparql and not plan.always:
            self._split_by_value(plan)

    def _split_by_value(self, plan: _Plan) -> None:
        """A node shape whose only constraints are SPARQL ones that can each be split by ?value:
        each is re-run for the ?values a change may affect instead of in full."""
        from pyshacl.constraints import ALL_CONSTRAINT_PARAMETERS
        from pyshacl.constraints.sparql.sparql_based_constraints import SPARQLBasedConstraint
        g = self.sg.graph
        params = set(g.predicates(plan.shape.node, None)) & set(ALL_CONSTRAINT_PARAMETERS)
        if plan.shape.is_property_shape or params != {SH.sparql}:
            return
        component = SPARQLBasedConstraint(plan.shape)
        out = []
        for k, helper in enumerate(sorted(component.sparql_constraints, key=lambda h: str(h.node))):
            split = value_plan(helper.apply_prefixes(helper.select_text), self.namespaces)
            if split is None:
                return
            out.append(_ValuePlan(f"shape-{plan.index}-sparql-{k}", helper.node, helper, *split))
        plan.by_value, plan.component = out, component

    def _collect(self, g: Graph, node, prefix, plan: _Plan, stack: tuple) -> None:
        if node in stack:  # a recursive shape: it may read anything connected
            plan.always = True
            return
        stack = stack + (node,)
        preds = set(g.predicates(node, None))
        if preds & _UNSUPPORTED:
            plan.always = True
        path_node = g.value(node, SH.path)
        if path_node is not None:
            try:
                path = _normal(_shacl_path(g, path_node))
            except ValueError:
                plan.always = True
                return
            for rho, kind in _reads(path):
                plan.reads[_cat(prefix, rho)].add(kind)
            values = _cat(prefix, path)
        else:
            values = prefix
        if SH["class"] in preds:
            plan.reads[values].add(("type",))
        if SH.closed in preds:
            plan.reads[values].add(("all",))
        for p in _PAIR:
            for other in g.objects(node, p):
                plan.reads[prefix].add(("fwd", other))
        for p in _NESTED_ONE:
            for n2 in g.objects(node, p):
                self._collect(g, n2, values, plan, stack)
        for p in _NESTED_LIST:
            for lst in g.objects(node, p):
                for n2 in g.items(lst):
                    self._collect(g, n2, values, plan, stack)
        for c in g.objects(node, SH.sparql):
            text = str(g.value(c, SH.select) or "")
            plan.sparql = True
            if "$PATH" in text or "?PATH" in text:
                plan.footprints.append(ALWAYS)
                continue
            reads, other = this_plan(self._with_prefixes(node, c, text), self.namespaces)
            for rho, kinds in reads.items():  # what the query reads at paths from its $this: the value node
                plan.reads[_cat(values, rho)] |= kinds
            if other.always or other.patterns:
                plan.footprints.append(other)

    def _with_prefixes(self, shape_node, constraint, text: str) -> str:
        """The query as pySHACL runs it: with the PREFIX lines of its sh:prefixes."""
        from pyshacl.helper import get_query_helper_cls
        shape = self.sg.lookup_shape_from_node(shape_node)
        qh = get_query_helper_cls()(shape, constraint, text)
        qh.collect_prefixes()
        return qh.apply_prefixes(text)

    # -- mirrors -------------------------------------------------------------------------------------
    def reset(self, quads: Iterable[ox.Quad]) -> Verdict:
        """Start from ``quads`` (the data: shapes and change log left out): mirrors, targets, and a
        full validation of every target."""
        with self.lock:
            self.rg = bind_prefixes(_Mirror())
            self.og = ox.Store()
            self.count: dict = defaultdict(int)
            triples = []
            for q in quads:
                t = q.triple
                self.count[t] += 1
                if self.count[t] == 1:
                    triples.append(t)
            self.og.extend(ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples)
            for t in triples:
                self.rg.add(tuple(map(from_ox_term, t)))
            self.rg.oxigraph = self._oxigraph_view()
            self._queue, self._pending, self._tentative = [], ([], []), None
            self.targets = {p.index: self._targets(p) for p in self.plans}
            self.results = {}
            checked = 0
            for plan in self.plans:
                new, n = self._validate(plan, self.targets[plan.index])
                self.results.update(new)
                checked += n
            return self._verdict(self.results, checked, True)

    def _oxigraph_view(self):
        from pyshacl.graph_abstraction import DataGraph
        view = DataGraph.from_oxigraph_store(self.og)
        for prefix, ns in self.rg.namespaces():
            view.store.bind(prefix, ns)
        return view

    def _apply(self, removed: Iterable[ox.Quad], added: Iterable[ox.Quad]) -> tuple[list, list, list]:
        """Change the mirrors by quads: (triples the union lost, triples it gained, undo log)."""
        lost, gained, undo = [], [], []
        for q in removed:
            t = q.triple
            undo.append((t, 1))
            self.count[t] -= 1
            if self.count[t] <= 0:
                del self.count[t]
                lost.append(t)
        for q in added:
            t = q.triple
            undo.append((t, -1))
            self.count[t] += 1
            if self.count[t] == 1:
                gained.append(t)
        self._edit(lost, gained)
        return lost, gained, undo

    def _edit(self, remove: list, add: list) -> None:
        for t in remove:
            self.og.remove(ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()))
            self.rg.remove(tuple(map(from_ox_term, t)))
        for t in add:
            self.og.add(ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()))
            self.rg.add(tuple(map(from_ox_term, t)))

    def _undo(self, lost: list, gained: list, undo: list) -> None:
        self._edit(gained, lost)
        for t, d in undo:
            self.count[t] += d
            if self.count[t] == 0:
                del self.count[t]

    # -- changes ---------------------------------------------------------------------------------------
    def seen(self, removed: Iterable[ox.Quad], added: Iterable[ox.Quad]) -> None:
        """A change already made durable elsewhere (another process): applied and re-validated with
        the next :meth:`prepare`. Cheap and safe to call from any thread."""
        self._queue.append((list(removed), list(added)))

    def _drain(self) -> None:
        while self._queue:
            removed, added = self._queue.pop(0)
            lost, gained, _ = self._apply(removed, added)
            self._pending[0].extend(lost)
            self._pending[1].extend(gained)

    def prepare(self, removed: Iterable[ox.Quad], added: Iterable[ox.Quad]) -> Verdict:
        """The verdict on the data after the change, tentatively applied: :meth:`commit` keeps it,
        :meth:`abort` undoes it."""
        with self.lock:
            self.abort()
            self._drain()
            lost, gained, undo = self._apply(removed, added)
            try:
                merged, targets, checked = self._revalidate(self._pending[0] + lost, self._pending[1] + gained)
            except BaseException:
                self._undo(lost, gained, undo)
                raise
            self._tentative = (lost, gained, undo, merged, targets)
            return self._verdict(merged, checked, False)

    def outcome(self) -> tuple:
        """What :meth:`prepare` found, as a difference from the current results and targets, to
        hand to another process's :meth:`adopt` (picklable and small: a change touches few)."""
        _, _, _, merged, targets = self._tentative
        changed = {k: v for k, v in merged.items() if self.results.get(k) != v}
        gone = [k for k in self.results if k not in merged]
        moved = {i: t for i, t in targets.items() if t is not self.targets.get(i)}
        return changed, gone, moved

    def adopt(self, removed: Iterable[ox.Quad], added: Iterable[ox.Quad], outcome: tuple) -> Verdict:
        """Like :meth:`prepare`, with the results another process found for this change (a forked
        check, see kg.validate.ShapesGate): the mirrors are changed, nothing is re-validated."""
        with self.lock:
            self.abort()
            self._drain()
            changed, gone, moved = outcome
            merged = dict(self.results)
            for k in gone:
                merged.pop(k, None)
            merged.update(changed)
            targets = {**self.targets, **moved}
            lost, gained, undo = self._apply(removed, added)
            self._tentative = (lost, gained, undo, merged, targets)
            return self._verdict(merged, 0, False)

    def seen_overflow(self) -> None:
        """Too many changes seen to keep: forget them (the caller starts again with :meth:`reset`)."""
        self._queue = []

    def commit(self) -> None:
        """Keep the change :meth:`prepare` checked (it is durable now)."""
        with self.lock:
            if self._tentative is not None:
                _, _, _, self.results, self.targets = self._tentative
                self._pending, self._tentative = ([], []), None

    def abort(self) -> None:
        """Undo the change :meth:`prepare` checked (it was refused, or could not be made durable)."""
        with self.lock:
            if self._tentative is not None:
                lost, gained, undo, _, _ = self._tentative
                self._undo(lost, gained, undo)
                self._tentative = None

    @property
    def conforms(self) -> bool:
        return self._verdict(self.results, 0, False).conforms

    def current(self) -> frozenset:
        """The results of the data as it is (after the last commit)."""
        return frozenset(r for rs in self.results.values() for r in rs)

    @staticmethod
    def _verdict(results: dict, checked: int, full: bool) -> Verdict:
        flat = frozenset(r for rs in results.values() for r in rs)
        return Verdict(all(r.severity in ALLOWED_SEVERITIES for r in flat), flat, checked, full)

    # -- what to re-check ----------------------------------------------------------------------------
    def _revalidate(self, lost: list, gained: list) -> tuple[dict, dict, int]:
        changed = [tuple(map(from_ox_term, t)) for t in lost + gained]
        by_pred: dict = defaultdict(list)
        for s, p, o in changed:
            by_pred[p].append((s, o))
        typed = {s for s, _ in by_pred.get(RDF.type, ())}
        if by_pred.get(RDFS.subClassOf):
            typed |= self._instances_below({s for s, _ in by_pred[RDFS.subClassOf]}, lost)
        subjects = {s for s, _, _ in changed}
        objects = {o for _, _, o in changed}
        predicates = set(by_pred)
        kinds = (by_pred, typed, subjects, objects, predicates)
        targets = dict(self.targets)
        work: dict[int, set] = {}
        walks: dict[object, tuple] = {}
        for plan in self.plans:
            i = plan.index
            targets[i] = self._new_targets(plan, by_pred, changed)
            entering = targets[i] - self.targets[i]
            if plan.by_value and not plan.always and not any(vp.other.matches(changed) for vp in plan.by_value):
                work[i] = set(entering)
                for vp in plan.by_value:
                    walks[vp] = self._triggers(vp, kinds)
            elif plan.always or any(fp.matches(changed) for fp in plan.footprints):
                work[i] = set(targets[i])
            else:
                triggers = self._triggers(plan, kinds)
                work[i] = set(triggers.pop(None, ())) | entering
                if triggers:
                    walks[plan] = (triggers, None)
        found = self._walk({w: t for w, (t, _) in walks.items() if t}, lost)
        merged, checked = dict(self.results), 0
        for plan in self.plans:
            i = plan.index
            todo = work[i] & targets[i]
            if plan in found:
                todo |= found[plan] & targets[i]
            for f in todo | (self.targets[i] - targets[i]):
                merged.pop((i, f), None)
            new, n = self._validate(plan, todo)
            merged.update(new)
            checked += n
            for vp in plan.by_value if not plan.shape.deactivated else ():
                if vp not in walks:
                    continue
                values = set(walks[vp][1]) | found.get(vp, set())
                if values and not vp.helper.deactivated:
                    checked += self._rerun(plan, vp, values, targets[i] - todo, merged)
        return merged, targets, checked

    def _rerun(self, plan: _Plan, vp: _ValuePlan, values: set, focus: set, merged: dict) -> int:
        """Re-run one SPARQL constraint for each focus node and each of ``values``; replace the results
        it gave for those values."""
        runs = [v for v in values if self._may_give_rows(vp, v)]
        for f in focus:
            key = (plan.index, f)
            kept = {r for r in merged.get(key, ()) if not (r.constraint == vp.node and r.value in values)}
            for v in runs:
                helper = _BoundValue(vp.helper, v, self._prebound)
                _, reports = plan.component._evaluate_sparql_constraint(helper, self.rg, {f: {f}})
                kept.update(r for rep in reports for r in _results(rep))
            if kept:
                merged[key] = frozenset(kept)
            else:
                merged.pop(key, None)
        return len(focus) * len(runs)

    def _may_give_rows(self, vp: _ValuePlan, v) -> bool:
        """False when the query surely has no row for ?value = v: a pattern every row matches is not
        in the data (the rdflib mirror answers), or a FILTER of ?value alone rejects it."""
        for s, p, o in vp.required:
            t = (v if s == _VALUE else s, p, v if o == _VALUE else o)
            if isinstance(t[0], Literal) or not any(True for _ in self.rg.triples(t)):
                return False
        return all(_passes(e, v) for e in vp.filters)

    def _new_targets(self, plan: _Plan, by_pred, changed) -> set:
        """The shape's focus nodes after the change: recomputed in full when the class hierarchy or a
        SPARQL target's patterns changed, else re-decided for the nodes whose membership may have moved."""
        old = self.targets[plan.index]
        if (plan.target_classes and by_pred.get(RDFS.subClassOf)) or \
                any(fp.matches(changed) for _, fp in plan.sparql_targets):
            plan.closure = None
            return self._targets(plan)
        moved = set()
        if plan.target_classes:
            moved.update(s for s, _ in by_pred.get(RDF.type, ()))
        for p in plan.subjects_of:
            moved.update(s for s, _ in by_pred.get(p, ()))
        for p in plan.objects_of:
            moved.update(o for _, o in by_pred.get(p, ()))
        if not moved:
            return old
        return (old - moved) | {n for n in moved if self._is_target(plan, n)}

    def _is_target(self, plan: _Plan, n) -> bool:
        g = self.rg
        if n in plan.target_nodes or n in plan.sparql_found:
            return True
        if plan.target_classes:
            if plan.closure is None:
                plan.closure = {c for tc in plan.target_classes for c in g.transitive_subjects(RDFS.subClassOf, tc)}
            if any(t in plan.closure for t in g.objects(n, RDF.type)):
                return True
        if any((n, p, None) in g for p in plan.subjects_of):
            return True
        return any((None, p, n) in g for p in plan.objects_of)

    def _targets(self, plan: _Plan) -> set:
        """The shape's focus nodes in the mirror, found as pySHACL's Shape.focus_nodes finds them."""
        g = self.rg
        found = set(plan.target_nodes)
        for tc in plan.target_classes:
            found.update(g.subjects(RDF.type, tc))
            for sub in g.transitive_subjects(RDFS.subClassOf, tc):
                if sub != tc:
                    found.update(g.subjects(RDF.type, sub))
        for p in plan.subjects_of:
            found.update(s for s, _ in g.subject_objects(p))
        for p in plan.objects_of:
            found.update(o for _, o in g.subject_objects(p))
        plan.sparql_found = set()
        for query, _ in plan.sparql_targets:
            for row in self.og.query(query, prefixes=self.namespaces):
                if row["this"] is not None:
                    plan.sparql_found.add(from_ox_term(row["this"]))
        return found | plan.sparql_found

    @staticmethod
    def _triggers(walker: _Walker, kinds: tuple):
        """For each path ``walker`` reads along (None: its start): the nodes at its end the change
        touched; for a value plan, as (walked triggers, the values touched directly)."""
        by_pred, typed, subjects, objects, predicates = kinds
        out = {}
        for rho, wanted in walker.reads.items():
            hit = set()
            for kind in wanted:
                if kind[0] == "fwd":
                    hit.update(s for s, _ in by_pred.get(kind[1], ()))
                elif kind[0] == "inv":
                    hit.update(o for _, o in by_pred.get(kind[1], ()))
                elif kind[0] == "type":
                    hit |= typed
                elif kind[0] == "all":
                    hit |= subjects
                elif kind[0] == "allin":
                    hit |= objects
                elif kind[0] == "pred":
                    hit |= predicates
            if hit:
                out[rho] = hit
        if isinstance(walker, _ValuePlan):
            return out, out.pop(None, set())
        return out

    def _scratch(self, marks: list[ox.Quad], lost: list):
        """Marks and the lost triples put beside the mirror's data for one query (see _walk)."""
        self.og.extend(marks)
        self.og.extend(ox.Quad(t.subject, t.predicate, t.object, REMOVED) for t in lost)

    def _clean(self) -> None:
        self.og.remove_graph(TOUCHED)
        self.og.remove_graph(REMOVED)

    def _walk(self, walks: dict, lost: list) -> dict:
        """For each walker, the start nodes from which a triggered node is reached along its path, in
        the data before or after the change (the mirror's data plus the triples the change removed):
        one query for all of them, a branch per path with triggered nodes."""
        marks, branches, owner = [], [], {}
        for walker, triggers in walks.items():
            for k, rho in enumerate(walker.walk_paths):
                nodes = triggers.get(rho, ())
                if not nodes:
                    continue
                m = walker.mark(k)
                owner[m.value] = walker
                marks += [ox.Quad(m, IN, to_ox_term(n), TOUCHED) for n in nodes]
                branches.append(f"{{ GRAPH <{TOUCHED.value}> {{ <{m.value}> <{IN.value}> ?x }} ?f {_sparql(rho)} ?x "
                                f"BIND(<{m.value}> AS ?w) }}")
        if not branches:
            return {}
        self._scratch(marks, lost)
        out: dict = defaultdict(set)
        try:
            rows = self.og.query(f"SELECT DISTINCT ?w ?f WHERE {{ {' UNION '.join(branches)} }}",
                                 default_graph=[ox.DefaultGraph(), REMOVED], named_graphs=[TOUCHED])
            for row in rows:
                out[owner[row["w"].value]].add(from_ox_term(row["f"]))
        finally:
            self._clean()
        return out

    def _instances_below(self, classes: set, lost: list) -> set:
        """Every instance of these classes or their subclasses, before or after the change."""
        self._scratch([ox.Quad(IN, IN, to_ox_term(c), TOUCHED) for c in classes], lost)
        try:
            rows = self.og.query(
                f"SELECT DISTINCT ?i WHERE {{ GRAPH <{TOUCHED.value}> {{ <{IN.value}> <{IN.value}> ?x }} "
                f"?c <{RDFS.subClassOf}>* ?x . ?i a ?c }}",
                default_graph=[ox.DefaultGraph(), REMOVED], named_graphs=[TOUCHED])
            return {from_ox_term(r["i"]) for r in rows}
        finally:
            self._clean()

    def _validate(self, plan: _Plan, focus: set) -> tuple[dict, int]:
        """The non-empty results of (shape, focus node) for each focus node, by pySHACL."""
        if not focus:
            return {}, 0
        graph = self.rg
        nodes = list(focus)
        _, reports = plan.shape.validate(self.executor, graph, focus=nodes)
        by_focus: dict = defaultdict(set)
        for rep in reports:
            rs = _results(rep)
            by_focus[rs[0].focus if len(rs) == 1 else _results_focus(rep)].update(rs)
        if set(by_focus) - focus:  # a result about another node: attribute each to the node checked
            by_focus = defaultdict(set)
            for f in nodes:
                for rep in plan.shape.validate(self.executor, graph, focus=[f])[1]:
                    by_focus[f].update(_results(rep))
        return {(plan.index, f): frozenset(rs) for f, rs in by_focus.items() if rs}, len(nodes)
