"""The store contract (:class:`Store`) and the embedded pyoxigraph stores that keep it.

The web layer reaches a store only through :class:`Store`: queries, dumps, counts, its version and
``sync``, its :class:`Capabilities`, and writes as change sets (:mod:`kg.changes`). Nothing outside
the store modules (this one, ``remote.py``, ``curated.py``) touches an engine's own handle.
Implementations, chosen by ``kg.backends.open_store(spec)``:

- :class:`OxigraphStore`: the embedded in-memory pyoxigraph store, loaded from the source files;
- :class:`OnDiskStore`: an on-disk pyoxigraph (RocksDB) store written by ``kg load --to DIR``,
  opened read-only by each process that queries it;
- ``kg.remote.RemoteStore``: a remote SPARQL engine, standard protocols only;
- ``kg.curated.CuratedStore``: the writable one (base snapshot + journal).

rdflib parses, serialises and validates; queries are answered by pyoxigraph (10-100x faster,
see shared/FACTS.md).

Named graphs: each source file is loaded into its own named graph; the default graph a query
sees is the union of all named graphs, unless the query (FROM / FROM NAMED) or the protocol
request (default-graph-uri / named-graph-uri) defines the dataset. The embedded stores add the
ontology's consequences as one more named graph (``kg.entailment.INFERRED_GRAPH``), which the
union includes; ``query(..., inferred=False)`` leaves it out, and ``dump()`` never holds it
(derived data, recomputed from the rest).

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "a.ttl").write_text("<http://ex/a> <http://ex/p> 1 .")
>>> s = OxigraphStore.from_sources([SourceFile(d / "a.ttl", "http://ex/g")])
>>> s.triple_count(), s.named_graphs()
(1, ['http://ex/g'])
>>> bool(s.query("ASK { <http://ex/a> ?p ?o }"))
True
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Protocol, Sequence

import pyoxigraph as ox

from . import entailment
from .changes import Change, ChangeSet, Refusal
from .formats import QUAD_FORMATS as _QUAD_FORMATS
from .load import RDF_FILE_FORMATS, LoadError
from .sources import SourceFile, default_sources

#: file suffix -> pyoxigraph format (quad formats carry their own graphs)
RDF_SUFFIXES = {suffix: fmt for suffix, (_, fmt) in RDF_FILE_FORMATS.items()}
QUAD_FORMATS = _QUAD_FORMATS


def rdf_file_format(path: Path) -> ox.RdfFormat:
    """The pyoxigraph format of a source file, by suffix; LoadError if missing or of an unknown type."""
    if not path.is_file():
        raise LoadError(f"{path}: file not found")
    fmt = RDF_SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise LoadError(f"{path}: unknown RDF file type {path.suffix!r}")
    return fmt


def parse_error(path: Path, exc: Exception) -> LoadError:
    """pyoxigraph's parse error as one line naming the file."""
    return LoadError(f"{path}: {' '.join(str(exc).split())[:300]}")


class StoreError(Exception):
    """The store could not answer (a remote engine down or failing): ``status`` is the HTTP answer."""
    status = 502


class StoreTimeout(StoreError):
    """The store gave up at the time limit (a remote store enforces it on its socket)."""
    status = 503


@dataclass
class Dataset:
    """The RDF dataset of one query. ``None`` everywhere = the store's default policy (union)."""
    default_graphs: Sequence[str] | None = None
    named_graphs: Sequence[str] | None = None


@dataclass(frozen=True)
class Capabilities:
    """What a store can do beyond answering queries; the web layer decides by these, never by type."""
    writable: bool = False          # accepts change sets (Store.write); else write() refuses with 403
    forkable: bool = True           # its queries may run in forked, killable processes (embedded engines)
    enforces_timeout: bool = False  # stops a query itself at ``Store.timeout`` seconds (a remote engine's socket)
    protected_graphs: frozenset = frozenset()  # graphs no write may touch (shapes, the change log)
    functions: bool = True          # runs the project's own SPARQL functions (text:matches), given to query()


READ_ONLY = Capabilities()


