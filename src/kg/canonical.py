"""Byte-stable serialisation: the same graph always gives the same file, so dumps diff and cache.

rdflib labels blank nodes at random and its RDF/XML writer walks subjects in hash order; here the
graph's blank nodes get W3C RDFC-1.0 canonical labels (pyoxigraph, in Rust: 0.2 s on the whole
graph, where rdflib's to_canonical_graph takes two minutes), quads are sorted, and pyoxigraph
writes them in that order.
"""
from __future__ import annotations

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef

from .namespaces import PREFIXES

__all__ = ["canonical_quads", "canonical_triples", "to_ox_term", "from_ox_term", "serialize_canonical",
           "dataset_from_quads", "graph_from_quads"]


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


def from_ox_term(t):
    """pyoxigraph term -> rdflib term."""
    if isinstance(t, ox.NamedNode):
        return URIRef(t.value)
    if isinstance(t, ox.BlankNode):
        return BNode(t.value)
    if isinstance(t, ox.Literal):
        if t.language:
            return Literal(t.value, lang=t.language)
        return Literal(t.value, datatype=URIRef(t.datatype.value))
    raise TypeError(f"not an RDF term: {t!r}")


def dataset_from_quads(quads):
    """pyoxigraph quads -> an rdflib Dataset, each quad in its named graph (project prefixes bound)."""
    from rdflib import Dataset

    from .load import bind_prefixes
    ds = bind_prefixes(Dataset())
    for q in quads:
        graph = ds.graph(from_ox_term(q.graph_name)) if isinstance(q.graph_name, ox.NamedNode) else ds.default_graph
        graph.add(tuple(map(from_ox_term, q.triple)))
    return ds


def graph_from_quads(quads) -> Graph:
    """pyoxigraph quads -> one rdflib Graph of their triples (graph names dropped: the union)."""
    from .load import bind_prefixes
    g = bind_prefixes(Graph())
    for q in quads:
        g.add(tuple(map(from_ox_term, q.triple)))
    return g


def canonical_quads(quads) -> list[ox.Quad]:
    """RDFC-1.0 canonical blank-node labels, quads sorted by their N-Quads form."""
    d = ox.Dataset(quads)
    d.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return sorted(d, key=str)


def canonical_triples(g: Graph) -> list[ox.Triple]:
    """``g``'s triples, canonical blank-node labels, sorted: the input of every RDF writer."""
    return [q.triple for q in canonical_quads(ox.Quad(*map(to_ox_term, t), ox.DefaultGraph()) for t in g)]


def serialize_canonical(g: Graph, fmt: ox.RdfFormat, *, prefixes: dict[str, str] | None = None) -> bytes:
    """Serialise ``g`` with canonical blank nodes and sorted triples in the pyoxigraph format ``fmt``."""
    pfx = prefixes if prefixes is not None else {k: str(v) for k, v in PREFIXES.items()}
    kwargs = {"prefixes": pfx} if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.RDF_XML,
                                          ox.RdfFormat.N3) else {}
    return ox.serialize(canonical_triples(g), format=fmt, **kwargs)
