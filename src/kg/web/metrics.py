"""Prometheus metrics at /metrics, with the official client library (prometheus_client).

What is counted (``kg_`` names; counters end in ``_total`` when exposed):

| metric | labels | what |
|---|---|---|
| ``kg_http_requests_total`` | route, method, status | every request answered (the route's rule, e.g. ``/page/<slug>``) |
| ``kg_http_request_duration_seconds`` | route | time to answer, histogram |
| ``kg_query_duration_seconds`` | form | SPARQL queries run (cache misses): engine + serialising, histogram |
| ``kg_query_timeouts_total`` | | queries stopped at QUERY_TIMEOUT |
| ``kg_query_rows_capped_total`` | | answers cut at MAX_ROWS |
| ``kg_text_search_capped_total`` | | text:search patterns cut at TEXT_MAX_HITS |
| ``kg_cache_lookups_total`` | cache, result | response/answer cache lookups, hit or miss: the hit rate |
| ``kg_write_duration_seconds`` | outcome | curated writes (SPARQL Update, Graph Store), histogram |
| ``kg_writes_total`` | outcome, status | writes acknowledged (ok, 200) or refused (the status: 403, 422, 503, ...) |
| ``kg_shacl_validations_total`` | outcome | /shacl requests: conforms, fails, refused (4xx), stopped (503) |
| ``kg_query_process_restarts_total`` | | query processes killed and replaced (timeouts, deaths) |
| ``kg_worker_restarts_total`` | | gunicorn workers that ended and were replaced (counted by the master) |
| ``kg_store_quads`` | | quads served (the newest any live worker has seen) |

Under gunicorn, when /metrics is served (``METRICS_BIND``, ``METRICS_TOKEN_FILE`` or ``METRICS_DIR``
given), the client library's multiprocess mode is on: ``server.py`` points
``PROMETHEUS_MULTIPROC_DIR`` at a private directory emptied at start (``METRICS_DIR``, else a fresh
temporary one removed at exit) before anything imports the library, every process writes its
values there, the master's ``child_exit`` hook marks dead workers and counts restarts, and a scrape
adds the files up. Without gunicorn (the Flask test client, another WSGI server) each app keeps
its own registry.

/metrics is not on the public path by default: it answers 404 unless ``METRICS_BIND`` gives it an
address of its own (``127.0.0.1:9108``: only /metrics is served there, no token needed; keep it
off public interfaces) or ``METRICS_TOKEN_FILE`` names a file holding the bearer token a scraper
must send (Prometheus: ``authorization: {credentials_file: ...}``).
"""
from __future__ import annotations

import hmac
import os
import time
from functools import lru_cache
from pathlib import Path

from werkzeug.exceptions import MethodNotAllowed, NotFound

__all__ = ["Metrics", "MetricsMiddleware", "multiprocess_dir", "child_exit", "LATENCY_BUCKETS"]

#: seconds: from a cached answer (a fraction of a millisecond) to the query time limit
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def _multiprocess() -> bool:
    from prometheus_client import values
    return values.ValueClass is not values.MutexValue


class Metrics:
    """The app's metric objects (see the module docstring for what each counts)."""

    def __init__(self):
        import prometheus_client as pc
        self.multiprocess = _multiprocess()
        reg = None if self.multiprocess else pc.CollectorRegistry()
        self.registry = reg
        self.requests = pc.Counter("kg_http_requests", "HTTP requests answered, by route, method and status",
                                   ["route", "method", "status"], registry=reg)
        self.request_seconds = pc.Histogram("kg_http_request_duration_seconds", "Seconds to answer a request, by route",
                                            ["route"], buckets=LATENCY_BUCKETS, registry=reg)
        self.query_seconds = pc.Histogram("kg_query_duration_seconds", "Seconds a SPARQL query ran (cache misses), "
                                          "engine and serialisation, by query form", ["form"], buckets=LATENCY_BUCKETS,
                                          registry=reg)
        self.timeouts = pc.Counter("kg_query_timeouts", "Queries stopped at the time limit (QUERY_TIMEOUT)", registry=reg)
        self.rows_capped = pc.Counter("kg_query_rows_capped", "Answers cut at MAX_ROWS", registry=reg)
        self.text_capped = pc.Counter("kg_text_search_capped", "text:search patterns cut at TEXT_MAX_HITS", registry=reg)
        self.cache = pc.Counter("kg_cache_lookups", "Lookups in the response and answer caches, hit or miss",
                                ["cache", "result"], registry=reg)
        self.write_seconds = pc.Histogram("kg_write_duration_seconds", "Seconds a curated write took, by outcome",
                                          ["outcome"], buckets=LATENCY_BUCKETS, registry=reg)
        self.writes = pc.Counter("kg_writes", "Curated writes, acknowledged or refused, by status",
                                 ["outcome", "status"], registry=reg)
        self.shacl = pc.Counter("kg_shacl_validations", "/shacl requests by outcome", ["outcome"], registry=reg)
        self.query_process_restarts = pc.Counter("kg_query_process_restarts", "Query processes killed and replaced",
                                                 registry=reg)
        self.worker_restarts = pc.Counter("kg_worker_restarts", "gunicorn workers that ended and were replaced",
                                          registry=reg)
        self.quads = pc.Gauge("kg_store_quads", "Quads served", registry=reg, multiprocess_mode="livemax")
        #: (cache, hit?) -> its counter, resolved once (the hot path skips .labels()); all four exist from
        #: the start, so the hit rate reads 0/0 before the first lookup rather than nothing
        self._query_seconds: dict[str, object] = {}  # form -> its histogram child (.labels() costs a lock)
        self.lookups = {(cache, hit): self.cache.labels(cache, "hit" if hit else "miss")
                        for cache in ("response", "answer") for hit in (True, False)}

    def query_seconds_of(self, form: str):
        """The query-time histogram of one query form (resolved once per form)."""
        child = self._query_seconds.get(form)
        if child is None:
            child = self._query_seconds[form] = self.query_seconds.labels(form)
        return child

    def exposition(self) -> tuple[bytes, str]:
        """The text a scrape gets, and its content type."""
        import prometheus_client as pc
        if self.multiprocess:
            from prometheus_client import multiprocess
            reg = pc.CollectorRegistry()
            multiprocess.MultiProcessCollector(reg)
        else:
            reg = self.registry
        return pc.generate_latest(reg), pc.CONTENT_TYPE_LATEST


