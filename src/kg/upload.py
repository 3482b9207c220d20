"""Put the graphs into a remote SPARQL engine (``kg load --to URL``), idempotently and in chunks.

Why: ``kg serve --store URL`` serves whatever a standard engine holds; this writes it there with
the standard protocols only, SPARQL 1.1 Update (``DROP SILENT GRAPH`` + ``INSERT DATA``) or the
Graph Store HTTP Protocol (``PUT`` then ``POST``). Each graph is replaced whole, so loading twice
gives the same graphs. Requests stay small (engines cap request sizes: Virtuoso's SPARQL parser
and HTTP server both do): triples go in chunks, and the triples that share a blank node always go
in the same chunk (a blank node label means the same node only within one request).
Last comes the *load record* (``kg.remote.LOAD_RECORD``) that ``RemoteStore`` reads.
"""
from __future__ import annotations

import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Iterator

import pyoxigraph as ox

from .load import LoadError
from .remote import EMPTY_GRAPH, LOAD_RECORD, RemoteStore, engine_message
from .sources import SourceFile, default_sources
from .store import QUAD_FORMATS, StoreError, parse_error, rdf_file_format

__all__ = ["Target", "read_graphs", "chunks", "upload", "record_update"]

_SD = "http://www.w3.org/ns/sparql-service-description#"
_VOID = "http://rdfs.org/ns/void#"


@dataclass
class Target:
    """Where and how to write: ``query_url`` (read back counts), ``update_url`` or ``gsp_url``."""
    query_url: str
    update_url: str | None = None
    gsp_url: str | None = None
    user: str | None = None
    password: str | None = None
    record: str = LOAD_RECORD
    chunk_triples: int = 1_000
    chunk_bytes: int = 1 << 20
    timeout: float = 300.0
    _opener: urllib.request.OpenerDirector | None = field(default=None, repr=False)

    @property
    def method(self) -> str:
        return "gsp" if self.gsp_url else "update"

    def opener(self) -> urllib.request.OpenerDirector:
        """urllib with Digest and Basic auth (whichever the engine asks for) when credentials are given."""
        if self._opener is None:
            handlers = []
            if self.user:
                mgr = urllib.request.HTTPPasswordMgrWithDefaultRealm()
                for url in filter(None, (self.update_url, self.gsp_url, self.query_url)):
                    mgr.add_password(None, url, self.user, self.password or "")
                handlers = [urllib.request.HTTPDigestAuthHandler(mgr), urllib.request.HTTPBasicAuthHandler(mgr)]
            self._opener = urllib.request.build_opener(*handlers)
        return self._opener

    def send(self, method: str, url: str, body: bytes, content_type: str | None) -> None:
        """One write request; a refusal raises LoadError with the engine's first line."""
        headers = {"Content-Type": content_type} if content_type else {}
        req = urllib.request.Request(url, data=body if method != "DELETE" else None, method=method, headers=headers)
        try:
            with self.opener().open(req, timeout=self.timeout) as resp:
                resp.read()
        except urllib.error.HTTPError as exc:
            if method == "DELETE" and exc.code == 404:
                return
            hint = " (check --user/--password)" if exc.code in (401, 403) else ""
            raise LoadError(f"{url}: {method} refused with {exc.code}{hint}: {engine_message(exc.read())}") from None
        except OSError as exc:
            raise LoadError(f"{url}: {method} failed: {getattr(exc, 'reason', exc)}") from None

    def update(self, text: str) -> None:
        self.send("POST", self.update_url or self.query_url, urllib.parse.urlencode({"update": text}).encode(),
                  "application/x-www-form-urlencoded")

    def gsp(self, method: str, graph: str, body: bytes = b"") -> None:
        sep = "&" if "?" in self.gsp_url else "?"
        url = f"{self.gsp_url}{sep}{urllib.parse.urlencode({'graph': graph})}"
        self.send(method, url, body, "application/n-triples" if method != "DELETE" else None)


def read_graphs(sources: Iterable[SourceFile] | None = None) -> dict[str, list[ox.Triple]]:
    """Each named graph's triples (deduplicated, in file order), from the source files."""
    graphs: dict[str, dict[ox.Triple, None]] = {}
    for src in default_sources() if sources is None else sources:
        path = Path(src.path)
        fmt = rdf_file_format(path)
        try:
            for item in ox.parse(path=str(path), format=fmt, base_iri=path.resolve().as_uri()):
                if fmt in QUAD_FORMATS:
                    if not isinstance(item.graph_name, ox.NamedNode):
                        raise LoadError(f"{path}: a triple in the default graph; a remote load needs named graphs")
                    graphs.setdefault(item.graph_name.value, {})[item.triple] = None
                else:
                    graphs.setdefault(src.graph or path.resolve().as_uri(), {})[item] = None
        except (SyntaxError, ValueError, OSError) as exc:
            raise parse_error(path, exc) from None
    return {g: list(ts) for g, ts in graphs.items()}


def _nt(t: ox.Triple) -> str:
    return f"{t.subject} {t.predicate} {t.object} .\n"


