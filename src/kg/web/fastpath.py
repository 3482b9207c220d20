"""A response cache in front of Flask for repeated GET requests (what a caching proxy would do).

The same GET (same URL, same negotiation headers) gets the same bytes until the graph changes:
a restart, or (with the write path on) a change, after which the state clears the cache. Hits skip
Flask, the query and the serialisers. Only answers that carry an ETag (query results, the service
description) are kept; conditional requests and everything else go through the app as usual.
The bytes are kept in the state's one :class:`kg.web.state.AnswerCache` (one budget per process).
Under gunicorn the /sparql GETs are answered by query processes (kg.web.dispatch), and the web
worker keeps their answers itself, as written (``cached_by_worker``: this layer then stands aside).
"""
from __future__ import annotations

#: request headers the answer may depend on (Vary) and that therefore belong in the key
_KEY = ("PATH_INFO", "QUERY_STRING", "HTTP_ACCEPT", "HTTP_ORIGIN", "HTTP_HOST", "wsgi.url_scheme", "SCRIPT_NAME")
_PATHS = ("/sparql", "/sparql/")


class ResponseCache:
    def __init__(self, app, state):
        self.app, self.state = app, state  # kg.web.state.EndpointState: its cache and data version

    def __call__(self, environ, start_response):
        if (environ.get("REQUEST_METHOD") != "GET" or environ.get("PATH_INFO") not in _PATHS
                or "HTTP_IF_NONE_MATCH" in environ or "HTTP_IF_MODIFIED_SINCE" in environ
                or self.state.cached_by_worker):
            return self.app(environ, start_response)
        cache = self.state.cache
        key = ("response", self.state.version) + tuple(environ.get(k) for k in _KEY) + ("gzip" in environ.get("HTTP_ACCEPT_ENCODING", ""),)
        hit = cache.get(key)
        self.state.metrics.lookups["response", hit is not None].inc()
        if hit is not None:
            body, (status, headers) = hit
            start_response(status, list(headers))
            return [body]
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
        if status.startswith("200") and any(k.lower() == "etag" for k, _ in headers):
            cache.put(key, body, (status, tuple(headers)))
        return [body]


__all__ = ["ResponseCache"]
