"""The curated store: the graph in memory, made durable by a base snapshot and a journal.

A state directory holds ``base.nq`` (the graph as first served, written once from the source
files, with its blank-node labels fixed) and ``journal`` (every acknowledged change since, as the
quads it removed and added). Every process that serves the graph keeps its own in-memory
pyoxigraph store and catches up with the journal before each request (one ``stat`` when nothing
changed), so all gunicorn workers answer from the same state.

A write is a transaction (``CuratedStore._commit``), journal first:

1. take the state directory's lock (``flock``): writers in every process are serialised;
2. catch up with the journal; find the change: the quads it removes and adds. Change sets whose
   operations say their quads (``INSERT DATA``/``DELETE DATA`` parsed by the web layer, Graph Store
   PUT/POST/DELETE) need no evaluation: the change is found from the quads and membership tests,
   in time proportional to it; an update whose every pattern is in ``GRAPH <iri>`` blocks runs on a
   copy of those graphs alone. Any other update runs on a copy of the writable graphs and the
   change is the difference (proportional to the graph, as every write was before);
   Every change that needs evaluating (an update with patterns) is evaluated in a child process
   under the query limits (:mod:`kg.sandbox`: QUERY_TIMEOUT, QUERY_MEMORY_MB, no network, a deep
   stack), which hands back what it removes and adds: a runaway update is killed there, the lock
   is free again and nothing was changed;
3. refuse it if it touches a graph outside the writable ones, changes what the service keeps
   (the ontology graph, the essay's stored text: :data:`KEPT_GRAPHS`, :func:`kept_quad`), removes
   more than the writer may (mass deletion needs the admin role: ``max_removed``), or joins blank
   nodes so that the dumps' canonical form could not be computed in bounded time;
4. pass it through the store's steps (``kg.changes.Step``): the shapes gate
   (:class:`kg.validate.ShapesGate`) checks the graph as it would be after the change, re-checking
   only what the change can affect; refuse it (422) if it does not conform;
5. append the change (and its PROV record, kept in the changes graph) to the journal, fsync;
6. apply it to the store in place, and bring the inferred graph up to date with it
   (:func:`kg.entailment.update`: the consequences of what the change added and removed, never
   journalled: every process derives them itself); only now is the write acknowledged.

Readers never see a half-applied change: pyoxigraph gives every query (and every iterator) a
snapshot of the store as it was when it started, and a query whose start overlapped the
application of a change is started again (a process-local seqlock, :class:`_Snapshots`), so a
query sees all of a change or none of it. Other processes apply journal records the same way.
"""
from __future__ import annotations

import fcntl
import os
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable

import pyoxigraph as ox

from . import entailment, sandbox
from .changes import (AddToGraph, Change, ChangeSet, DeleteData, DropGraph, GraphsUpdate, InsertData, Refusal,
                      ReplaceGraph, Step, Update, graph_label)
from .journal import Journal, JournalError, fsync_dir
from .load import LoadError
from .namespaces import DS, DSK, GRAPH
from .sources import INFERRED_GRAPH, ONTOLOGY_GRAPH, SHAPES_GRAPH, SourceFile
from .store import Capabilities, OxigraphStore, StoreError

__all__ = ["CuratedStore", "Change", "Refusal", "CHANGES_GRAPH", "read_state", "data_quads", "prov_record",
           "quads_text", "patch_text", "WriteLimits", "KEPT_GRAPHS", "kept_quad", "JournalDamaged"]

CHANGES_GRAPH = str(GRAPH.changes)
#: graphs no write to the served store may change, whatever the token (the KEPT_GRAPHS setting's
#: default): the service cannot live without them as loaded
KEPT_GRAPHS = frozenset({ONTOLOGY_GRAPH})
_ESSAY, _FULL_TEXT = ox.NamedNode(str(DS.essay)), ox.NamedNode(str(DSK.fullText))
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


