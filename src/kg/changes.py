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
from typing import Callable, Protocol, Union

import pyoxigraph as ox

from .namespaces import DS

__all__ = ["Refusal", "Change", "ChangeSet", "Update", "GraphsUpdate", "InsertData", "DeleteData", "ReplaceGraph", "AddToGraph",
           "DropGraph", "Operation", "Step"]


class Refusal(Exception):
    """A write that is refused and changed nothing: ``status`` is the HTTP status to answer."""

    def __init__(self, status: int, message: str, report=None):
        super().__init__(message)
        self.status, self.message, self.report = status, message, report

    def __reduce__(self):  # crosses the pipe from the process that applied the write
        return Refusal, (self.status, self.message, self.report)


@dataclass(frozen=True)
class Update:
    """A SPARQL 1.1 Update, run against the writable graphs."""
    sparql: str
    base_iri: str | None = None


@dataclass(frozen=True)
class GraphsUpdate:
    """A SPARQL Update that reads and writes only ``graphs`` (every pattern and template of it in
    ``GRAPH <iri> { ... }``): a store can run it on a copy of those graphs alone."""
    sparql: str
    graphs: list[str]
    base_iri: str | None = None


@dataclass(frozen=True)
class InsertData:
    """SPARQL ``INSERT DATA``, already parsed: its quads (blank nodes fresh). A store can apply it
    without evaluating anything, so it needs no copy of the graph to find what changes."""
    quads: list[ox.Quad]


@dataclass(frozen=True)
class DeleteData:
    """SPARQL ``DELETE DATA``, already parsed: its quads (ground)."""
    quads: list[ox.Quad]


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


Operation = Union[Update, GraphsUpdate, InsertData, DeleteData, ReplaceGraph, AddToGraph, DropGraph]


@dataclass(frozen=True)
class ChangeSet:
    """One write: its operations, applied in order, and how the change log names it."""
    kind: str                    # "SPARQL Update", "Graph Store PUT", ...
    text: str                    # the update, or a one-line description of a Graph Store request
    operations: list[Operation]
    max_removed: int | None = None  # the most quads the writer may remove (None: the admin role, no limit)

    def graphs(self) -> list:
        """The graphs the Graph Store operations name (an update names its own inside its text)."""
        return [op.graph for op in self.operations if hasattr(op, "graph")]


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


class Step(Protocol):
    """One stage every change passes before it is made durable (``kg.curated.CuratedStore(steps=...)``):
    the shapes gate (:class:`kg.validate.ShapesGate`), and later ones such as keeping entailments
    current. Each sees the data quads only (the shapes and the change log left out).

    - ``start(data)``: ``data()`` gives the data quads as the store holds them (called at start-up,
      and again by a step that lost track of the changes);
    - ``seen(removed, added)``: a change another process made durable (cheap: may defer the work);
    - ``prepare(removed, added)``: this change, tentatively; returns the quads to add and remove on
      top of it (a derived change, e.g. entailments: usually two empty lists) or raises
      :class:`Refusal` (422 with a report, say);
    - ``commit()``: the change is durable; ``abort()``: it was refused or could not be written.
    """

    def start(self, data: Callable[[], list[ox.Quad]]) -> None: ...
    def seen(self, removed: list[ox.Quad], added: list[ox.Quad]) -> None: ...
    def prepare(self, removed: list[ox.Quad], added: list[ox.Quad]) -> tuple[list[ox.Quad], list[ox.Quad]]: ...
    def commit(self) -> None: ...
    def abort(self) -> None: ...
