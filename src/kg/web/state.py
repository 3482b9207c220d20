"""What the requests share, reached one way: ``current_state()``.

:class:`EndpointState` holds the store, its query executors, and every cache, keyed by the
store's data version (``Store.version()``): when the version changes (a curated write, or another
process's write seen by ``sync``), everything derived from the old data is dropped at once, so no
page can stay stale. There is one byte-bounded answer cache per process (:class:`AnswerCache`),
shared by the WSGI response cache and the query view; other derived values (the pages' catalog,
the reader model, statistics, the service description, the dump cache) are ``memo`` entries.
"""
from __future__ import annotations

import atexit
import hashlib
import threading
from collections import OrderedDict
from typing import Callable

from flask import current_app
from werkzeug.http import http_date

from ..store import Store
from .execute import execute
from .executor import TIMEOUT_ADVICE, ClientLimiter, QueryPool, WorkerWatchdog, timeout_message
from .metrics import Metrics

__all__ = ["EndpointState", "AnswerCache", "current_state", "EXTENSION"]

#: the key of the state in ``app.extensions``
EXTENSION = "kg"


def current_state() -> "EndpointState":
    """The state of the app handling this request (Flask's ``get_db()`` pattern)."""
    return current_app.extensions[EXTENSION]


class AnswerCache:
    """Finished answers, least recently used out first, bounded in bytes (one per process).

    Keys are tuples whose first item says who stored them (``"response"`` for whole WSGI
    responses, ``"answer"`` for query answers by ETag); values are (bytes, extra). Entries are
    only right for one data version: the state clears the cache when the version changes.
    """

    def __init__(self, max_bytes: int):
        self.max_bytes, self.size, self.items = max_bytes, 0, OrderedDict()
        self.lock = threading.Lock()

    def clear(self) -> None:
        with self.lock:
            self.items.clear()
            self.size = 0

    def get(self, key):
        """(body, extra) stored under ``key``, or None."""
        with self.lock:
            hit = self.items.get(key)
            if hit is None:
                return None
            self.items.move_to_end(key)
            return hit[0], hit[1]

    def put(self, key, body: bytes, extra) -> None:
        cost = len(body) + _key_size(key)  # the key counts too: a URL or an Accept header can be 8 KB
        if cost > self.max_bytes // 8:
            return
        with self.lock:
            if key in self.items:
                return
            self.items[key] = (body, extra, cost)
            self.size += cost
            while self.size > self.max_bytes:
                _, (_, _, old) = self.items.popitem(last=False)
                self.size -= old


class EndpointState:
    """The store, its executor pool, and the caches of its current data version."""

    def __init__(self, store: Store, config):
        self.store = store
        self.timeout = float(config["QUERY_TIMEOUT"])
        self.max_rows = int(config["MAX_ROWS"])
        self.cache = AnswerCache(int(config["RESULT_CACHE_MB"]) << 20)
        self.metrics = Metrics()
        self._memo: dict[str, object] = {}
        self._memo_lock = threading.RLock()
        self.refresh()
        self.pool = self.watchdog = None
        self.clients = ClientLimiter(config["CLIENT_QUERIES"])
        self.cached_by_worker = False  # a query process's app: the worker keeps the whole answers (dispatch.py)
        caps = store.capabilities
        if caps.enforces_timeout:  # e.g. a remote engine: in-process, its socket timeout is the limit
            store.timeout = self.timeout or None
        elif self.timeout > 0 and caps.forkable:
            self.pool = QueryPool(lambda job: execute(_synced(store), job), config["QUERY_PROCESSES"], self.timeout,
                                  memory_mb=config["QUERY_MEMORY_MB"], network=bool(config["SERVICE_ALLOWLIST"]),
                                  on_replace=self.metrics.query_process_restarts.inc)
            atexit.register(self.pool.close)
            if config["QUERY_ISOLATION"] == "worker":
                self.watchdog = WorkerWatchdog(self.timeout, on_overrun=self.metrics.timeouts.inc)

    # -- the data version and what depends on it ---------------------------------------------
    def refresh(self) -> None:
        """(Re)derive what depends on the store's content: after start-up and after each change."""
        store = self.store
        self.loaded_at = store.loaded_at
        self.last_modified = http_date(int(store.loaded_at))
        self.quads = store.triple_count()
        if hasattr(self, "metrics"):
            self.metrics.quads.set(self.quads)
        self.version = hashlib.blake2b(store.version().encode(), digest_size=8).hexdigest()
        with self._memo_lock:
            self._memo = {}
        self.cache.clear()

    def sync(self) -> bool:
        """Catch up with writes made by other processes; True (and caches dropped) if any were."""
        if self.store.sync():
            self.refresh()
            return True
        return False

    def memo(self, name: str, build: Callable[["EndpointState"], object]):
        """A value derived from the current data (built once per version and process)."""
        memo = self._memo
        if name not in memo:
            with self._memo_lock:
                memo = self._memo
                if name not in memo:
                    memo[name] = build(self)
        return memo[name]

    def search_index(self):
        """The full-text index (kg.search) of the current data: /search and text:search share it."""
        from .. import search
        return self.memo("search", lambda state: search.build(state.store))

    # -- running queries -----------------------------------------------------------------------
    def run(self, job: dict, sock=None, cors_origin: str | None = None, client: str | None = None):
        """Run a query job under the time limit (see executor.py for the two ways), at most
        CLIENT_QUERIES at once for one ``client`` (TooManyQueries past that)."""
        with self.clients.slot(client):
            if self.pool is None:  # QUERY_TIMEOUT=0 or a store that keeps its own limit: in-process
                return execute(self.store, job)
            if self.watchdog is not None and sock is not None:
                return self.watchdog.run(lambda j: execute(self.store, j), job, sock, self._timeout_reply(cors_origin))
            return self.pool.run(job)

    def _timeout_reply(self, cors_origin: str | None) -> bytes:
        body = f"503 Query Timeout: {timeout_message(self.timeout)}. {TIMEOUT_ADVICE}\n".encode()
        head = ["HTTP/1.1 503 Service Unavailable", "Content-Type: text/plain; charset=utf-8",
                f"Content-Length: {len(body)}", "Connection: close", "Retry-After: 1", "Cache-Control: no-store",
                "X-Content-Type-Options: nosniff"]
        if cors_origin:
            head.append(f"Access-Control-Allow-Origin: {cors_origin}")
        return ("\r\n".join(head) + "\r\n\r\n").encode() + body

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()


def _key_size(key) -> int:
    return sum(len(k) for k in key if isinstance(k, (str, bytes))) + 64


def _synced(store: Store) -> Store:
    """The store, caught up with any changes written since (a query process forked before them)."""
    store.sync()
    return store