class Store(Protocol):
    """What the web layer needs from a store, and all it may use.

    Reading: ``query`` (pyoxigraph result objects: QuerySolutions, QueryBoolean, or an iterable
    of triples for CONSTRUCT/DESCRIBE; SyntaxError for a bad query, StoreError / StoreTimeout when
    the engine fails or gives up; ``inferred=False``: the store's own dataset without the inferred
    graph, where it has one; ``functions``: extension functions by IRI, for the stores whose
    capabilities say ``functions``), ``triple_count``, ``named_graphs``, ``dump`` (the data as loaded
    or written: never the inferred graph).
    Versions: ``loaded_at`` (epoch seconds, the Last-Modified of every answer), ``version()``
    (changes whenever the content may have: every cache is keyed by it) and ``sync()`` (catch up
    with writes made by other processes; True when something changed).
    Writing: ``write(changes, agent=...)`` applies a :class:`kg.changes.ChangeSet` in one
    transaction, or raises :class:`kg.changes.Refusal`; ``check_writable(graph)`` refuses early.
    """

    capabilities: Capabilities
    loaded_at: float
    timeout: float | None  # seconds; used by stores whose capabilities say enforces_timeout

    def query(self, query: str, dataset: Dataset | None = None, *, union_default: bool = True,
              base_iri: str | None = None, inferred: bool = True, functions: dict | None = None): ...
    def triple_count(self, graph: str | None = None) -> int: ...
    def named_graphs(self) -> list[str]: ...
    def dump(self, format: ox.RdfFormat) -> bytes: ...
    def version(self) -> str: ...
    def sync(self) -> bool: ...
    def write(self, changes: ChangeSet, *, agent: str, lock_timeout: float | None = None) -> Change: ...
    def check_writable(self, graph) -> None: ...


class ReadOnly:
    """The read-only half of the contract's write side, shared by the stores that cannot write."""

    capabilities = READ_ONLY
    timeout = None

    def version(self) -> str:
        return f"{self.loaded_at}:{self.triple_count()}"

    def sync(self) -> bool:
        return False

    def check_writable(self, graph) -> None:
        raise Refusal(403, "writes are disabled: this store is read-only")

    def write(self, changes: ChangeSet, *, agent: str, lock_timeout: float | None = None) -> Change:
        raise Refusal(403, "writes are disabled: this store is read-only")


