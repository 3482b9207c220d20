"""Counts by class and by property: what `kg stats` prints and the dataset page shows."""
from __future__ import annotations

from collections import Counter

from rdflib import Graph, URIRef
from rdflib.namespace import RDF

__all__ = ["class_counts", "property_counts"]


def class_counts(g: Graph) -> Counter:
    """Instances per asserted class (an individual counts once under each class it is typed with)."""
    return Counter(g.namespace_manager.normalizeUri(o) for o in g.objects(None, RDF.type) if isinstance(o, URIRef))


def property_counts(g: Graph) -> Counter:
    return Counter(g.namespace_manager.normalizeUri(p) for p in g.predicates())
