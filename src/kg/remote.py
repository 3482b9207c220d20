"""A remote SPARQL engine as the query store, spoken to with the SPARQL 1.1 Protocol only.

Why: the same server, pages and exports must run on top of an engine that scales past one
process's memory (Virtuoso, GraphDB, Fuseki, ...). ``kg load --to URL`` puts the graphs there and
writes a small *load record* (a named graph, see ``LOAD_RECORD``) naming them and the load time;
``RemoteStore`` reads it, so it knows which graphs are ours without any engine-specific call.

- **Dataset**: when neither the request nor the query (FROM) picks the graphs, every query is sent
  with ``default-graph-uri`` *and* ``named-graph-uri`` for each of our graphs, so the default graph is
  their union and the engine's own graphs (Virtuoso's virtrdf, ...) never show. That costs the
  engine time for every graph listed; a corpus of many graphs (one per essay) can choose
  ``union="engine"`` instead: nothing is sent and the engine's own default dataset answers (on
  Virtuoso and GraphDB the union of all its graphs, its system graphs included).
- **Standard SPARQL only**: each query is first parsed by pyoxigraph on an empty store. Syntax errors
  read as with the embedded store, the query form is known before the engine answers, and
  engine extensions (Virtuoso ``DEFINE get:soft`` fetches URLs, ``bif:`` functions) never reach it.
- **Time limit on our side**: the socket timeout is the query's time limit (``timeout``, set from
  QUERY_TIMEOUT by the web app); past it the caller gets ``StoreTimeout`` (503), as with the
  embedded store. One keep-alive connection per thread and process keeps the overhead ~1 ms.
- Answers come back as pyoxigraph objects (``QuerySolutions``, ``QueryBoolean``, and ``RemoteTriples``
  in place of ``QueryTriples``), so the web layer cannot tell the stores apart.

How engines deviate from the protocol, and what this module does about each: ``DIALECT_NOTES``.
"""
from __future__ import annotations

import base64
import http.client
import os
import re
import socket
import threading
import time
import urllib.parse
from typing import Iterable, Iterator, Sequence

import pyoxigraph as ox

from .load import LoadError
from .namespaces import GRAPH
from .sources import INFERRED_GRAPH
from .store import QUAD_FORMATS, Capabilities, Dataset, ReadOnly, StoreError, StoreTimeout

__all__ = ["RemoteStore", "RemoteTriples", "LOAD_RECORD", "EMPTY_GRAPH", "DIALECT_NOTES", "engine_message",
           "record_query"]

#: the named graph ``kg load --to URL`` writes: which graphs it loaded, how big, and when
LOAD_RECORD = str(GRAPH) + "load-record"
#: graphs named in each request at most (union="listed"); beyond, union="engine" is the way
MAX_LISTED_GRAPHS = 40
#: a graph that is never written: the dataset's default graph when a request names only named graphs
EMPTY_GRAPH = "urn:x-kg:empty-graph"

