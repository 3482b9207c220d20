"""What an export is made from: the served dataset (named graphs) or one rdflib Graph.

Every writer takes a :class:`Source`. It is built once per export run and caches the expensive
steps (canonical blank-node labels, the property-graph view), so writing all formats costs one
canonicalisation, not one per format.
"""
from __future__ import annotations

from functools import cached_property

import pyoxigraph as ox
from rdflib import Dataset, Graph, URIRef
from rdflib.graph import ConjunctiveGraph

from ..canonical import canonical_quads, canonical_triples, to_ox_term
from ..load import bind_prefixes, load_dataset, parse_file
from ..sources import ONTOLOGY_FILE, ONTOLOGY_GRAPH, SHAPES_GRAPH

__all__ = ["Source", "as_source", "canonical_triples"]

DEFAULT_GRAPH = ""  # key of triples that belong to no named graph


class Source:
    """The named graphs an export is written from (``""`` = the default graph)."""

    def __init__(self, graphs: dict[str, Graph], ontology: Graph | None = None):
        self.graphs = {k: v for k, v in graphs.items() if len(v)}  # empty graphs are not written
        self._ontology = ontology

    @cached_property
    def union(self) -> Graph:
        """The knowledge graph: every named graph except the SHACL shapes."""
        g = bind_prefixes(Graph())
        for name, part in self.graphs.items():
            if name != SHAPES_GRAPH:
                for t in part:
                    g.add(t)
        return g

    @cached_property
    def ontology(self) -> Graph:
        """The ontology graph: the dataset's ontology graph, else ontology/deepseek.ttl."""
        if self._ontology is not None:
            return self._ontology
        if ONTOLOGY_GRAPH in self.graphs:
            return bind_prefixes(self.graphs[ONTOLOGY_GRAPH])
        return parse_file(ONTOLOGY_FILE)

    @cached_property
    def canonical_union(self) -> list[ox.Triple]:
        """The union's triples, sorted, with canonical blank-node labels (same graph -> same labels
        in any process)."""
        return canonical_triples(self.union)

    @cached_property
    def canonical_quads(self) -> list[ox.Quad]:
        """Every named graph's quads, sorted, with canonical blank-node labels."""
        quads = [ox.Quad(*map(to_ox_term, t), ox.NamedNode(name) if name else ox.DefaultGraph())
                 for name, g in self.graphs.items() for t in g]
        return canonical_quads(quads)

    @cached_property
    def property_graph(self):
        from .property_graph import build
        return build(self.union)


def as_source(graph_or_dataset=None) -> Source:
    """``None`` -> the served dataset (ontology, essay and shapes graphs); an rdflib Dataset or
    ConjunctiveGraph -> its named graphs; a Graph -> its triples as the default graph."""
    if isinstance(graph_or_dataset, Source):
        return graph_or_dataset
    if graph_or_dataset is None:
        graph_or_dataset = load_dataset()
    if isinstance(graph_or_dataset, (Dataset, ConjunctiveGraph)):
        graphs = {}
        parts = (graph_or_dataset.graphs() if isinstance(graph_or_dataset, Dataset)
                 else graph_or_dataset.contexts())
        for g in parts:
            name = g.identifier
            key = DEFAULT_GRAPH if (not isinstance(name, URIRef) or str(name) == "urn:x-rdflib:default") else str(name)
            if key in graphs:
                for t in g:
                    graphs[key].add(t)
            else:
                graphs[key] = g
        return Source(graphs)
    if isinstance(graph_or_dataset, Graph):
        return Source({DEFAULT_GRAPH: graph_or_dataset})
    raise TypeError(f"expected an rdflib Graph or Dataset, not {type(graph_or_dataset).__name__}")