@dataclass
class OxigraphStore(ReadOnly):
    """An in-memory pyoxigraph store. Read-only by convention once loaded."""
    store: ox.Store = field(default_factory=ox.Store)
    loaded_at: float = field(default_factory=time.time)
    sources: list[SourceFile] = field(default_factory=list)
    load_seconds: float = 0.0
    entail_seconds: float = 0.0

    @classmethod
    def from_sources(cls, sources: Iterable[SourceFile] | None = None, *,
                     skip_missing: bool = False, entail: bool = True) -> "OxigraphStore":
        """Load each source file into its named graph (quad files keep their own graphs), then
        (``entail``) add the inferred graph: what the ontology graph's axioms entail (kg.entailment)."""
        return cls()._load(sources, skip_missing=skip_missing, entail=entail)

    def _load(self, sources: Iterable[SourceFile] | None = None, *, skip_missing: bool = False,
              entail: bool = True):
        t0 = time.perf_counter()
        for src in default_sources() if sources is None else sources:
            path = Path(src.path)
            if skip_missing and not path.is_file():
                continue
            fmt = rdf_file_format(path)
            graph = None if (fmt in QUAD_FORMATS or not src.graph) else ox.NamedNode(src.graph)
            try:
                self.store.bulk_load(path=str(path), format=fmt, base_iri=path.resolve().as_uri(),
                                     to_graph=graph)
            except (SyntaxError, ValueError, OSError) as exc:
                raise parse_error(path, exc) from None
            self.sources.append(src)
        t1 = time.perf_counter()
        if entail:
            entailment.materialize(self.store)
        self.entail_seconds = time.perf_counter() - t1
        self.load_seconds = time.perf_counter() - t0
        self.loaded_at = time.time()
        return self

    def query(self, query: str, dataset: Dataset | None = None, *, union_default: bool = True,
              base_iri: str | None = None, inferred: bool = True, functions: dict | None = None):
        """Run a SPARQL query; raises SyntaxError with pyoxigraph's "error at L:C: ..." message.

        ``union_default`` applies only when neither ``dataset`` nor the query picks the graphs
        (the caller knows whether the query has FROM; pyoxigraph's union flag overrides FROM).
        ``inferred=False`` takes the inferred graph out of that union and out of ``GRAPH ?g``.
        """
        kw: dict = {"base_iri": base_iri}
        if functions:
            kw["custom_functions"] = {ox.NamedNode(iri): fn for iri, fn in functions.items()}
        if dataset and (dataset.default_graphs is not None or dataset.named_graphs is not None):
            kw["default_graph"] = [ox.NamedNode(g) for g in dataset.default_graphs or []]
            if dataset.default_graphs is None:
                kw["default_graph"] = ox.DefaultGraph()
            kw["named_graphs"] = [ox.NamedNode(g) for g in dataset.named_graphs or []]
        elif not inferred and union_default:
            asserted = [ox.NamedNode(g) for g in self.named_graphs() if g != entailment.INFERRED_GRAPH]
            kw["default_graph"], kw["named_graphs"] = [ox.DefaultGraph(), *asserted], asserted
        elif union_default:
            kw["use_default_graph_as_union"] = True
        elif not inferred:
            kw["named_graphs"] = [ox.NamedNode(g) for g in self.named_graphs() if g != entailment.INFERRED_GRAPH]
        return self.store.query(query, **kw)

    def triple_count(self, graph: str | None = None) -> int:
        """Triples in one named graph, or quads in the whole store."""
        if graph is None:
            return len(self.store)
        return sum(1 for _ in self.store.quads_for_pattern(None, None, None, ox.NamedNode(graph)))

    def named_graphs(self) -> list[str]:
        return sorted(g.value for g in self.store.named_graphs() if isinstance(g, ox.NamedNode))

    def dump(self, format: ox.RdfFormat = ox.RdfFormat.N_QUADS) -> bytes:
        """Every graph but the inferred one (derived data: a load of the dump derives it again)."""
        inferred = ox.NamedNode(entailment.INFERRED_GRAPH)
        if not any(True for _ in self.store.quads_for_pattern(None, None, None, inferred)):
            return self.store.dump(format=format)
        return ox.serialize((q for q in self.store if q.graph_name != inferred), format=format)


class OnDiskStore(OxigraphStore):
    """A pyoxigraph RocksDB store on disk, opened read-only, once per process.

    RocksDB handles must not cross a fork, and gunicorn forks its workers after loading the
    app: so the handle is (re)opened lazily in whichever process first uses it. Opening
    read-only while another process writes is undefined behaviour in RocksDB, so the
    directory is only ever written by ``kg load --to DIR`` while nothing serves it.
    """

    def __init__(self, path: str | Path, quads: int | None = None):
        """``quads``: the store's size if known (counting a large store reads all of it: a second at
        1M quads, which a start-up should not pay); else counted once, when first asked."""
        self.path = Path(path)
        if not (self.path / "CURRENT").is_file():
            raise LoadError(f"{self.path}: not an on-disk store (write one with: kg load --to {self.path})")
        self._pid, self._store = None, None
        self._quads = quads
        self.sources, self.load_seconds = [], 0.0
        self.loaded_at = max(f.stat().st_mtime for f in self.path.iterdir())

    def triple_count(self, graph: str | None = None) -> int:
        if graph is not None:
            return super().triple_count(graph)
        if self._quads is None:  # read-only: it never changes
            self._quads = len(self.store)
        return self._quads

    @property
    def store(self) -> ox.Store:  # type: ignore[override]
        if self._pid != os.getpid():
            try:
                self._store, self._pid = ox.Store.read_only(str(self.path)), os.getpid()
            except OSError as exc:
                raise LoadError(f"{self.path}: cannot open the store ({exc})") from None
        return self._store

    @classmethod
    def create(cls, path: str | Path, sources: Iterable[SourceFile] | None = None, *,
              replace: bool = False) -> "OnDiskStore":
        """Bulk-load the source files into a new on-disk store at ``path`` (the ``kg load --to DIR`` step).

        With ``replace``, an existing store directory is removed first, so loading twice gives the
        same store (idempotent); without it, an existing non-empty directory is refused.
        """
        import shutil
        path = Path(path)
        if path.exists() and any(path.iterdir()):
            if not replace:
                raise LoadError(f"{path}: already exists; pass --replace to load it afresh")
            if not (path / "CURRENT").is_file():
                raise LoadError(f"{path}: exists and is not an on-disk store; refusing to delete it")
            shutil.rmtree(path)
        path.mkdir(parents=True, exist_ok=True)
        target = OxigraphStore(store=ox.Store(str(path)))
        try:
            target._load(sources)  # the inferred graph too: the on-disk store serves what memory serves
            target.store.optimize()
            target.store.flush()
        finally:
            del target  # close the read-write handle before anyone opens it read-only
        import gc
        gc.collect()
        return cls(path)