def _apply(store: ox.Store, removed: list[ox.Quad], added: list[ox.Quad]) -> None:
    """Apply one change in place; a named graph left without quads is gone (as if dropped)."""
    for q in removed:
        store.remove(q)
    store.extend(added)
    for g in {q.graph_name for q in removed if isinstance(q.graph_name, ox.NamedNode)}:
        if next(iter(store.quads_for_pattern(None, None, None, g)), None) is None:
            store.remove_graph(g)


def _replay(store: ox.Store, records: list[dict]) -> tuple[list[ox.Quad], list[ox.Quad]]:
    """Apply journal records, in order, to ``store``; every quad they removed and added."""
    removed, added = [], []
    for rec in records:
        gone, new = _parse_quads(rec["removed"]), _parse_quads(rec["added"])
        _apply(store, gone, new)
        removed += gone
        added += new
    return removed, added


def _in(q: ox.Quad, graphs) -> bool:
    return isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value in graphs


class JournalDamaged(StoreError):
    """The journal was damaged while the server ran (a 503 for every request until an operator repairs it)."""
    status = 503


def kept_quad(q: ox.Quad) -> bool:
    """Whether a write may not add or remove ``q``: the essay's stored text (every anchor's offsets
    point into it) and what makes ds:essay the document it is."""
    return q.subject == _ESSAY and (q.predicate == _FULL_TEXT or q.predicate == RDF_TYPE)


@dataclass(frozen=True)
class WriteLimits:
    """How far one write may go: time and memory of applying it (the query limits), and whether
    the child applying it may use the network (only with a SERVICE allow-list)."""
    timeout: float = 30.0
    memory_mb: float = 0
    network: bool = False


def _engine_refusal(exc: Exception) -> Refusal:
    """An error the engine raised applying an update, as the 4xx it is (never a 500)."""
    text = " ".join(str(exc).split())[:300]
    if isinstance(exc, RuntimeError) and "already exists" in text:
        return Refusal(409, f"{text}; CREATE SILENT does nothing when the graph exists. Nothing was changed")
    if isinstance(exc, RuntimeError) and "does not exist" in text:
        return Refusal(404, f"{text}; DROP/CLEAR/MOVE SILENT do nothing when it is missing. Nothing was changed")
    if isinstance(exc, OSError):
        return Refusal(400, "the update tried to reach the network (LOAD or SERVICE), which this endpoint does not do; "
                            "nothing was changed")
    return Refusal(400, f"the update could not be applied: {text}")


#: blank nodes joined to each other (a write's structure with no IRIs): at most this many in one
#: connected group, and that group must canonicalise (W3C RDFC-1.0, what every dump is written from)
#: within CANONICAL_SECONDS. RDFC-1.0 is exponential on symmetric structures: a clique of 8 blank
#: nodes (56 triples) took 7.4 s, a ring of 32 with chords 12 s, a 500-item list 39 s.
BNODE_GROUP, CANONICAL_SECONDS = 256, 1.0


def _bnode_groups(touching: Callable[[ox.BlankNode], list[ox.Quad]], start: set) -> list[list[ox.Quad]]:
    """The quads of each group of blank nodes joined to those in ``start`` (through quads whose
    subject and object are both blank nodes; ``touching(node)``: the quads with ``node`` as subject
    or object); Refusal (400) for a group of more than BNODE_GROUP."""
    groups, seen = [], set()
    for b in start:
        if b in seen:
            continue
        group, stack, quads = {b}, [b], {}
        seen.add(b)
        while stack:
            node = stack.pop()
            for q in touching(node):
                quads[q] = None
                for other in (q.subject, q.object):
                    if isinstance(other, ox.BlankNode) and other not in group:
                        group.add(other)
                        seen.add(other)
                        stack.append(other)
                        if len(group) > BNODE_GROUP:
                            raise Refusal(400, f"the write joins more than {BNODE_GROUP} blank nodes to each other; "
                                               "give some of them IRIs (nothing was changed)")
        groups.append(list(quads))
    return groups