def chunks(triples: list[ox.Triple], max_triples: int, max_bytes: int) -> Iterator[tuple[str, bool]]:
    """(N-Triples text, has blank nodes) in pieces of at most ``max_triples`` / ``max_bytes``. Triples
    linked by blank nodes stay together (a group larger than the limits goes alone), in pieces of
    their own: plain pieces can go as INSERT DATA."""
    parent: dict[ox.BlankNode, ox.BlankNode] = {}

    def find(b):
        while parent.setdefault(b, b) != b:
            parent[b] = parent[parent[b]]
            b = parent[b]
        return b

    for t in triples:
        bnodes = [x for x in (t.subject, t.object) if isinstance(x, ox.BlankNode)]
        for b in bnodes[1:]:
            parent[find(b)] = find(bnodes[0])
        if bnodes:
            find(bnodes[0])
    groups: dict[object, list[str]] = {}
    for i, t in enumerate(triples):
        b = t.subject if isinstance(t.subject, ox.BlankNode) else t.object if isinstance(t.object, ox.BlankNode) else None
        groups.setdefault(find(b) if b is not None else None, []).append(_nt(t))
    plain = [[line] for line in groups.pop(None, [])]
    for linked, items in ((False, plain), (True, list(groups.values()))):
        piece, n, size = [], 0, 0
        for lines in items:
            extra = sum(len(x.encode()) for x in lines)
            if piece and (n + len(lines) > max_triples or size + extra > max_bytes):
                yield "".join(piece), linked
                piece, n, size = [], 0, 0
            piece.extend(lines)
            n, size = n + len(lines), size + extra
        if piece:
            yield "".join(piece), linked


def _replace_graph(target: Target, graph: str, triples: list[ox.Triple]) -> int:
    """Replace one graph with ``triples``; returns the number of requests sent."""
    pieces = list(chunks(triples, target.chunk_triples, target.chunk_bytes))
    if target.method == "gsp":
        target.gsp("DELETE", graph)
        for i, (piece, _) in enumerate(pieces):
            target.gsp("PUT" if i == 0 else "POST", graph, piece.encode())
        return len(pieces) + 1
    target.update(f"DROP SILENT GRAPH <{graph}>")
    for piece, linked in pieces:  # Virtuoso refuses blank nodes in INSERT DATA: INSERT ... WHERE {} is the same
        target.update(f"INSERT {{ GRAPH <{graph}> {{\n{piece}}} }} WHERE {{}}" if linked else
                      f"INSERT DATA {{ GRAPH <{graph}> {{\n{piece}}} }}")
    return len(pieces) + 1


def record_update(record: str, counts: dict[str, int], when: datetime) -> str:
    """The load record as N-Triples: a VoID/SD dataset naming each graph, its size and the load time."""
    ds = f"<{record}#dataset>"
    stamp = when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    lines = [f"{ds} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{_VOID}Dataset> .",
             f"{ds} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{_SD}Dataset> .",
             f'{ds} <http://purl.org/dc/terms/modified> "{stamp}"^^<http://www.w3.org/2001/XMLSchema#dateTime> .',
             f'{ds} <http://purl.org/dc/terms/creator> "kg load" .']
    for i, (g, n) in enumerate(sorted(counts.items())):
        ng, gr = f"<{record}#named-graph-{i}>", f"<{record}#graph-{i}>"
        lines += [f"{ds} <{_SD}namedGraph> {ng} .", f"{ng} <{_SD}name> <{g}> .", f"{ng} <{_SD}graph> {gr} .",
                  f"{gr} <{_VOID}triples> \"{n}\"^^<http://www.w3.org/2001/XMLSchema#integer> ."]
    return "\n".join(lines) + "\n"


def upload(target: Target, sources: Iterable[SourceFile] | None = None,
           progress: Callable[[str], None] = print) -> dict[str, int]:
    """Replace each graph of ``sources`` on the engine, drop graphs an earlier load left, write the
    record. Returns the engine's triple count per graph."""
    t_all = time.monotonic()
    graphs = read_graphs(sources)
    for reserved in (target.record, EMPTY_GRAPH):
        if reserved in graphs:
            raise LoadError(f"<{reserved}> is reserved (the load record / the empty graph); load the data into other graphs")
    reader = RemoteStore(target.query_url, graphs=[], user=target.user, password=target.password)
    try:
        earlier = RemoteStore(target.query_url, record=target.record, user=target.user, password=target.password).graphs
    except LoadError:
        earlier = []
    counts: dict[str, int] = {}
    try:
        for g in sorted(set(earlier) - set(graphs)):
            _replace_graph(target, g, [])
            progress(f"  dropped  {g} (left by an earlier load)")
        for g, triples in graphs.items():
            t0 = time.monotonic()
            requests = _replace_graph(target, g, triples)
            counts[g] = reader.triple_count(g)
            note = "" if counts[g] == len(triples) else f" (sent {len(triples):,}: the engine merged equal literals)"
            progress(f"  {g}  {counts[g]:,} triples{note}  {time.monotonic() - t0:.2f} s  ({requests} requests)")
        when = datetime.now(timezone.utc)
        text = record_update(target.record, counts, when)
        if target.method == "gsp":
            target.gsp("PUT", target.record, text.encode())
        else:
            target.update(f"DROP SILENT GRAPH <{target.record}>")
            target.update(f"INSERT {{ GRAPH <{target.record}> {{\n{text}}} }} WHERE {{}}")
    except StoreError as exc:
        raise LoadError(f"{target.query_url}: {exc}") from None
    progress(f"loaded {sum(counts.values()):,} triples in {len(counts)} graphs in "
             f"{time.monotonic() - t_all:.2f} s; load record <{target.record}>")
    return counts

