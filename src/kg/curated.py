"""The curated store: the graph in memory, made durable by a base snapshot and a journal.

A state directory holds ``base.nq`` (the graph as first served, written once from the source
files, with its blank-node labels fixed) and ``journal`` (every acknowledged change since, as the
quads it removed and added). Every process that serves the graph keeps its own in-memory
pyoxigraph copy and catches up with the journal before each request (one ``stat`` when nothing
changed), so all gunicorn workers answer from the same state.

A write is a transaction (``CuratedStore.transact``):

1. take the state directory's lock (``flock``): writers in every process are serialised;
2. catch up with the journal, copy the graph and apply the change to the copy;
3. refuse it if it touches a graph outside the writable ones;
4. check the copy against the shapes (the store's ``check``, a :class:`kg.validate.ShapesGate` when
   served); refuse it if it does not conform;
5. bring the copy's inferred graph up to date (:func:`kg.entailment.update`: the consequences of
   what the change added and removed, never journalled: every process derives them itself);
6. append the change (and its PROV record, kept in the changes graph) to the journal, fsync;
7. swap the copy in; only now is the write acknowledged.

Readers never see a half-applied change: a process applies journal records to a copy of its
graph and swaps the copy in, and the writer swaps in its finished copy; a thread still answering
from the old graph finishes on it.
"""
from __future__ import annotations

import fcntl
import os
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable

import pyoxigraph as ox

from . import entailment
from .changes import AddToGraph, Change, ChangeSet, DropGraph, Refusal, ReplaceGraph, Update, graph_label
from .journal import Journal, JournalError, fsync_dir
from .load import LoadError
from .namespaces import DS, GRAPH
from .sources import INFERRED_GRAPH, SHAPES_GRAPH, SourceFile
from .store import Capabilities, OxigraphStore

__all__ = ["CuratedStore", "Change", "Refusal", "CHANGES_GRAPH", "read_state", "data_quads", "prov_record",
           "quads_text", "patch_text"]

CHANGES_GRAPH = str(GRAPH.changes)
PROV = "http://www.w3.org/ns/prov#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
DCT = "http://purl.org/dc/terms/"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDF_VALUE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#value")


_graph_name = graph_label


def quads_text(quads: Iterable[ox.Quad]) -> str:
    return "".join(f"{q} .\n" for q in quads)


def patch_text(removed: Iterable[ox.Quad], added: Iterable[ox.Quad]) -> str:
    """The change in RDF Patch style: ``D`` lines (removed quads) then ``A`` lines (added)."""
    return ("".join(f"D {q} .\n" for q in sorted(removed, key=str))
            + "".join(f"A {q} .\n" for q in sorted(added, key=str)))


def _parse_quads(text: str) -> list[ox.Quad]:
    # ox.parse keeps blank-node labels as written (Store.load would rename them), so a blank
    # node removed by a later change is the same node in every process and after a restart
    return list(ox.parse(text.encode("utf-8"), format=ox.RdfFormat.N_QUADS)) if text else []


def _replay(store: ox.Store, records: list[dict]) -> tuple[list[ox.Quad], list[ox.Quad]]:
    """Apply journal records, in order, to ``store``; every quad they removed and added."""
    removed, added = [], []
    for rec in records:
        gone, new = _parse_quads(rec["removed"]), _parse_quads(rec["added"])
        for q in gone:
            store.remove(q)
        store.extend(new)
        removed += gone
        added += new
    return removed, added


def _in(q: ox.Quad, graphs) -> bool:
    return isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value in graphs


def data_quads(quads) -> list[ox.Quad]:
    """The quads the shapes apply to: everything but the shapes, the change log and the inferred graph."""
    return [q for q in quads if not _in(q, (SHAPES_GRAPH, CHANGES_GRAPH, INFERRED_GRAPH))]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def prov_record(change: Change, started: str) -> list[ox.Quad]:
    """The change as PROV in the changes graph: who, when, what (the request) and the patch."""
    g = ox.NamedNode(CHANGES_GRAPH)
    act, agent = ox.NamedNode(change.iri), ox.NamedNode(f"{DS}curator-{change.agent}")
    patch = ox.NamedNode(change.iri + "-patch")
    dt = ox.NamedNode(XSD + "dateTime")
    lit = lambda s: ox.Literal(s)  # noqa: E731
    n = lambda s: ox.NamedNode(s)  # noqa: E731
    triples = [
        (act, RDF_TYPE, n(PROV + "Activity")),
        (act, n(RDFS + "label"), ox.Literal(f"change {change.seq}: {change.kind} by {change.agent}", language="en")),
        (act, n(PROV + "wasAssociatedWith"), agent),
        (act, n(PROV + "startedAtTime"), ox.Literal(started, datatype=dt)),
        (act, n(PROV + "endedAtTime"), ox.Literal(change.at, datatype=dt)),
        (act, n(DCT + "type"), lit(change.kind)),
        (act, n(DCT + "description"), lit(change.text)),
        (act, n(RDFS + "comment"), lit(f"{len(change.added)} quad(s) added, {len(change.removed)} removed")),
        (act, n(PROV + "generated"), patch),
        (agent, RDF_TYPE, n(PROV + "Agent")),
        (agent, n(RDFS + "label"), lit(change.agent)),
        (patch, RDF_TYPE, n(PROV + "Entity")),
        (patch, n(PROV + "wasGeneratedBy"), act),
        (patch, n(DCT + "format"), lit("application/rdf-patch")),
        (patch, RDF_VALUE, lit(patch_text(change.removed, change.added))),
    ]
    for graph in sorted({_graph_name(q.graph_name) for q in change.removed + change.added}):
        if graph != "default graph":
            triples.append((act, n(PROV + "used"), n(graph)))
    return [ox.Quad(s, p, o, g) for s, p, o in triples]


