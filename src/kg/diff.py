"""How the curated graph differs from the source files: ``kg diff``.

Blank nodes have different labels in every parse, so they are compared by content: each blank
node is named by a hash of what it says (its outgoing triples, nested blank nodes by their own
hash). An anchor's selector that nobody touched is then the same node on both sides, and a
changed one shows as one removed and one added tree, not as a relabelling of every blank node.

>>> import pyoxigraph as ox
>>> a = list(ox.parse(b'<http://s> <http://p> [ <http://q> 1 ] .', format=ox.RdfFormat.TURTLE))
>>> b = list(ox.parse(b'<http://s> <http://p> [ <http://q> 1 ] .', format=ox.RdfFormat.TURTLE))
>>> graph_diff([ox.Quad(*t) for t in a], [ox.Quad(*t) for t in b])
([], [])
"""
from __future__ import annotations

import hashlib
from collections import defaultdict
from typing import Iterable

import pyoxigraph as ox

__all__ = ["graph_diff", "content_labels", "summary"]


def content_labels(quads: list[ox.Quad]) -> list[ox.Quad]:
    """``quads`` with every blank node renamed to a hash of its content (exact for trees of blank nodes)."""
    out_edges: dict[str, list[ox.Quad]] = defaultdict(list)
    for q in quads:
        if isinstance(q.subject, ox.BlankNode):
            out_edges[q.subject.value].append(q)
    memo: dict[str, str] = {}

    def name(b: str, stack: frozenset = frozenset()) -> str:
        if b in memo:
            return memo[b]
        if b in stack:  # a cycle of blank nodes: named by where it was entered (rare in practice)
            return "cycle"
        inner = stack | {b}
        parts = sorted(f"{q.predicate} {name(q.object.value, inner) if isinstance(q.object, ox.BlankNode) else q.object}"
                       f" {q.graph_name}" for q in out_edges.get(b, []))
        memo[b] = h = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]
        return h

    def term(t):
        return ox.BlankNode("h" + name(t.value)) if isinstance(t, ox.BlankNode) else t
    return [ox.Quad(term(q.subject), q.predicate, term(q.object), q.graph_name) for q in quads]


def graph_diff(before: Iterable[ox.Quad], after: Iterable[ox.Quad]) -> tuple[list[ox.Quad], list[ox.Quad]]:
    """(removed, added): the quads only in ``before`` and only in ``after``, sorted."""
    b, a = set(content_labels(list(before))), set(content_labels(list(after)))
    return sorted(b - a, key=str), sorted(a - b, key=str)


def summary(removed: list[ox.Quad], added: list[ox.Quad]) -> list[tuple[str, int, int]]:
    """(graph, removed, added) per graph that changed."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for q in removed:
        counts[_g(q)][0] += 1
    for q in added:
        counts[_g(q)][1] += 1
    return [(g, r, a) for g, (r, a) in sorted(counts.items())]


def _g(q: ox.Quad) -> str:
    return q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else "(default graph)"