def _check_blank_nodes(touching: Callable[[ox.BlankNode], list[ox.Quad]], added: list[ox.Quad]) -> None:
    """Refuse (400) blank-node structures the service's own machinery cannot process in bounded
    time: every dump is written from the graph's canonical form (RDFC-1.0). Proportional to the
    groups the change's blank nodes belong to (``touching``: the graph as it would be)."""
    start = {t for q in added for t in (q.subject, q.object) if isinstance(t, ox.BlankNode)}
    if not start:
        return
    quads = [q for group in _bnode_groups(touching, start) for q in group]
    if len(quads) < 8:
        return

    def canonical():
        d = ox.Dataset(quads)
        d.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
        return len(d)
    try:
        sandbox.call(canonical, timeout=CANONICAL_SECONDS, memory_mb=256)
    except (sandbox.Overrun, sandbox.OutOfMemory):
        raise Refusal(400, "the blank nodes this write adds are joined so symmetrically that putting the graph in "
                           f"canonical form (RDFC-1.0, what the dumps are written from) takes more than "
                           f"{CANONICAL_SECONDS:g} s; give some of them IRIs (nothing was changed)") from None


def _diff_text(apply: Callable[[ox.Store], None], before) -> tuple[str, str]:
    """Run in the sandboxed child: apply the change to a store holding ``before``; (removed, added)
    as N-Quads (ox.parse keeps their blank-node labels)."""
    before = set(before)
    copy = ox.Store()
    copy.extend(before)
    try:
        apply(copy)
    except Refusal:
        raise
    except (SyntaxError, ValueError, RuntimeError, OSError) as exc:
        raise _engine_refusal(exc) from None
    after = set(copy)
    return quads_text(sorted(before - after, key=str)), quads_text(sorted(after - before, key=str))


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


class _Snapshots:
    """Queries start on a whole state, and neither readers nor the change wait for each other.

    pyoxigraph gives every query (and every iterator) a snapshot of the store as it was when the
    call that made it began, but a change is applied as many removals and additions. A counter
    (a seqlock) is odd while a change is being applied: a reader whose call overlapped one (the
    counter moved) makes the call again. Changes are rare and take microseconds; a reader never
    holds the change back (``query()`` evaluates some queries, ORDER BY and aggregates, within the
    call, for as long as they take).
    """

    def __init__(self):
        self._cond = threading.Condition()
        self._gen = 0

    def read(self, start: Callable[[], object]):
        """``start()`` (a call that takes a snapshot) on a state no change was half through."""
        while True:
            with self._cond:
                while self._gen % 2:
                    self._cond.wait()
                gen = self._gen
            result = start()
            if self._gen == gen:
                return result

    @contextmanager
    def writing(self):
        """Apply a change (one at a time: callers hold the store's mutex)."""
        with self._cond:
            self._gen += 1
        try:
            yield
        finally:
            with self._cond:
                self._gen += 1
                self._cond.notify_all()


class _WholeGraphCheck:
    """A plain ``check(quads) -> report | None`` as a step: it sees the whole would-be data (slow; for
    callers that want exactly that, such as tests)."""

    def __init__(self, check: Callable[[list[ox.Quad]], object], store: "CuratedStore"):
        self.check, self.store = check, store

    def start(self, data) -> None:
        pass

    def seen(self, removed, added) -> None:
        pass

    def prepare(self, removed, added):
        gone = set(removed)
        quads = [q for q in self.store._data() if q not in gone] + data_quads(added)
        report = self.check(quads)
        if report is not None:
            raise Refusal(422, "the change would make the graph break its shapes; nothing was changed", report)
        return [], []

    def commit(self) -> None:
        pass

    def abort(self) -> None:
        pass


