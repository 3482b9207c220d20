"""Writes as data: a :class:`ChangeSet` says what to change, a writable store applies it.

The web layer never changes an engine itself: it builds a change set from the request (a SPARQL
Update, or a Graph Store PUT / POST / DELETE) and hands it to ``Store.write`` (see
:mod:`kg.store`), which applies it in one transaction and answers with the :class:`Change` it
made, or raises :class:`Refusal` (with the HTTP status to answer) when it changed nothing.

>>> import pyoxigraph as ox
>>> g = ox.NamedNode("http://ex/g")
>>> cs = ChangeSet("Graph Store PUT", "PUT <http://ex/g>", [ReplaceGraph(g, [])])
>>> cs.graphs()
[<NamedNode value=http://ex/g>]
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

import pyoxigraph as ox

from .namespaces import DS

__all__ = ["Refusal", "Change", "ChangeSet", "Update", "ReplaceGraph", "AddToGraph", "DropGraph", "Operation"]


class Refusal(Exception):
    """A write that is refused and changed nothing: ``status`` is the HTTP status to answer."""

    def __init__(self, status: int, message: str, report=None):
        super().__init__(message)
        self.status, self.message, self.report = status, message, report


@dataclass(frozen=True)
class Update:
    """A SPARQL 1.1 Update, run against the writable graphs."""
    sparql: str
    base_iri: str | None = None


@dataclass(frozen=True)
class ReplaceGraph:
    """Graph Store PUT: the graph's triples become ``quads`` (each already in ``graph``)."""
    graph: ox.NamedNode | ox.DefaultGraph
    quads: list[ox.Quad]


@dataclass(frozen=True)
class AddToGraph:
    """Graph Store POST: ``quads`` are added to the graph."""
    graph: ox.NamedNode | ox.DefaultGraph
    quads: list[ox.Quad]


@dataclass(frozen=True)
class DropGraph:
    """Graph Store DELETE: the graph's triples are removed (and a named graph with them)."""
    graph: ox.NamedNode | ox.DefaultGraph


Operation = Union[Update, ReplaceGraph, AddToGraph, DropGraph]


@dataclass(frozen=True)
class ChangeSet:
    """One write: its operations, applied in order, and how the change log names it."""
    kind: str                    # "SPARQL Update", "Graph Store PUT", ...
    text: str                    # the update, or a one-line description of a Graph Store request
    operations: list[Operation]

    def graphs(self) -> list:
        """The graphs the Graph Store operations name (an update names its own inside its text)."""
        return [op.graph for op in self.operations if not isinstance(op, Update)]


@dataclass
class Change:
    """One acknowledged change."""
    seq: int
    agent: str
    kind: str
    text: str
    removed: list[ox.Quad] = field(default_factory=list)
    added: list[ox.Quad] = field(default_factory=list)
    at: str = ""
    created: list[str] = field(default_factory=list)  # named graphs that had no triples before

    @property
    def iri(self) -> str | None:
        """Its IRI in the change log; None for a write that changed nothing (seq 0: not logged)."""
        return f"{DS}change-{self.seq:06d}" if self.seq else None

    def summary(self) -> dict:
        graphs = sorted({graph_label(q.graph_name) for q in self.removed + self.added})
        return {"change": self.iri, "seq": self.seq or None, "agent": self.agent, "at": self.at,
                "added": len(self.added), "removed": len(self.removed), "graphs": graphs}


def graph_label(g) -> str:
    return g.value if isinstance(g, ox.NamedNode) else "default graph"
