"""Which sentences of the essay are anchored by at least one node of the graph.

A sentence counts as anchored when some node's anchor overlaps it by at least half of the
shorter of the two spans: a quoted clause anchors its sentence, and a long anchor that merely
grazes a neighbouring sentence does not.
"""
from __future__ import annotations

from dataclasses import dataclass

from rdflib import Graph, URIRef

from .namespaces import DS, DSK, OA
from .text import Span, sentences

__all__ = ["Coverage", "anchors", "coverage"]


@dataclass
class Coverage:
    sentences: list[Span]
    anchored: list[tuple[Span, list[str]]]  # sentence, nodes anchoring it
    unanchored: list[Span]

    @property
    def percent(self) -> float:
        return 100.0 * len(self.anchored) / len(self.sentences) if self.sentences else 0.0


def anchors(g: Graph, document: URIRef = DS.essay) -> list[tuple[int, int, str]]:
    """(start, end, node) for every dsk:anchor on the document."""
    out = []
    for node, span in g.subject_objects(DSK.anchor):
        if g.value(span, OA.hasSource) != document:
            continue
        for sel in g.objects(span, OA.hasSelector):
            start, end = g.value(sel, OA.start), g.value(sel, OA.end)
            if start is not None and end is not None:
                out.append((int(start), int(end), g.namespace_manager.normalizeUri(node)
                            if isinstance(node, URIRef) else node.n3()))
    return out


def coverage(g: Graph, document: URIRef = DS.essay) -> Coverage:
    text = g.value(document, DSK.fullText)
    if text is None:
        raise ValueError(f"{document} has no dsk:fullText in the graph")
    spans = anchors(g, document)
    anchored, unanchored = [], []
    all_sentences = sentences(str(text))
    for s in all_sentences:
        nodes = sorted({node for a, b, node in spans
                        if min(b, s.end) - max(a, s.start) >= min(b - a, s.end - s.start) / 2})
        (anchored.append((s, nodes)) if nodes else unanchored.append(s))
    return Coverage(all_sentences, anchored, unanchored)
