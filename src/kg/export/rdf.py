"""RDF dumps: Turtle, N-Triples, RDF/XML (the knowledge graph), N-Quads and TriG (every named
graph as it is), the ontology on its own, and the graph with HermiT's inferred types.

All are written by pyoxigraph from sorted triples with canonical (RDFC-1.0) blank-node labels
(:mod:`.source`), so the same graph always gives the same bytes.
"""
from __future__ import annotations

import pyoxigraph as ox

from ..namespaces import PREFIX_MAP
from .owl import declared
from .source import Source, canonical_triples

__all__ = ["turtle", "ntriples", "rdfxml", "nquads", "trig", "ontology_turtle", "ontology_rdfxml",
           "inferred_turtle", "PREFIX_MAP"]

#: prefixes written into Turtle, TriG and RDF/XML


def _write(triples, fmt: ox.RdfFormat) -> bytes:
    kw = {"prefixes": PREFIX_MAP} if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.RDF_XML) else {}
    return ox.serialize(triples, format=fmt, **kw)


def turtle(src: Source) -> bytes:
    return _write(src.canonical_union, ox.RdfFormat.TURTLE)


def ntriples(src: Source) -> bytes:
    return _write(src.canonical_union, ox.RdfFormat.N_TRIPLES)


def rdfxml(src: Source) -> bytes:
    """The knowledge graph for OWL tools (Protégé, reasoners): with its OWL 2 DL declarations
    (every individual an owl:NamedIndividual, outside terms typed), see :mod:`.owl`."""
    return _write(canonical_triples(declared(src.union)), ox.RdfFormat.RDF_XML)


def nquads(src: Source) -> bytes:
    return _write(src.canonical_quads, ox.RdfFormat.N_QUADS)


def trig(src: Source) -> bytes:
    return _write(src.canonical_quads, ox.RdfFormat.TRIG)


def ontology_turtle(src: Source) -> bytes:
    """The ontology alone, with its OWL 2 DL declarations (:mod:`.owl`)."""
    return _write(canonical_triples(declared(src.ontology)), ox.RdfFormat.TURTLE)


def ontology_rdfxml(src: Source) -> bytes:
    """The ontology as RDF/XML, the form Protégé and owlready2 read, with its declarations."""
    return _write(canonical_triples(declared(src.ontology)), ox.RdfFormat.RDF_XML)


def inferred_turtle(src: Source) -> bytes:
    """The knowledge graph plus the types HermiT infers (needs Java; a few seconds), with the
    OWL 2 DL declarations of both."""
    from ..reason import materialize
    return _write(canonical_triples(declared(materialize(src.union))), ox.RdfFormat.TURTLE)