#: bump when a snapshot's layout or meaning changes, so old ones are never served
SNAPSHOT_FORMAT = 2
#: snapshots kept in a snapshot directory (the newest; older ones are removed when one is made)
SNAPSHOT_KEEP = 2


def snapshot_key(sources: Iterable[SourceFile]) -> str:
    """A digest of the source files as the file system describes them (path, size, modification
    time, inode) and of the engine that reads them: a changed file makes a new snapshot; a restart
    on the same files finds the old one without reading them (a digest of 180 MB of bytes would
    cost about a second of every restart)."""
    import hashlib
    h = hashlib.sha256(f"{SNAPSHOT_FORMAT};pyoxigraph={ox.__version__};".encode())
    for src in sources:
        path = Path(src.path).resolve()
        st = path.stat()
        h.update(f"{src.graph}\0{path}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ino}\n".encode())
    return h.hexdigest()[:24]


def snapshot(sources: Iterable[SourceFile], root: Path | str, *, say=None) -> "OnDiskStore":
    """The source files as an on-disk store in the private directory ``root``: made on first use
    (``kg load --to``'s work, into a temporary directory renamed when complete), found again on
    every later start while the files are the same (:func:`snapshot_key`), so a restart opens it in
    a fraction of a second instead of parsing the files again, and every process of the server
    shares it through the operating system's page cache. Layout: ``root/KEY/store`` (the RocksDB
    files) and ``root/KEY/quads`` (their number, so a start-up need not count them)."""
    import shutil

    from .cachedir import private_dir
    sources = list(sources)
    root = private_dir(Path(root))
    key = snapshot_key(sources)
    target = root / key
    if not (target / "quads").is_file():
        if say:
            say(f"making an on-disk snapshot of {sum(Path(s.path).stat().st_size for s in sources) / 1e6:,.0f} MB of "
                f"source files in {target} (first start only; later starts open it)")
        tmp = root / f".{key}.{os.getpid()}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(mode=0o700)
        made = OnDiskStore.create(tmp / "store", sources)
        (tmp / "quads").write_text(str(made.triple_count()))
        del made
        try:
            os.rename(tmp, target)
        except OSError:  # another process made it first
            shutil.rmtree(tmp, ignore_errors=True)
        _prune_snapshots(root, key)
    os.utime(target)  # the newest in use
    return OnDiskStore(target / "store", quads=int((target / "quads").read_text()))


def _prune_snapshots(root: Path, key: str) -> None:
    import shutil
    entries = [e for e in os.scandir(root) if e.is_dir(follow_symlinks=False) and e.name != key]
    old = [e for e in entries if not e.name.startswith(".")]
    for e in sorted(old, key=lambda e: e.stat(follow_symlinks=False).st_mtime, reverse=True)[SNAPSHOT_KEEP - 1:]:
        shutil.rmtree(e.path, ignore_errors=True)
    for e in entries:  # temporary directories of makers that died: a day old
        if e.name.startswith(".") and time.time() - e.stat(follow_symlinks=False).st_mtime > 86400:
            shutil.rmtree(e.path, ignore_errors=True)


def load_store(sources: Iterable[SourceFile] | None = None, **kw) -> OxigraphStore:
    return OxigraphStore.from_sources(sources, **kw)


__all__ = ["rdf_file_format", "parse_error", "Dataset", "Store", "Capabilities", "READ_ONLY", "ReadOnly",
           "StoreError", "StoreTimeout", "OxigraphStore", "OnDiskStore", "load_store", "RDF_SUFFIXES", "snapshot",
           "snapshot_key"]