class MetricsMiddleware:
    """Outermost WSGI layer: serves /metrics to whom may see it, counts and times every other request
    (only when /metrics is served: METRICS_BIND or METRICS_TOKEN_FILE).

    A request that came in on the ``METRICS_BIND`` listener (gunicorn sets SERVER_NAME/SERVER_PORT from
    the listening socket, never from the Host header) may only ask for /metrics."""

    def __init__(self, app, metrics: Metrics, url_map, *, bind: str | None, token_file: str | None):
        self.app, self.metrics, self.url_map = app, metrics, url_map
        self.listener = _listener(bind) if bind else None
        self.token = Path(token_file).read_text("utf-8").strip() if token_file else None
        if token_file is not None and not self.token:
            raise ValueError(f"METRICS_TOKEN_FILE {token_file}: the file is empty; put the scraper's token in it")
        self._route = lru_cache(maxsize=4096)(self._match)
        self._children: dict[tuple, tuple] = {}  # (route, method, status) -> its counter and histogram

    def __call__(self, environ, start_response):
        on_listener = self.listener is not None and (environ.get("SERVER_NAME"), environ.get("SERVER_PORT")) == self.listener
        path = environ.get("PATH_INFO", "")
        if path == "/metrics" or on_listener:
            return self._metrics(environ, start_response, on_listener and path == "/metrics", on_listener)
        if self.listener is None and self.token is None:  # not served: counting would cost ~7% of a query's time
            return self.app(environ, start_response)
        t0 = time.perf_counter()
        status = ["500"]

        def capture(st, headers, exc_info=None):
            status[0] = st.split(" ", 1)[0]
            return start_response(st, headers, exc_info)
        try:
            return self.app(environ, capture)
        finally:
            method = environ.get("REQUEST_METHOD", "GET")
            key = (self._route(path, method), method, status[0])
            children = self._children.get(key)
            if children is None:  # .labels() costs a lock and a lookup: once per label set
                children = self._children[key] = (self.metrics.requests.labels(*key),
                                                  self.metrics.request_seconds.labels(key[0]))
            children[0].inc()
            children[1].observe(time.perf_counter() - t0)

    def _match(self, path: str, method: str) -> str:
        """The route's rule (a bounded set of labels), or "(unmatched)"."""
        try:
            rule, _ = self.url_map.bind("localhost").match(path, method=method, return_rule=True)
            return rule.rule
        except (NotFound, MethodNotAllowed):
            return "(unmatched)"
        except Exception:  # a redirect (trailing slash) or anything else routing says
            return "(other)"

    def _metrics(self, environ, start_response, open_: bool, on_listener: bool):
        if not open_:
            given = environ.get("HTTP_AUTHORIZATION", "")
            scheme, _, token = given.partition(" ")
            if on_listener or self.token is None:  # not served here
                return _plain(start_response, "404 NOT FOUND", "404 Not Found: " + (
                    "this address serves /metrics only\n" if on_listener else "no such page\n"))
            if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), self.token.encode()):
                return _plain(start_response, "401 UNAUTHORIZED", "401 Unauthorized: /metrics needs the scraper's "
                              "bearer token (METRICS_TOKEN_FILE)\n", [("WWW-Authenticate", 'Bearer realm="metrics"')])
        body, ctype = self.metrics.exposition()
        start_response("200 OK", [("Content-Type", ctype), ("Content-Length", str(len(body))),
                                  ("Cache-Control", "no-store")])
        return [body]


def _plain(start_response, status: str, text: str, headers=()):
    body = text.encode()
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body))),
                            ("Cache-Control", "no-store"), *headers])
    return [body]


def _listener(bind: str) -> tuple[str, str]:
    """(host, port) as gunicorn puts them in SERVER_NAME/SERVER_PORT for a ``host:port`` bind."""
    host, _, port = bind.rpartition(":")
    return host.strip("[]") or "0.0.0.0", port


def multiprocess_dir(configured: str | None) -> Path:
    """The directory multiprocess mode writes into, emptied (a private 0700 directory; the given one
    must be a directory of ours, not a link, and its old *.db files are removed)."""
    import tempfile
    if not configured:
        return Path(tempfile.mkdtemp(prefix="kg-metrics-"))
    d = Path(configured)
    d.mkdir(mode=0o700, parents=True, exist_ok=True)
    if d.is_symlink() or not d.is_dir() or d.stat().st_uid != os.getuid():
        raise ValueError(f"METRICS_DIR {d}: not a directory of this user's (or a symbolic link); give another")
    os.chmod(d, 0o700)
    for f in d.glob("*.db"):
        f.unlink()
    return d


def child_exit(metrics: Metrics):
    """gunicorn's master hook (``child_exit``): a worker ended. Its live gauges go; a restart (the
    master still listens, so it forks a replacement; at shutdown it has closed its sockets) is counted."""
    def hook(server, worker) -> None:
        from prometheus_client import multiprocess
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # metrics served: the dead worker's live gauges go
            multiprocess.mark_process_dead(worker.pid)
        if getattr(server, "LISTENERS", None):
            metrics.worker_restarts.inc()
    return hook