#: Dialect notes: (engine, what it does, what we do). Only the last column is code, in this module;
#: the whole table is printed in docs/scaling.md. Everything else here is the standard protocol.
DIALECT_NOTES = [
    ("Virtuoso 7", "ASK is answered as a one-column result set (__ASK_RETVAL = 1, or no row)",
     "an ASK answered with solutions is true when its first row's value is 1/true (_as_boolean)"),
    ("Virtuoso 7", "blank nodes in results are labelled nodeID://b123, not a valid label",
     "labels outside [A-Za-z0-9_-] are re-encoded before parsing (_BNODE_FIX)"),
    ("Virtuoso 7", "SPARQL JSON results write booleans as \"1\" and use the old 'typed-literal' type",
     "we ask for SPARQL XML results (standard there) and N-Triples for graphs"),
    ("Virtuoso 7", "a direct POST (Content-Type: application/sparql-query) never answers",
     "queries go as form POSTs (application/x-www-form-urlencoded), which every engine reads"),
    ("Virtuoso 7", "default-graph-uri alone leaves every graph, its own included, visible to GRAPH ?g",
     "we always send named-graph-uri too (EMPTY_GRAPH when the request names none)"),
    ("Virtuoso 7", "each graph named by default-graph-uri / named-graph-uri costs time: ~1.6 ms for a small "
     "query with one graph, ~20 ms with three, seconds with hundreds",
     "a corpus of many graphs runs with union='engine' (KG_STORE_OPTIONS): nothing is sent, Virtuoso's "
     "default dataset (all its graphs) answers"),
    ("Virtuoso 7", "a constant graph IRI (GRAPH <iri>, or FILTER(?g = <iri>), which it rewrites to one) "
     "reaches that graph even when named-graph-uri leaves it out of the dataset",
     "none: GRAPH ?g ranges over our graphs only; a query that names another graph of the engine sees it"),
    ("Virtuoso 7", "answers are cut silently at [SPARQL] ResultSetMaxRows (10,000 by default)",
     "dump() checks counts and says so; the row cap needs ResultSetMaxRows > MAX_ROWS (testkit.virtuoso sets 1M)"),
    ("Virtuoso 7", "past MaxQueryExecutionTime it returns a partial answer flagged by X-SQL-State",
     "any answer carrying X-SQL-State is refused as a timeout (503), never served as complete"),
    ("Virtuoso 7", "standard * and + property paths fail (500 'transitive start not given', or "
     "'Exceeded ... transitive temp memory' over cycles); evaluation errors such as 1/0 are 500s, not unbound",
     "the engine's first error line is passed on as 502 Bad Gateway; see docs/scaling.md for the queries affected"),
    ("Virtuoso 7", "INSERT DATA with a blank node is refused (SP031 'not allowed in a constant clause')",
     "kg load sends INSERT { ... } WHERE {}, the same update in standard SPARQL (kg.upload)"),
    ("Virtuoso 7", "wrong answer: in an OPTIONAL holding a UNION with a property path (the /events index query) "
     "it drops a later OPTIONAL's binding in the path branch",
     "none (an engine bug): the /events timeline shows a decade as its first year; test marked xfail"),
    ("Virtuoso 7", "an allow-listed SERVICE is called by the engine; the anonymous SPARQL user then fails with "
     "SQ070 'Must have select privileges on view DB.DBA.SPARQL_SINV_2'",
     "none: SERVICE stays refused unless allow-listed; then the engine, not our server, makes the call"),
    ("Virtuoso 7", "typed literals are stored by value: 1.50 comes back as 1.5, true as 1 in JSON",
     "none: the values are equal; only the spelling differs from the embedded store"),
    ("Virtuoso 7", "SPARQL XML results write a literal's leading and trailing whitespace as plain text, which "
     "pyoxigraph's XML results parser (0.5) trims: the essay's text lost its last newline",
     "that whitespace is re-written as character references before parsing (_keep_edges), which parsers keep"),
    ("Oxigraph server", "the default graph is its own default graph, not the union, unless started with "
     "--union-default-graph", "none needed: we name the dataset in each request; union='engine' needs that flag"),
]

_BNODE_FIX = re.compile(rb"<bnode>([^<]*)</bnode>")
_LITERAL = re.compile(rb"(<literal(?:\s[^>]*)?>)([^<]*)(</literal>)")
_EDGE_SPACE = re.compile(rb"^[ \t\r\n]+|[ \t\r\n]+$")
_BNODE_OK = re.compile(rb"[A-Za-z0-9_\-]+")
_RETRYABLE = (http.client.RemoteDisconnected, http.client.CannotSendRequest, http.client.BadStatusLine,
              ConnectionResetError, BrokenPipeError, ConnectionAbortedError)


def _fix_bnode(m: re.Match) -> bytes:
    label = m.group(1)
    if _BNODE_OK.fullmatch(label):
        return m.group(0)
    safe = b"".join(bytes([c]) if chr(c).isalnum() and c < 128 else b"_%02x" % c for c in label)
    return b"<bnode>x" + safe + b"</bnode>"


def _keep_edges(m: re.Match) -> bytes:
    """A literal's leading/trailing whitespace as character references (see DIALECT_NOTES).

    >>> _keep_edges(_LITERAL.search(b"<literal> a b\\n</literal>"))
    b'<literal>&#32;a b&#10;</literal>'
    """
    text = _EDGE_SPACE.sub(lambda w: b"".join(b"&#%d;" % c for c in w.group()), m.group(2))
    return m.group(1) + text + m.group(3)