class CuratedStore(OxigraphStore):
    """An in-memory store kept in step with a state directory (see the module docstring)."""

    def __init__(self, state_dir: Path | str, sources: Iterable[SourceFile] | None = None, *,
                 writable_prefix: str = str(GRAPH), protected: Iterable[str] = (SHAPES_GRAPH, CHANGES_GRAPH,
                                                                                 INFERRED_GRAPH),
                 allow_default_graph: bool = True, check=None, steps: Iterable[Step] = (),
                 limits: WriteLimits = WriteLimits(), kept_graphs: Iterable[str] = ()):
        """``check``: the shapes gate every write passes, a :class:`kg.changes.Step` (such as
        :class:`kg.validate.ShapesGate`) or a plain ``check(quads) -> report | None`` given the whole
        would-be data (shapes and change log left out); ``steps``: more steps, run before it.
        ``limits``: how long and how big evaluating one update may get; ``kept_graphs``: graphs no
        write may change (the server keeps :data:`KEPT_GRAPHS`, the KEPT_GRAPHS setting)."""
        self.dir = Path(state_dir)
        self.limits, self.kept_graphs = limits, frozenset(kept_graphs)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.base, self.journal = self.dir / "base.nq", Journal(self.dir / "journal")
        self.writable_prefix, self.protected = writable_prefix, frozenset(protected)
        self.capabilities = Capabilities(writable=True, protected_graphs=self.protected)
        self.timeout = None
        self.allow_default_graph = allow_default_graph
        self.sources, self.load_seconds = list(sources or []), 0.0
        self.steps: list = list(steps) + ([self._as_step(check)] if check is not None else [])
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
            try:
                _, end = self.journal.read_from(0)
            except JournalError as exc:  # one line for the operator (server.py and kg say it, no traceback)
                raise LoadError(str(exc)) from None
            self.journal.truncate_tail(end)  # only an unterminated last line: a write never acknowledged
            self.sync()
            self.schema = entailment.materialize(self.store)  # once, after the whole journal
            for step in self.steps:
                step.start(self._data)
        self.load_seconds = time.perf_counter() - t0

    def _data(self) -> list[ox.Quad]:
        """The data quads as served now (shapes and change log left out): what the steps check."""
        return data_quads(self._snapshots.read(lambda: self.store.quads_for_pattern(None, None, None, None)))

    def _as_step(self, check) -> Step:
        return check if hasattr(check, "prepare") else _WholeGraphCheck(check, self)

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
                    time.sleep(0.002)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def sync(self) -> bool:
        """Apply journal records written since this process last looked; True if any were.

        They are applied in place while no query is starting (see the module docstring), so a query
        sees each change whole or not at all.
        """
        try:
            size = os.stat(self.journal.path).st_size
        except FileNotFoundError:
            return False
        if size <= self.offset:
            return False
        with self._mutex:
            try:
                records, end = self.journal.read_from(self.offset)
            except JournalError as exc:  # damaged while serving: every request says so, none answers stale
                raise JournalDamaged(str(exc)) from None
            if not records:
                return False
            changes = [(_parse_quads(rec["removed"]), _parse_quads(rec["added"])) for rec in records]
            with self._snapshots.writing():
                for removed, added in changes:
                    _apply(self.store, removed, added)
                if self.schema is not None:
                    self.schema = self._entail(self.store, [q for r, _ in changes for q in r],
                                               [q for _, a in changes for q in a]).schema
                self.offset, self.seq, self.loaded_at = end, records[-1]["seq"], records[-1]["time"]
            for removed, added in changes:
                for step in self.steps:
                    step.seen(data_quads(removed), data_quads(added))
            return True

    def _entail(self, store: ox.Store, removed, added) -> entailment.Outcome:
        """The inferred graph of ``store`` brought up to date after a change (kg.entailment)."""
        self.last_entailment = entailment.update(store, self.schema, removed, added)
        return self.last_entailment

    def version(self) -> str:
        return f"{self.loaded_at}:{self.seq}:{len(self.store)}"

    def _new_mutex(self) -> None:
        self._mutex = threading.RLock()  # threads of one process: syncing and writing
        self._snapshots = _Snapshots()

    # -- reading: each call starts on a whole state ------------------------------------------
    def query(self, query: str, dataset=None, *, union_default: bool = True, base_iri: str | None = None,
              inferred: bool = True, functions: dict | None = None):
        run = super().query
        return self._snapshots.read(lambda: run(query, dataset, union_default=union_default, base_iri=base_iri,
                                                inferred=inferred, functions=functions))

    def triple_count(self, graph: str | None = None) -> int:
        if graph is None:
            return len(self.store)
        return sum(1 for _ in self._snapshots.read(
            lambda: self.store.quads_for_pattern(None, None, None, ox.NamedNode(graph))))

    def named_graphs(self) -> list[str]:
        return self._snapshots.read(super().named_graphs)

    def dump(self, format: ox.RdfFormat = ox.RdfFormat.N_QUADS) -> bytes:
        dump = super().dump
        return self._snapshots.read(lambda: dump(format))

    # -- writing --------------------------------------------------------------------------
    def write(self, changes: ChangeSet, *, agent: str, lock_timeout: float | None = None) -> Change:
        """Apply a change set in one transaction (the Store contract's write)."""
        for g in changes.graphs():
            self.check_writable(g)
        ops = changes.operations
        if any(isinstance(op, Update) for op in ops):  # to be evaluated: on a copy of it all (module docstring)
            return self.transact(lambda copy: apply_operations(copy, ops), agent=agent, kind=changes.kind,
                                 text=changes.text, lock_timeout=lock_timeout, max_removed=changes.max_removed)
        return self._commit(lambda: self._delta(ops), agent=agent, kind=changes.kind, text=changes.text,
                            lock_timeout=lock_timeout, max_removed=changes.max_removed)

    def transact(self, apply: Callable[[ox.Store], None], *, agent: str, kind: str, text: str,
                 check: Callable[[list[ox.Quad]], object] | None = None, lock_timeout: float | None = None,
                 max_removed: int | None = None) -> Change:
        """Run ``apply`` on a copy of the writable graphs, in a sandboxed child (past the time or
        memory limit it is killed: 503); the change is the difference, checked and made durable like
        any other (module docstring). ``apply`` may raise Refusal, or an engine error (answered as a
        4xx). ``check(quads)``: a whole-graph check instead of the store's steps. ``max_removed``: the
        most quads this writer may remove, and then never more than half of the writable data (None:
        no limit, the admin role)."""
        steps = None if check is None else [_WholeGraphCheck(check, self)]
        return self._commit(lambda: self._copy_delta(apply), agent=agent, kind=kind, text=text,
                            lock_timeout=lock_timeout, steps=steps, max_removed=max_removed)

    def _copy_delta(self, apply: Callable[[ox.Store], None]) -> tuple[list, list]:
        # updates see the graph store without the protected graphs: CLEAR ALL clears what
        # curators may write, and nothing an update does can reach the shapes or the change log
        quads = self._snapshots.read(lambda: self.store.quads_for_pattern(None, None, None, None))
        before = [q for q in quads if not _in(q, self.protected)]
        return self._evaluate(lambda: _diff_text(apply, before))

    def _evaluate(self, diff: Callable[[], tuple[str, str]]) -> tuple[list, list]:
        """``diff()`` (evaluating an update on a copy) in a child under the write limits (kg.sandbox);
        the quads it removes and adds. Overruns are 503 and engine errors 4xx: nothing was changed."""
        lim = self.limits
        try:
            removed, added = sandbox.call(diff, timeout=lim.timeout, memory_mb=lim.memory_mb, network=lim.network)
        except sandbox.Overrun as exc:
            raise Refusal(503, f"applying the write: {exc} (QUERY_TIMEOUT); nothing was changed") from None
        except sandbox.OutOfMemory as exc:
            raise Refusal(503, f"applying the write: {exc}; nothing was changed") from None
        except sandbox.ChildFailed as exc:
            raise Refusal(500, f"applying the write failed: {exc}; nothing was changed") from None
        except (SyntaxError, ValueError, RuntimeError, OSError) as exc:  # raised by ``apply`` itself
            raise _engine_refusal(exc) from None
        return sorted(_parse_quads(removed), key=str), sorted(_parse_quads(added), key=str)

    def _delta(self, ops) -> tuple[list, list]:
        """What operations that say their quads (or the graphs they touch) change, without applying
        them to the store: in time proportional to the change (a Graph Store PUT or DELETE reads the
        graph it replaces; an update of named graphs only, those graphs). Runs under the store's
        mutex (see _commit): no change is applied to the store meanwhile."""
        removed: dict = {}
        added: dict = {}
        here = self._has

        def insert(q):
            if q in removed:
                del removed[q]
            elif not here(q):
                added[q] = None

        def delete(q):
            if q in added:
                del added[q]
            elif here(q):
                removed[q] = None

        scratch = ox.Store()   # read back through a store: pyoxigraph keeps numbers by value
        for op in ops:
            if isinstance(op, GraphsUpdate):  # run on a copy of its graphs as the change so far left them
                names = [ox.NamedNode(g) for g in op.graphs]
                now = [q for g in names for q in self.store.quads_for_pattern(None, None, None, g)]
                before = {q for q in now if q not in removed} | {q for q in added if q.graph_name in names}
                gone, new = self._evaluate(  # in a sandboxed child, like any update that is evaluated
                    lambda: _diff_text(lambda st: st.update(op.sparql, base_iri=op.base_iri), before))
                for q in gone:
                    delete(q)
                for q in new:
                    insert(q)
                continue
            if isinstance(op, (ReplaceGraph, DropGraph)):
                now = list(self.store.quads_for_pattern(None, None, None, op.graph))
                for q in now + [q for q in added if q.graph_name == op.graph]:
                    delete(q)
            if isinstance(op, (InsertData, DeleteData, ReplaceGraph, AddToGraph)):
                scratch.clear()
                scratch.extend(op.quads)
                for q in scratch:
                    (delete if isinstance(op, DeleteData) else insert)(q)
        return sorted(removed, key=str), sorted(added, key=str)

    def _has(self, q: ox.Quad) -> bool:
        return q in self.store

    def _commit(self, find: Callable[[], tuple[list, list]], *, agent: str, kind: str, text: str,
                lock_timeout: float | None = None, steps=None, max_removed: int | None = None) -> Change:
        """Find the change under the lock, pass it through the steps, journal it, apply it in place."""
        steps = self.steps if steps is None else steps
        started = _now()
        with self.lock(lock_timeout), self._mutex:
            self.sync()
            # bytes after the last whole record are a record torn by a writer that died or hit a
            # full disk mid-append (none can be writing now: we hold the lock); appending after
            # them would glue this record onto the torn one and lose it
            self.journal.truncate_tail(self.offset)
            removed, added = find()
            if not removed and not added:  # nothing to make durable, nothing to log
                return Change(0, agent, kind, text, at=_now())
            self._check_reach(removed, added, max_removed)
            _check_blank_nodes(self._would_touch(removed, added), added)
            prepared = []
            try:
                for step in steps:
                    more_removed, more_added = step.prepare(data_quads(removed), data_quads(added))
                    prepared.append(step)
                    removed, added = removed + list(more_removed), added + list(more_added)
                created = sorted(g.value for g in {q.graph_name for q in added}
                                 if isinstance(g, ox.NamedNode) and not self._graph_had_quads(g))
                change = Change(self.seq + 1, agent, kind, text, removed, added, at=_now(), created=created)
                record_quads = prov_record(change, started)
                rec = {"seq": change.seq, "time": time.time(), "at": change.at, "agent": agent, "kind": kind,
                       "removed": quads_text(removed), "added": quads_text(added + record_quads)}
                try:
                    end = self.journal.append(rec)
                except JournalError as exc:
                    raise Refusal(503, f"{exc}; nothing was changed") from None
            except BaseException:
                for step in prepared:
                    step.abort()
                raise
            try:
                with self._snapshots.writing():
                    _apply(self.store, removed, added + record_quads)
                    self.schema = self._entail(self.store, removed, added).schema
                    self.offset, self.seq, self.loaded_at = end, change.seq, rec["time"]
            except BaseException:  # durable but not applied here: this process's copy is wrong
                os.write(2, b"[kg] a journalled change could not be applied in memory; restarting this process\n")
                os._exit(70)
            for step in prepared:
                step.commit()
            return change

    def _check_reach(self, removed: list[ox.Quad], added: list[ox.Quad], max_removed: int | None) -> None:
        """Refuse (403) a change to what the service keeps, a graph outside the writable ones, or a
        mass deletion by a writer without that authority."""
        for q in removed + added:
            if isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value in self.kept_graphs:
                raise Refusal(403, f"the write would change <{q.graph_name.value}>, which the service keeps as it "
                                   "was loaded (the ontology changes with the source files); nothing was changed")
            if kept_quad(q):
                raise Refusal(403, "the write would change the essay's stored text (ds:essay dsk:fullText), which "
                                   "every anchor points into; nothing was changed")
        for g in sorted({q.graph_name for q in removed + added}, key=str):
            self.check_writable(g)
        if max_removed is None or not removed:
            return
        if len(removed) > max_removed:
            most = max_removed
        else:  # never half the data: counted only as far as that needs (a store's len() reads every quad)
            data = self._data_at_least(2 * len(removed) + 2)
            most = min(max_removed, data // 2)
        if len(removed) > most:
            raise Refusal(403, f"the write would remove {len(removed)} quads; a write may remove at most {most} "
                               f"(WRITE_MAX_REMOVED={max_removed}, and never half the data) unless its token has "
                               "the admin role; nothing was changed")

    def _data_at_least(self, n: int) -> int:
        """The data quads (all graphs but the protected ones), counted up to ``n``: in time
        proportional to ``n``, not to the store."""
        count = 0
        graphs = [ox.DefaultGraph()] + [g for g in self.store.named_graphs() if g.value not in self.protected]
        for g in graphs:
            for _ in self.store.quads_for_pattern(None, None, None, g):
                count += 1
                if count >= n:
                    return count
        return count

    def _would_touch(self, removed: list[ox.Quad], added: list[ox.Quad]) -> Callable[[ox.BlankNode], list[ox.Quad]]:
        """``touching(node)``: the quads with ``node`` as subject or object in the graph as the change
        would leave it (for the blank-node check, without applying the change)."""
        gone, new = set(removed), {}
        for q in added:
            for t in {q.subject, q.object}:
                if isinstance(t, ox.BlankNode):
                    new.setdefault(t, []).append(q)

        def touching(node: ox.BlankNode) -> list[ox.Quad]:
            here = list(self.store.quads_for_pattern(node, None, None, None)) + \
                list(self.store.quads_for_pattern(None, None, node, None))
            return [q for q in here if q not in gone] + new.get(node, [])
        return touching

    def _graph_had_quads(self, g) -> bool:
        return next(iter(self.store.quads_for_pattern(None, None, None, g)), None) is not None

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
        if isinstance(op, (InsertData, DeleteData)):
            for q in op.quads:
                st.remove(q) if isinstance(op, DeleteData) else st.add(q)
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
    try:
        _replay(store, Journal(d / "journal").read_from(0)[0])
    except JournalError as exc:
        raise LoadError(str(exc)) from None
    return store

