"""The web application: ``create_app()`` builds it, blueprints add the pages.

>>> app = create_app({"STORE": OxigraphStore(), "QUERY_TIMEOUT": 0})
>>> app.test_client().get("/sparql?query=ASK{}", headers={"Accept": "application/sparql-results+json"}).json
{'head': {}, 'boolean': True}
"""
from __future__ import annotations

import atexit
import hashlib
import threading
from collections import OrderedDict
from pathlib import Path

from flask import Flask
from werkzeug.http import http_date

from ..sources import SourceFile
from ..curated import CuratedStore
from ..namespaces import GRAPH
from ..store import OxigraphStore, Store, open_store
from . import http, limits
from .execute import execute
from .executor import QueryPool, WorkerWatchdog
from .fastpath import ResponseCache
from .writes import WRITE_DEFAULTS

DEFAULTS = {**limits.DEFAULTS, **http.CORS_DEFAULTS, **WRITE_DEFAULTS,
            "READ_TOKEN_REQUIRED": False,  # True: every request needs a token (read role or better)
            "SOURCES": None,               # None: kg.sources.default_sources(); else "path[=graph]" items
            "STORE": None,                 # a ready Store (tests, bench), or a spec for kg.store.open_store:
                                           # "memory" (default), an on-disk store's directory, an http(s) URL
            "STORE_OPTIONS": {},           # keyword arguments for a remote store (kg.remote.RemoteStore)
            "RESULT_CACHE_MB": 32,
            "QUERY_ISOLATION": "process",  # "process": killable query processes; "worker": in a gunicorn
                                           # sync worker, ended on overrun (serving.py picks it for --threads 1)         # finished answers kept per worker process (0: none)
            "JSON_SORT_KEYS": False}


class EndpointState:
    """What the requests share: the store, its executor pool and cached figures."""

    def __init__(self, store: Store, config):
        self.store = store
        self.timeout = float(config["QUERY_TIMEOUT"])
        self.max_rows = int(config["MAX_ROWS"])
        self.cache = ResultCache(int(config["RESULT_CACHE_MB"]) << 20)
        self.refresh()
        self.pool = self.watchdog = None
        if getattr(store, "remote", False):  # a remote engine: in-process, its socket timeout is the limit
            store.timeout = self.timeout or None
        elif self.timeout > 0:
            self.pool = QueryPool(lambda job: execute(_synced(store), job), config["QUERY_PROCESSES"], self.timeout)
            atexit.register(self.pool.close)
            if config["QUERY_ISOLATION"] == "worker":
                self.watchdog = WorkerWatchdog(self.timeout)

    def refresh(self, app=None) -> None:
        """(Re)derive what depends on the store's content: after start-up and after each change."""
        store = self.store
        self.loaded_at = store.loaded_at
        self.last_modified = http_date(int(store.loaded_at))
        self.quads = store.triple_count()
        self.version = hashlib.blake2b(f"{store.loaded_at}:{getattr(store, 'seq', 0)}:{self.quads}".encode(),
                                       digest_size=8).hexdigest()
        self.stats = None
        self.sd_cache: dict = {}
        self.dumps = None  # kg.web.dumps.DumpCache, made on first need
        self.cache.clear()
        if app is not None:
            app.extensions.pop("kg_pages", None)  # the pages' catalog
            if app.extensions.get("kg_response_cache") is not None:
                app.extensions["kg_response_cache"].clear()

    def run(self, job: dict, sock=None, cors_origin: str | None = None):
        """Run a query job under the time limit (see executor.py for the two ways)."""
        if self.pool is None:  # QUERY_TIMEOUT=0: in-process, no time limit
            return execute(self.store, job)
        if self.watchdog is not None and sock is not None:
            return self.watchdog.run(lambda j: execute(self.store, j), job, sock, self._timeout_reply(cors_origin))
        return self.pool.run(job)

    def _timeout_reply(self, cors_origin: str | None) -> bytes:
        body = (f"503 Query Timeout: the query ran longer than the {self.timeout:g} s limit and was stopped. "
                "Narrow the query (LIMIT, more specific patterns) or ask the operator to raise QUERY_TIMEOUT.\n").encode()
        head = ["HTTP/1.1 503 Service Unavailable", "Content-Type: text/plain; charset=utf-8",
                f"Content-Length: {len(body)}", "Connection: close", "Retry-After: 1", "Cache-Control: no-store"]
        if cors_origin:
            head.append(f"Access-Control-Allow-Origin: {cors_origin}")
        return ("\r\n".join(head) + "\r\n\r\n").encode() + body

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()