def engine_message(body: bytes, limit: int = 300) -> str:
    """The first line of an engine's error text (HTML tags dropped), trimmed: never the whole page."""
    text = re.sub(r"<[^>]+>", " ", body.decode("utf-8", "replace"))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    lines = [line for line in lines if line and not line.lower().startswith(("<!doctype", "error"))] or ["(no message)"]
    return lines[0][:limit]


def record_query(record: str) -> str:
    """SELECT the load record: each graph with its triple count, and the load time."""
    return f"""PREFIX sd: <http://www.w3.org/ns/sparql-service-description#>
PREFIX void: <http://rdfs.org/ns/void#> PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?g ?n ?t WHERE {{ GRAPH <{record}> {{ ?d dcterms:modified ?t ; sd:namedGraph ?ng .
  ?ng sd:name ?g . OPTIONAL {{ ?ng sd:graph/void:triples ?n }} }} }}"""


class RemoteTriples:
    """A CONSTRUCT/DESCRIBE answer: iterates ox.Triple and serialises, like pyoxigraph's QueryTriples."""

    def __init__(self, triples: list[ox.Triple]):
        self.triples = triples

    def __iter__(self) -> Iterator[ox.Triple]:
        return iter(self.triples)

    def __len__(self) -> int:
        return len(self.triples)

    def serialize(self, output=None, format: ox.RdfFormat = ox.RdfFormat.N_TRIPLES):
        return ox.serialize(self.triples, output, format=format)


