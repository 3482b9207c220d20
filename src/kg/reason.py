"""OWL 2 reasoning with owlready2's HermiT: consistency, unsatisfiable classes, inferred types.

owlready2 does not read Turtle, so the graph is handed over as N-Triples in a temporary file;
each call uses a fresh owlready2 World so runs never leak into each other. HermiT is run once
over the whole graph (about 2 s here), never per request.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from .load import load_graph
from .namespaces import DSK, OA

__all__ = ["ReasoningResult", "ReasoningError", "reason", "materialize", "entailed_types", "entailed",
           "disjointness_clashes"]


@dataclass
class ReasoningResult:
    consistent: bool
    unsatisfiable: list[str] = field(default_factory=list)
    inferred_types: list[tuple[str, str]] = field(default_factory=list)  # (individual, class) pairs
    clashes: list[str] = field(default_factory=list)  # likely causes when inconsistent
    error: str | None = None


class ReasoningError(Exception):
    """HermiT could not run, or found ontology + data inconsistent; str() is one line."""


class _Inconsistent(Exception):
    pass


def _hermit(g: Graph, *, property_values: bool = False):
    """Load ``g`` into a fresh owlready2 World (as N-Triples: owlready2 reads no Turtle) and run
    HermiT (``property_values``: object property assertions too); the caller closes the returned
    World. Raises _Inconsistent, or ReasoningError when HermiT cannot run (no Java)."""
    import owlready2

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "graph.nt"
        g.serialize(path, format="nt", encoding="utf-8")
        world = owlready2.World()
        onto = world.get_ontology(path.as_uri()).load(format="ntriples")
        try:
            with onto:
                owlready2.sync_reasoner_hermit(world, infer_property_values=property_values, debug=0,
                                               ignore_unsupported_datatypes=True)
        except owlready2.OwlReadyInconsistentOntologyError:
            world.close()
            raise _Inconsistent() from None
        except owlready2.base.OwlReadyJavaError as exc:  # Java missing or HermiT crashed
            world.close()
            raise ReasoningError(f"HermiT could not run: {str(exc).splitlines()[0]}") from None
    return world


def for_reasoner(g: Graph) -> Graph:
    """``g`` without the text anchors and the stored text: nearly 900 selector and span nodes
    that no class axiom constrains (oa: classes are in no disjointness), which made HermiT take
    16 s instead of about 3 on the essay graph."""
    anchors = set(g.objects(None, DSK.anchor)) | set(g.objects(None, DSK.repeats))
    selectors = {sel for a in anchors for sel in g.objects(a, OA.hasSelector)}
    drop = anchors | selectors
    out = Graph()
    for prefix, ns in g.namespaces():
        out.bind(prefix, ns, override=True)
    for s, p, o in g:
        if s in drop or p in (DSK.anchor, DSK.repeats, DSK.fullText):
            continue
        out.add((s, p, o))
    return out


def reason(graph: Graph | None = None, *, infer_types: bool = False) -> ReasoningResult:
    """Run HermiT over ``graph`` (default: ontology + text + data), anchors left out (see for_reasoner)."""
    import owlready2

    g = for_reasoner(graph if graph is not None else load_graph())
    asserted = {(str(s), str(o)) for s, o in g.subject_objects(RDF.type) if isinstance(o, URIRef)}
    try:
        world = _hermit(g)
    except _Inconsistent:
        return ReasoningResult(consistent=False, clashes=disjointness_clashes(g))
    except ReasoningError as exc:
        return ReasoningResult(consistent=False, error=str(exc))
    try:
        unsat = sorted(c.iri for c in world.inconsistent_classes() if c is not owlready2.Nothing)
        inferred = []
        if infer_types:
            for ind in world.individuals():  # every entailed class, superclasses too (as the inferred dump)
                for cls in ind.INDIRECT_is_a:
                    iri = getattr(cls, "iri", None)
                    if isinstance(iri, str) and iri != str(OWL.Thing) and (ind.iri, iri) not in asserted:
                        inferred.append((ind.iri, iri))
    finally:
        world.close()
    return ReasoningResult(consistent=True, unsatisfiable=unsat, inferred_types=sorted(inferred))


def _superclasses(g: Graph) -> dict[URIRef, set[URIRef]]:
    sup: dict[URIRef, set[URIRef]] = {}
    for c in set(g.subjects(RDF.type, OWL.Class)) | set(g.objects(None, RDF.type)):
        if isinstance(c, URIRef):
            sup[c] = {x for x in g.transitive_objects(c, RDFS.subClassOf) if isinstance(x, URIRef)}
    return sup


def disjointness_clashes(g: Graph) -> list[str]:
    """Individuals whose asserted types fall under two disjoint classes: the usual cause of an
    inconsistency, found without the reasoner so the message can name the culprit."""
    pairs: set[frozenset] = set()
    for a, b in g.subject_objects(OWL.disjointWith):
        pairs.add(frozenset((a, b)))
    for axiom in g.subjects(RDF.type, OWL.AllDisjointClasses):
        members = list(g.items(g.value(axiom, OWL.members)))
        pairs.update(frozenset((a, b)) for i, a in enumerate(members) for b in members[i + 1:])
    sup = _superclasses(g)
    out = []
    for ind in set(g.subjects(RDF.type, None)):
        closure = set()
        for t in g.objects(ind, RDF.type):
            closure |= sup.get(t, {t})
        for pair in pairs:
            if pair <= closure:
                a, b = sorted(pair)
                n = g.namespace_manager.normalizeUri
                out.append(f"{n(ind)} is both a {n(a)} and a {n(b)}, which the ontology declares disjoint")
    return sorted(out)


_META = (str(OWL), str(RDFS), str(RDF))


def _individuals(g: Graph) -> set[URIRef]:
    """IRIs typed with a domain class (not classes, properties or other OWL/RDF machinery)."""
    return {s for s, o in g.subject_objects(RDF.type)
            if isinstance(s, URIRef) and isinstance(o, URIRef)
            and (not str(o).startswith(_META) or o == OWL.NamedIndividual)}


def entailed_types(graph: Graph | None = None) -> set[tuple[URIRef, URIRef]]:
    """Every (individual, named class) pair HermiT entails, asserted or not, except owl:Thing.

    owlready2 only treats declared ``owl:NamedIndividual``s as individuals, so every typed IRI
    is declared one in the copy handed to HermiT. Blank nodes get no inferred types.
    """
    return entailed(graph)[0]


def entailed(graph: Graph | None = None, *, property_values: bool = False):
    """(types, values): :func:`entailed_types`, and with ``property_values`` every object property
    assertion between two of the named individuals after HermiT's run, stated or entailed, as
    (subject, property, object) IRIs (owlready2 keeps one direction of an inverse pair: the other
    is implied). One HermiT run for both."""
    g = for_reasoner(graph if graph is not None else load_graph())  # anchors carry no entailments
    inds = _individuals(g)
    copy = Graph()
    for t in g:
        copy.add(t)
    for s in inds:
        copy.add((s, RDF.type, OWL.NamedIndividual))
    try:
        world = _hermit(copy, property_values=property_values)
    except _Inconsistent:
        clashes = disjointness_clashes(g)
        raise ReasoningError("ontology + data are inconsistent" + (f": {clashes[0]}" if clashes else "")) from None
    try:
        types, values = set(), set()
        wanted = {str(i) for i in inds}
        for ind in world.individuals():
            if ind.iri not in wanted:
                continue
            for cls in ind.INDIRECT_is_a:
                iri = getattr(cls, "iri", None)
                if isinstance(iri, str) and iri != str(OWL.Thing):
                    types.add((URIRef(ind.iri), URIRef(iri)))
        if property_values:
            for prop in world.object_properties():
                for s, o in prop.get_relations():
                    if getattr(s, "iri", None) in wanted and getattr(o, "iri", None) in wanted:
                        values.add((URIRef(s.iri), URIRef(prop.iri), URIRef(o.iri)))
    finally:
        world.close()
    return types, values


def materialize(graph: Graph | None = None) -> Graph:
    """A new graph: ``graph`` (default: ontology + text + data) plus an ``rdf:type`` triple for every
    named class HermiT entails for each of its named individuals (superclasses included).
    Raises ReasoningError when HermiT cannot run or finds the graph inconsistent."""
    g = graph if graph is not None else load_graph()
    out = Graph()
    for prefix, ns in g.namespaces():
        out.bind(prefix, ns)
    for t in g:
        out.add(t)
    for ind, cls in entailed_types(g):
        out.add((ind, RDF.type, cls))
    return out
