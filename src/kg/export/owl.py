"""OWL 2 DL declarations for the exports OWL tools open (Protégé, the OWL API, reasoners).

Why: OWL 2 DL asks that every class, property and individual an ontology uses be declared. The
source files declare our own terms, but not the outside terms they build on (``foaf:Person``,
``schema:about``, ``skos:definition``) nor the hundreds of individuals of the data; the OWL API
then reported 244 profile violations on the ontology, dropped the two ``owl:equivalentProperty``
axioms whose other side it could not type, and Protégé saw 27 of the data's 537 individuals declared.
:func:`declared` adds the missing declarations from how each term is used, so a term or an
individual added tomorrow is declared too. Nothing else changes: declarations state no facts.

How a term's kind is read from its use (built-in ``rdf:``, ``rdfs:``, ``owl:`` and ``xsd:`` terms
are never declared):

- **class**: the object of ``rdf:type`` (outside the meta vocabularies), either side of
  ``rdfs:subClassOf``, ``owl:equivalentClass`` or ``owl:disjointWith``, the range of an object
  property, a member of ``owl:unionOf`` / ``owl:AllDisjointClasses``, a restriction's class;
- **property**: the kind of the property it is tied to by ``rdfs:subPropertyOf``,
  ``owl:equivalentProperty`` or ``owl:inverseOf`` (``schema:about`` is an object property because
  ``dsk:about`` is); otherwise an **object property** when every use links two individuals (IRIs or
  blank nodes, never a class, property or the ontology), else an **annotation property**
  (literal values such as ``skos:definition``, or statements about terms such as ``dcterms:license``
  on the ontology);
- **individual**: every other IRI that is typed, or is the subject or the object of an object or
  data property (``owl:NamedIndividual``).

>>> from rdflib import Graph
>>> g = Graph().parse(data='''@prefix ex: <http://example.org/> . @prefix owl: <http://www.w3.org/2002/07/owl#> .
...   ex:about a owl:ObjectProperty ; owl:equivalentProperty ex:subject .
...   ex:x a ex:Thing ; ex:about ex:y ; ex:note "hi" .''', format="turtle")
>>> sorted(str(o).split("#")[1] for s, o in declarations(g).subject_objects() if str(s).endswith(("subject", "Thing", "y", "note", "x")))
['AnnotationProperty', 'Class', 'NamedIndividual', 'NamedIndividual', 'ObjectProperty']
"""
from __future__ import annotations

from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, XSD

__all__ = ["declared", "declarations"]

_BUILT_IN = (str(RDF), str(RDFS), str(OWL), str(XSD))
_CLASS, _OBJECT, _DATA, _ANNOTATION, _INDIVIDUAL = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty,
                                                     OWL.AnnotationProperty, OWL.NamedIndividual)
_PROPERTY_KINDS = (_OBJECT, _DATA, _ANNOTATION)
_TIES = (RDFS.subPropertyOf, OWL.equivalentProperty, OWL.inverseOf)
_CLASS_LINKS = (RDFS.subClassOf, OWL.equivalentClass, OWL.disjointWith)
_CLASS_VALUES = (OWL.someValuesFrom, OWL.allValuesFrom, OWL.onClass)


def _ours(term) -> bool:
    return isinstance(term, URIRef) and not str(term).startswith(_BUILT_IN)


def declarations(g: Graph) -> Graph:
    """The declaration triples ``g`` lacks (see the module docstring)."""
    kind: dict[URIRef, URIRef] = {}
    for k in (_CLASS, *_PROPERTY_KINDS, _INDIVIDUAL):
        for s in g.subjects(RDF.type, k):
            if isinstance(s, URIRef):
                kind.setdefault(s, k)
    terms = {s for s in g.subjects(RDF.type, None) if any(
        t in (OWL.Class, RDFS.Class, OWL.Ontology, *_PROPERTY_KINDS, RDF.Property) for t in g.objects(s, RDF.type))}

    def say(term, k):
        if _ours(term) and term not in kind:
            kind[term] = k

    # classes, from the ontology's axioms and from typing
    for s, p, o in g:
        if p == RDF.type and _ours(o):
            say(o, _CLASS)
        elif p in _CLASS_LINKS:
            say(s, _CLASS), say(o, _CLASS)
        elif p in _CLASS_VALUES:
            say(o, _CLASS)
    for lst in [*g.objects(None, OWL.unionOf), *g.objects(None, OWL.intersectionOf)]:
        for m in Collection(g, lst):
            say(m, _CLASS)
    for owner, lst in g.subject_objects(OWL.members):  # owl:AllDisjointClasses, owl:AllDifferent, ...
        k = _CLASS if (owner, RDF.type, OWL.AllDisjointClasses) in g else \
            _INDIVIDUAL if (owner, RDF.type, OWL.AllDifferent) in g else None
        for m in Collection(g, lst) if k else ():
            say(m, k)
    for lst in g.objects(None, OWL.distinctMembers):
        for m in Collection(g, lst):
            say(m, _INDIVIDUAL)
    for prop, rng in g.subject_objects(RDFS.range):
        if kind.get(prop) == _OBJECT:
            say(rng, _CLASS)

    # properties tied to a declared one take its kind (repeated: a chain of ties)
    changed = True
    while changed:
        changed = False
        for tie in _TIES:
            for a, b in g.subject_objects(tie):
                for x, y in ((a, b), (b, a)):
                    if _ours(x) and x not in kind and kind.get(y) in _PROPERTY_KINDS:
                        kind[x] = kind[y]
                        changed = True

    # any other property, from its uses
    for p in set(g.predicates()):
        if not _ours(p) or p in kind:
            continue
        uses = list(g.subject_objects(p))
        individual_links = all(not isinstance(o, Literal) and s not in terms and o not in terms
                               and kind.get(o) != _CLASS for s, o in uses)
        kind[p] = _OBJECT if individual_links else _ANNOTATION

    # individuals: typed IRIs that are no term, and the ends of object and data property statements
    for s, o in g.subject_objects(RDF.type):
        if _ours(s) and s not in terms and kind.get(s) is None and o not in (OWL.Ontology,):
            kind[s] = _INDIVIDUAL
    for s, p, o in g:
        if kind.get(p) in (_OBJECT, _DATA) or p == RDF.type and kind.get(o) == _CLASS:
            for x in (s, o) if kind.get(p) == _OBJECT else (s,):
                if _ours(x) and x not in kind:
                    kind[x] = _INDIVIDUAL

    out = Graph()
    for term, k in kind.items():
        if (term, RDF.type, k) not in g:
            out.add((term, RDF.type, k))
    return out


def declared(g: Graph) -> Graph:
    """``g`` plus its missing OWL 2 declarations (a new graph; ``g`` is left as it is)."""
    out = Graph()
    for prefix, ns in g.namespaces():
        out.bind(prefix, ns, override=False)
    for t in g:
        out.add(t)
    for t in declarations(g):
        out.add(t)
    return out