class RemoteStore(ReadOnly):
    """The Store protocol (kg.store) over a SPARQL 1.1 query endpoint.

    ``url``: the query endpoint. ``record``: the load record's graph (``kg load --record``), or
    ``graphs``: our graphs given explicitly (then no record is read). ``timeout``: seconds per
    query (None: no limit; the web app sets it from QUERY_TIMEOUT). ``user``/``password``: HTTP
    Basic credentials for an endpoint that wants them.
    """

    #: queries run in the web process (no fork: sockets must not be shared); the socket timeout is the limit
    capabilities = Capabilities(forkable=False, enforces_timeout=True, functions=False)

    def __init__(self, url: str, *, record: str = LOAD_RECORD, graphs: Sequence[str] | None = None,
                 timeout: float | None = None, user: str | None = None, password: str | None = None,
                 connect_timeout: float = 5.0, union: str = "listed"):
        if union not in ("listed", "engine"):
            raise LoadError(f"union={union!r}: 'listed' (our graphs, named in each request) or 'engine' "
                            "(the engine's own default dataset)")
        self.union = union
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise LoadError(f"{url}: not an http(s) SPARQL endpoint URL")
        self.url, self.record, self.timeout = url, record, timeout
        self._parts = parts
        self._path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._auth = ("Basic " + base64.b64encode(f"{user}:{password or ''}".encode()).decode()) if user else None
        self._connect_timeout = connect_timeout
        self._local = threading.local()
        self._lock, self._conns = threading.Lock(), []  # every connection opened, to close them
        self._validator = ox.Store()  # empty: parses queries (see the module docstring)
        self.sources, self.load_seconds = [], 0.0
        try:
            if graphs is not None:
                self.graphs, self.loaded_at, self.recorded = sorted(graphs), time.time(), {}
            else:
                self._read_record()
        except StoreError as exc:
            raise LoadError(f"{url}: {exc}") from None
        if union == "listed" and len(self.graphs) > MAX_LISTED_GRAPHS:
            raise LoadError(f"{url}: {len(self.graphs)} graphs are too many to name in every request (engines slow "
                            "down with each, and Virtuoso answers with a header per graph); serve them with "
                            "union='engine' (KG_STORE_OPTIONS='{\"union\": \"engine\"}'), see docs/scaling.md")

    def _read_record(self) -> None:
        res = self._send(record_query(self.record), {}, "select", timeout=self._connect_timeout * 6)
        rows = [(s["g"].value, s["n"], s["t"].value) for s in res]
        if not rows:
            raise LoadError(f"{self.url}: no load record (graph <{self.record}>) on this endpoint; "
                            f"load the graph first: kg load --to {self.url}")
        self.graphs = sorted({g for g, _, _ in rows})
        self.recorded = {g: int(n.value) for g, n, _ in rows if n is not None}
        try:
            from datetime import datetime
            self.loaded_at = max(datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp() for _, _, t in rows)
        except ValueError:
            raise LoadError(f"{self.url}: the load record's dcterms:modified is not an xsd:dateTime") from None

    # -- the Store protocol --------------------------------------------------------------------
    def query(self, query: str, dataset: Dataset | None = None, *, union_default: bool = True,
              base_iri: str | None = None, inferred: bool = True, functions: dict | None = None):
        """Run a SPARQL query on the engine; SyntaxError for a query it or we cannot parse.
        ``functions`` cannot run on the engine (capabilities.functions is False): the caller refuses
        a query that calls them.

        ``inferred``: the engine holds an inferred graph only if one was loaded into it (``kg load``
        loads none); False leaves it out of the listed graphs."""
        local = self._validator.query(query, base_iri=base_iri)  # raises SyntaxError like the embedded store
        kind = ("ask" if isinstance(local, ox.QueryBoolean) else
                "select" if isinstance(local, ox.QuerySolutions) else "construct")
        params: list[tuple[str, str]] = []
        if dataset and (dataset.default_graphs is not None or dataset.named_graphs is not None):
            params += [("default-graph-uri", g) for g in dataset.default_graphs or [EMPTY_GRAPH]]
            params += [("named-graph-uri", g) for g in dataset.named_graphs or [EMPTY_GRAPH]]
        elif union_default and self.union == "listed":
            graphs = [g for g in self.graphs if inferred or g != INFERRED_GRAPH]
            params += [(k, g) for k in ("default-graph-uri", "named-graph-uri") for g in graphs or [EMPTY_GRAPH]]
        if base_iri:
            query = f"BASE <{base_iri}>\n{query}"
        return self._send(query, params, kind)

    def triple_count(self, graph: str | None = None) -> int:
        """Triples in one of our graphs, or in all of them (the load record's counts when it has them:
        counting millions of triples at every start-up is what made Virtuoso time out at 10M)."""
        if graph is None:  # graph by graph, so no request ever names them all
            return sum(self.recorded[g] if g in self.recorded else self.triple_count(g) for g in self.graphs)
        res = self.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }", Dataset([EMPTY_GRAPH], [graph]))
        return int(next(iter(res))["n"].value)

    def named_graphs(self) -> list[str]:
        return list(self.graphs)

    def dump(self, format: ox.RdfFormat = ox.RdfFormat.N_QUADS) -> bytes:
        """All our quads, one CONSTRUCT per graph (checked against the graph's count: no silent cuts)."""
        quads = []
        for g in self.graphs:
            triples = self._send(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{g}> {{ ?s ?p ?o }} }}",
                                 [], "construct", timeout=None)
            expected = self.triple_count(g)
            if len(triples) != expected:
                raise StoreError(f"the engine sent {len(triples)} of the {expected} triples of <{g}>: "
                                 "raise its result-row limit (Virtuoso: [SPARQL] ResultSetMaxRows)")
            gn = ox.NamedNode(g)
            quads.extend(ox.Quad(t.subject, t.predicate, t.object, gn) for t in triples)
        if format in QUAD_FORMATS:
            return ox.serialize(quads, format=format)
        return ox.serialize([q.triple for q in quads], format=format)

    # -- HTTP ----------------------------------------------------------------------------------
    def _connection(self, fresh: bool = False) -> http.client.HTTPConnection:
        """This thread's keep-alive connection (a new one after a fork: sockets must not be shared)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None and (fresh or self._local.pid != os.getpid()):
            if self._local.pid == os.getpid():
                conn.close()
            conn = None
        if conn is None:
            cls = http.client.HTTPSConnection if self._parts.scheme == "https" else http.client.HTTPConnection
            conn = cls(self._parts.hostname, self._parts.port, timeout=self._connect_timeout)
            self._local.conn, self._local.pid = conn, os.getpid()
            with self._lock:
                self._conns.append((os.getpid(), conn))
        return conn

    def close(self) -> None:
        """Close this process's connections (every thread's)."""
        with self._lock:
            mine = [c for pid, c in self._conns if pid == os.getpid()]
            self._conns = []
        for conn in mine:
            conn.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass

    def _send(self, query: str, params: Iterable[tuple[str, str]], kind: str, *, timeout: float | None = -1):
        """POST the query, return the parsed answer; errors become SyntaxError / StoreError / StoreTimeout."""
        limit = self.timeout if timeout == -1 else timeout
        body = urllib.parse.urlencode([("query", query), *params]).encode()
        accept = "application/n-triples" if kind == "construct" else "application/sparql-results+xml"
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": accept}
        if self._auth:
            headers["Authorization"] = self._auth
        t0 = time.monotonic()
        status, data, resp_headers = self._post(body, headers, limit)
        if limit and time.monotonic() - t0 > limit:
            raise StoreTimeout(f"the query ran longer than the {limit:g} s limit and was stopped")
        if "X-SQL-State" in resp_headers:  # Virtuoso's anytime-query flag: a partial answer
            raise StoreTimeout(f"the engine stopped the query at its own time limit "
                               f"({engine_message(resp_headers['X-SQL-State'].encode())})")
        if 400 <= status < 500:
            raise SyntaxError(f"the SPARQL engine refused the query: {engine_message(data)}")
        if status != 200:
            raise StoreError(f"the SPARQL engine failed ({status}): {engine_message(data)}")
        try:
            if kind == "construct":
                return RemoteTriples([q.triple for q in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)])
            data = _LITERAL.sub(_keep_edges, _BNODE_FIX.sub(_fix_bnode, data))
            res = ox.parse_query_results(data, format=ox.QueryResultsFormat.XML)
        except (SyntaxError, ValueError) as exc:
            raise StoreError(f"the SPARQL engine sent an answer we cannot read: {' '.join(str(exc).split())[:200]}") from None
        if kind == "ask" and isinstance(res, ox.QuerySolutions):
            return _as_boolean(res)
        return res

    def _post(self, body: bytes, headers: dict, limit: float | None) -> tuple[int, bytes, dict]:
        for attempt in (0, 1):
            conn = self._connection(fresh=attempt == 1)
            reused = conn.sock is not None
            try:
                if conn.sock is None:
                    conn.connect()
                conn.sock.settimeout(limit if limit else None)
                conn.request("POST", self._path, body, headers)
                resp = conn.getresponse()
                data = resp.read()
                if resp.getheader("Connection", "").lower() == "close" or resp.will_close:
                    conn.close()
                return resp.status, data, {k: v for k, v in resp.getheaders()}
            except (socket.timeout, TimeoutError):
                conn.close()
                if limit:
                    raise StoreTimeout(f"the query ran longer than the {limit:g} s limit and was stopped") from None
                raise StoreError(f"the SPARQL engine at {self.url} did not answer in time") from None
            except _RETRYABLE as exc:
                conn.close()
                if attempt == 0 and reused:  # the engine closed an idle keep-alive connection: once more
                    continue
                raise StoreError(f"the SPARQL engine at {self.url} closed the connection ({type(exc).__name__})") from None
            except OSError as exc:
                conn.close()
                raise StoreError(f"the SPARQL engine at {self.url} is unreachable ({exc.strerror or exc})") from None
        raise AssertionError("unreachable")


def _as_boolean(res: ox.QuerySolutions) -> ox.QueryBoolean:
    """An ASK answered as solutions (see DIALECT_NOTES) as the standard boolean."""
    first = next(iter(res), None)
    value = first is not None and (len(first) == 0 or first[0] is None or
                                   str(getattr(first[0], "value", first[0])).lower() in ("1", "true"))
    doc = ('<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#"><head/>'
           f"<boolean>{'true' if value else 'false'}</boolean></sparql>")
    return ox.parse_query_results(doc.encode(), format=ox.QueryResultsFormat.XML)
