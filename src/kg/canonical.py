"""Byte-stable serialisation: the same graph always gives the same file, so dumps diff and cache.

rdflib labels blank nodes at random and its RDF/XML writer walks subjects in hash order; here the
graph's blank nodes get content-derived labels (rdflib.compare.to_canonical_graph), triples are
sorted, and pyoxigraph writes them in that order.
"""
from __future__ import annotations

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import to_canonical_graph

from .namespaces import PREFIXES

__all__ = ["canonical_triples", "to_ox_term", "serialize_canonical"]


def to_ox_term(t):
    if isinstance(t, URIRef):
        return ox.NamedNode(str(t))
    if isinstance(t, BNode):
        return ox.BlankNode(str(t))
    if isinstance(t, Literal):
        if t.language:
            return ox.Literal(str(t), language=t.language)
        if t.datatype:
            return ox.Literal(str(t), datatype=ox.NamedNode(str(t.datatype)))
        return ox.Literal(str(t))
    raise TypeError(f"not an RDF term: {t!r}")


def canonical_triples(g: Graph) -> list[ox.Triple]:
    canon = to_canonical_graph(g)
    return [ox.Triple(*map(to_ox_term, t)) for t in sorted(canon)]


def serialize_canonical(g: Graph, fmt: ox.RdfFormat, *, prefixes: dict[str, str] | None = None) -> bytes:
    """Serialise ``g`` with canonical blank nodes and sorted triples in the pyoxigraph format ``fmt``."""
    pfx = prefixes if prefixes is not None else {k: str(v) for k, v in PREFIXES.items()}
    kwargs = {"prefixes": pfx} if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.RDF_XML,
                                          ox.RdfFormat.N3) else {}
    return ox.serialize(canonical_triples(g), format=fmt, **kwargs)