class CuratedStore(OxigraphStore):
    """An in-memory store kept in step with a state directory (see the module docstring)."""

    def __init__(self, state_dir: Path | str, sources: Iterable[SourceFile] | None = None, *,
                 writable_prefix: str = str(GRAPH), protected: Iterable[str] = (SHAPES_GRAPH, CHANGES_GRAPH,
                                                                                 INFERRED_GRAPH),
                 allow_default_graph: bool = True, check: Callable[[list[ox.Quad]], object] | None = None):
        """``check(quads)``: the shapes gate every write passes (the would-be data quads: shapes and
        change log left out); None when they conform, else a report (refused with 422)."""
        self.dir = Path(state_dir)
        self.check = check
        self.dir.mkdir(parents=True, exist_ok=True)
        self.base, self.journal = self.dir / "base.nq", Journal(self.dir / "journal")
        self.writable_prefix, self.protected = writable_prefix, frozenset(protected)
        self.capabilities = Capabilities(writable=True, protected_graphs=self.protected)
        self.timeout = None
        self.allow_default_graph = allow_default_graph
        self.sources, self.load_seconds = list(sources or []), 0.0
        self._new_mutex()
        os.register_at_fork(after_in_child=self._new_mutex)  # a lock held by another thread at fork time
        t0 = time.perf_counter()
        self.schema: entailment.Schema | None = None  # the ontology's axioms in force (None: not derived yet)
        self.last_entailment: entailment.Outcome | None = None
        with self.lock():
            if not self.base.exists():
                self._write_base(sources)
            self.store = ox.Store()
            self.store.extend(_parse_quads(self.base.read_text("utf-8")))
            self.offset, self.seq = 0, 0
            self.loaded_at = self.base.stat().st_mtime
            _, end = self.journal.read_from(0)
            self.journal.truncate_tail(end)  # a record torn by a crash was never acknowledged
            self.sync()
            self.schema = entailment.materialize(self.store)  # once, after the whole journal
        self.load_seconds = time.perf_counter() - t0

    # -- state directory ------------------------------------------------------------------
    def _write_base(self, sources) -> None:
        """The graph as first served, with fixed blank-node labels: the journal's starting point."""
        first = OxigraphStore.from_sources(sources, entail=False)  # derived data is derived again, never kept
        tmp = self.base.with_suffix(".nq.tmp")
        tmp.write_bytes(first.store.dump(format=ox.RdfFormat.N_QUADS))
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, self.base)
        fsync_dir(self.dir)

    @contextmanager
    def lock(self, timeout: float | None = None):
        """The state directory's write lock (every process, every thread of each); a 503 Refusal
        when ``timeout`` seconds pass without getting it."""
        fd = os.open(self.dir / "lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            deadline = None if timeout is None else time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | (fcntl.LOCK_NB if deadline else 0))
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise Refusal(503, f"other writes kept the graph busy for {timeout:g} s; "
                                           "nothing was changed, try again") from None
                    time.sleep(0.02)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def sync(self) -> bool:
        """Apply journal records written since this process last looked; True if any were.

        The records are applied to a copy that is then swapped in, so a thread still answering
        from the old graph finishes on it and never sees a change half-applied.
        """
        try:
            size = os.stat(self.journal.path).st_size
        except FileNotFoundError:
            return False
        if size <= self.offset:
            return False
        with self._mutex:
            records, end = self.journal.read_from(self.offset)
            if not records:
                return False
            fresh = ox.Store()
            fresh.extend(self.store)
            removed, added = _replay(fresh, records)
            if self.schema is not None:
                self.schema = self._entail(fresh, removed, added).schema
            self.store, self.offset, self.seq, self.loaded_at = fresh, end, records[-1]["seq"], records[-1]["time"]
            return True

    def _entail(self, store: ox.Store, removed, added) -> entailment.Outcome:
        """The inferred graph of ``store`` brought up to date after a change (kg.entailment)."""
        self.last_entailment = entailment.update(store, self.schema, removed, added)
        return self.last_entailment

    def version(self) -> str:
        return f"{self.loaded_at}:{self.seq}:{len(self.store)}"

    def _new_mutex(self) -> None:
        self._mutex = threading.RLock()  # threads of one process: syncing and swapping

    # -- writing --------------------------------------------------------------------------
    def write(self, changes: ChangeSet, *, agent: str, lock_timeout: float | None = None) -> Change:
        """Apply a change set in one transaction (the Store contract's write)."""
        for g in changes.graphs():
            self.check_writable(g)
        return self.transact(lambda copy: apply_operations(copy, changes.operations), agent=agent,
                             kind=changes.kind, text=changes.text, lock_timeout=lock_timeout)

    def transact(self, apply: Callable[[ox.Store], None], *, agent: str, kind: str, text: str,
                 check: Callable[[list[ox.Quad]], object] | None = None, lock_timeout: float | None = None) -> Change:
        """Run ``apply`` on a copy of the graph, check it and make it durable (module docstring).

        ``check(quads)`` (default: the store's gate) returns None when the would-be data conforms,
        else a report (raised as a 422 Refusal). ``apply`` may raise Refusal or SyntaxError/ValueError
        (raised as a 400).
        """
        check = self.check if check is None else check
        started = _now()
        with self.lock(lock_timeout):
            self.sync()
            # bytes after the last whole record are a record torn by a writer that died or hit a
            # full disk mid-append (none can be writing now: we hold the lock); appending after
            # them would glue this record onto the torn one and lose it
            self.journal.truncate_tail(self.offset)
            # updates see the graph store without the protected graphs: CLEAR ALL clears what
            # curators may write, and nothing an update does can reach the shapes or the change log
            kept, before = [], []
            for q in self.store:
                (kept if _in(q, self.protected) else before).append(q)
            copy = ox.Store()
            copy.extend(before)
            try:
                apply(copy)
            except (SyntaxError, ValueError) as exc:
                raise Refusal(400, f"the update could not be applied: {' '.join(str(exc).split())[:300]}") from None
            before_set, after = set(before), set(copy)
            removed, added = sorted(before_set - after, key=str), sorted(after - before_set, key=str)
            if not removed and not added:  # nothing to make durable, nothing to log
                return Change(0, agent, kind, text, at=_now())
            copy.extend(kept)
            touched = {q.graph_name for q in removed + added}
            for g in sorted(touched, key=str):
                self.check_writable(g)
            if check is not None:
                report = check(data_quads(copy))
                if report is not None:
                    raise Refusal(422, "the change would make the graph break its shapes; nothing was changed",
                                  report)
            had = {q.graph_name for q in before}
            created = sorted(g.value for g in {q.graph_name for q in added}
                             if isinstance(g, ox.NamedNode) and g not in had)
            change = Change(self.seq + 1, agent, kind, text, removed, added, at=_now(), created=created)
            schema = self._entail(copy, removed, added).schema
            record_quads = prov_record(change, started)
            copy.extend(record_quads)
            rec = {"seq": change.seq, "time": time.time(), "at": change.at, "agent": agent, "kind": kind,
                   "removed": quads_text(removed), "added": quads_text(added + record_quads)}
            with self._mutex:
                try:
                    end = self.journal.append(rec)
                except JournalError as exc:
                    raise Refusal(503, f"{exc}; nothing was changed") from None
                self.store, self.offset, self.seq, self.loaded_at = copy, end, change.seq, rec["time"]
                self.schema = schema
            return change

    def check_writable(self, g) -> None:
        """Refuse (403) a write to graph ``g`` (an ox.NamedNode or ox.DefaultGraph)."""
        if isinstance(g, ox.DefaultGraph):
            if not self.allow_default_graph:
                raise Refusal(403, "writing to the default graph is not allowed here; name a graph under "
                                   f"{self.writable_prefix}")
        elif g.value in self.protected:
            raise Refusal(403, f"the graph <{g.value}> is read-only (the shapes, the change log and the "
                               "inferred graph are kept by the service); nothing was changed")
        elif not g.value.startswith(self.writable_prefix):
            raise Refusal(403, f"the graph <{g.value}> is outside the writable namespace "
                               f"<{self.writable_prefix}>; nothing was changed")


def apply_operations(st: ox.Store, operations) -> None:
    """Apply change-set operations (kg.changes) to a pyoxigraph store, in order."""
    for op in operations:
        if isinstance(op, Update):
            st.update(op.sparql, base_iri=op.base_iri)
            continue
        if isinstance(op, (ReplaceGraph, DropGraph)):
            for q in list(st.quads_for_pattern(None, None, None, op.graph)):
                st.remove(q)
        if isinstance(op, DropGraph) and isinstance(op.graph, ox.NamedNode):
            st.remove_graph(op.graph)
        if isinstance(op, (ReplaceGraph, AddToGraph)):
            st.extend(op.quads)


def read_state(state_dir: Path | str) -> ox.Store:
    """The curated graph in a state directory, read without taking part in serving it."""
    d = Path(state_dir)
    if not (d / "base.nq").is_file():
        raise LoadError(f"{d}: not a state directory (no base.nq); the server writes one with --state-dir")
    store = ox.Store()
    store.extend(_parse_quads((d / "base.nq").read_text("utf-8")))
    _replay(store, Journal(d / "journal").read_from(0)[0])
    return store

