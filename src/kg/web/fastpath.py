"""A response cache in front of Flask for repeated GET requests (what a caching proxy would do).

The same GET (same URL, same negotiation headers) gets the same bytes until the graph changes:
a restart, or (with the write path on) a change, after which the cache is cleared. Hits skip Flask, the query and the serialisers. Only
answers that carry an ETag (query results, the service description, dumps) are kept;
conditional requests and everything else go through the app as usual.
"""
from __future__ import annotations

import threading
from collections import OrderedDict

#: request headers the answer may depend on (Vary) and that therefore belong in the key
_KEY = ("PATH_INFO", "QUERY_STRING", "HTTP_ACCEPT", "HTTP_ORIGIN", "HTTP_HOST", "wsgi.url_scheme", "SCRIPT_NAME")
_PATHS = ("/sparql", "/sparql/")


class ResponseCache:
    def __init__(self, app, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes
        self.items: OrderedDict = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()

    def clear(self) -> None:
        """Forget every answer (the graph changed: see kg.web.writes.SyncMiddleware)."""
        with self.lock:
            self.items.clear()
            self.size = 0

    def __call__(self, environ, start_response):
        if (environ.get("REQUEST_METHOD") != "GET" or environ.get("PATH_INFO") not in _PATHS
                or "HTTP_IF_NONE_MATCH" in environ or "HTTP_IF_MODIFIED_SINCE" in environ):
            return self.app(environ, start_response)
        key = tuple(environ.get(k) for k in _KEY) + ("gzip" in environ.get("HTTP_ACCEPT_ENCODING", ""),)
        with self.lock:
            hit = self.items.get(key)
            if hit is not None:
                self.items.move_to_end(key)
        if hit is not None:
            start_response(hit[0], list(hit[1]))
            return [hit[2]]
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return start_response(status, headers, exc_info)

        body_iter = self.app(environ, capture)
        try:
            body = b"".join(body_iter)
        finally:
            if hasattr(body_iter, "close"):
                body_iter.close()
        status, headers = captured.get("status", ""), captured.get("headers", [])
        if status.startswith("200") and any(k.lower() == "etag" for k, _ in headers) and len(body) <= self.max_bytes // 8:
            with self.lock:
                if key not in self.items:
                    self.items[key] = (status, tuple(headers), body)
                    self.size += len(body)
                    while self.size > self.max_bytes:
                        _, old = self.items.popitem(last=False)
                        self.size -= len(old[2])
        return [body]


__all__ = ["ResponseCache"]