def _synced(store):
    """The store, caught up with any changes written since (a query process forked before them)."""
    sync = getattr(store, "sync", None)
    if sync is not None:
        sync()
    return store


class ResultCache:
    """Finished answers by ETag, least recently used out first, bounded in bytes (per process).

    The store is read-only while served, so an answer stays right until the server restarts.
    """

    def __init__(self, max_bytes: int):
        self.max_bytes, self.size, self.items = max_bytes, 0, OrderedDict()
        self.lock = threading.Lock()

    def clear(self) -> None:
        with self.lock:
            self.items.clear()
            self.size = 0

    def get(self, key: str):
        with self.lock:
            hit = self.items.get(key)
            if hit is not None:
                self.items.move_to_end(key)
            return hit

    def put(self, key: str, body: bytes, extra: dict) -> None:
        if len(body) > self.max_bytes // 8:
            return
        with self.lock:
            if key in self.items:
                return
            self.items[key] = (body, extra)
            self.size += len(body)
            while self.size > self.max_bytes:
                _, (old, _) = self.items.popitem(last=False)
                self.size -= len(old)


def parse_sources(value) -> list[SourceFile] | None:
    """SOURCES as given in config or KG_SOURCES: SourceFile, (path, graph) or "path[=graph]"."""
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else value
    out = []
    for item in items:
        if isinstance(item, SourceFile):
            out.append(item)
        elif isinstance(item, (tuple, list)):
            out.append(SourceFile(Path(item[0]), item[1] if len(item) > 1 else ""))
        else:
            path, _, graph = str(item).strip().partition("=")
            out.append(SourceFile(Path(path), graph or Path(path).resolve().as_uri()))
    return out


def create_app(config: dict | None = None, *, from_env: bool = False) -> Flask:
    """The Flask app. ``config`` overrides the defaults; ``from_env`` reads ``KG_*`` variables."""
    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    if from_env:
        app.config.from_prefixed_env("KG")
    if config:
        app.config.update(config)
    writes = bool(app.config["ALLOW_UPDATE"])
    store = app.config["STORE"]
    if writes and not isinstance(store, CuratedStore):
        store = _curated_store(app.config)
    elif store is None or isinstance(store, (str, Path)):
        store = open_store(store, sources=parse_sources(app.config["SOURCES"]), **app.config["STORE_OPTIONS"])
    app.extensions["kg"] = EndpointState(store, app.config)
    http.install(app)
    from .sparql import bp as sparql_bp
    app.register_blueprint(sparql_bp)
    from .graph_store import bp as graph_store_bp  # /rdf-graph-store: reads always, writes with ALLOW_UPDATE
    app.register_blueprint(graph_store_bp)
    from .dumps import bp as dumps_bp  # /dumps/ and /context.jsonld
    app.register_blueprint(dumps_bp)
    from .pages import bp as pages_bp  # linked-data pages, the home page, the query UI
    app.register_blueprint(pages_bp)
    if writes or app.config["READ_TOKEN_REQUIRED"]:
        from . import writes as write_path
        write_path.install(app)
    if app.config["RESULT_CACHE_MB"] and not app.config["READ_TOKEN_REQUIRED"]:
        app.wsgi_app = app.extensions["kg_response_cache"] = ResponseCache(
            app.wsgi_app, int(app.config["RESULT_CACHE_MB"]) << 20)
    if writes:
        app.wsgi_app = write_path.SyncMiddleware(app.wsgi_app, app)
    return app


def _writable_prefix(value: str | None) -> str:
    """WRITABLE_GRAPHS: an IRI prefix; unset = the project's graph/ namespace; "*" = any graph."""
    return "" if value == "*" else (value or str(GRAPH))


def _curated_store(config) -> CuratedStore:
    """The durable, writable store ALLOW_UPDATE needs: its state directory and tokens must be set."""
    missing = [k for k in ("STATE_DIR", "TOKENS") if not config.get(k)]
    if missing:
        raise ValueError(f"ALLOW_UPDATE needs {' and '.join(missing)}: a state directory for the journal "
                         "(--state-dir) and a tokens file (--tokens; make one with `kg token add NAME`)")
    if config["STORE"] is not None:
        raise ValueError("ALLOW_UPDATE serves the in-memory store kept in STATE_DIR; it cannot write to "
                         f"the store {config['STORE']!r}")
    return CuratedStore(config["STATE_DIR"], parse_sources(config["SOURCES"]),
                        writable_prefix=_writable_prefix(config["WRITABLE_GRAPHS"]),
                        allow_default_graph=bool(config["WRITE_DEFAULT_GRAPH"]))


__all__ = ["create_app", "EndpointState", "parse_sources", "DEFAULTS"]
