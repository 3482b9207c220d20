"""Cross-cutting HTTP behaviour: plain-text errors, security headers, CORS, gzip, the base IRI,
who a client is."""
from __future__ import annotations

import gzip
import logging
import re
from functools import lru_cache

from flask import Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from ..store import StoreError
from . import limits
from .executor import memory_message

EXPOSE = "ETag, Last-Modified, KG-Truncated, KG-Text-Truncated, Content-Length"

#: headers every answer carries, whatever it is (docs/security.md)
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY"}
#: pages: scripts, images and requests from this site only (YASGUI, cytoscape.js and dagre are vendored;
#: JSON-LD and the pages' data sit in <script type="application/json"> blocks, which do not run; no
#: inline script, no eval, no javascript: URL). Inline *styles* are allowed: cytoscape.js and YASGUI
#: set style attributes as they draw, and a style cannot run code (pages escape all they show).
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
            "frame-ancestors 'none'")
#: everything else (answers, dumps, errors as text): nothing in it may run, load or be framed
DATA_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox"


_TOKENS = re.compile(r"kgt_[A-Za-z0-9_\-]+|(?<=[?&;\s])(access_token|token)=[^&\s\"']*|(?i:bearer)\s+[^\s\"',]+")


def scrub_tokens(text: str) -> str:
    """``text`` with every credential it may hold replaced by ``[redacted]``: our tokens (``kgt_...``),
    ``access_token=`` / ``token=`` parameters and ``Bearer`` credentials. Every log line passes
    through it (kg.web.worker.ScrubbingLogger, the app's logger).

    >>> scrub_tokens('GET /sparql?access_token=abc&q=1 HTTP/1.1 "Bearer xyz" kgt_Q2x-_9')
    'GET /sparql?access_token=[redacted]&q=1 HTTP/1.1 "Bearer [redacted]" kgt_[redacted]'
    """
    if "kgt_" not in text and "token=" not in text and "earer" not in text and "EARER" not in text:
        return text
    return _TOKENS.sub(_redact, text)


def _redact(m: re.Match) -> str:
    t = m.group()
    if t.startswith("kgt_"):
        return "kgt_[redacted]"
    if "=" in t:
        return t.split("=", 1)[0] + "=[redacted]"
    return t.split(None, 1)[0] + " [redacted]"


def status_line(status: int) -> str:
    """``"404 Not Found"``: how every error body of ours begins."""
    return f"{status} {HTTP_STATUS_CODES.get(status, 'Error')}"


def error_response(status: int, message: str) -> Response:
    r = Response(message.rstrip() + "\n", status=status, mimetype="text/plain")
    r.headers["Cache-Control"] = "no-store"
    return r


def base_iri(path: str) -> str:
    """The IRI relative IRIs in a request resolve against: PUBLIC_URL + ``path``, never the Host
    header (which any client sets)."""
    return (current_app.config.get("PUBLIC_URL") or "http://localhost").rstrip("/") + path


def public_root() -> str:
    """The service's root URL as answers name it (the service description, the dumps list):
    PUBLIC_URL when the operator set it, else the URL the request came to."""
    url = current_app.config.get("PUBLIC_URL")
    return url.rstrip("/") + "/" if url else request.url_root


def client() -> str:
    """Who this request comes from, for per-client limits (kg.web.limits.client_key)."""
    return limits.client_key(request.remote_addr, request.headers.get("X-Forwarded-For"),
                             current_app.config.get("TRUSTED_PROXIES") or ())


def allowed_origin(app: Flask, origin: str | None) -> str | None:
    conf = app.config.get("CORS_ORIGINS") or ""
    origins = _origins(conf) if isinstance(conf, str) else tuple(conf)
    if "*" in origins:
        return "*"
    return origin if origin and origin in origins else None


@lru_cache(maxsize=16)
def _origins(conf: str) -> tuple[str, ...]:
    return tuple(o.strip() for o in conf.split(","))


def http_error(exc: HTTPException, body: Response | None = None) -> Response:
    """An HTTP error as plain text (or as ``body``), with the headers its status needs."""
    resp = body if body is not None else error_response(exc.code or 500, f"{exc.code} {exc.name}: {exc.description}")
    if exc.code == 405 and getattr(exc, "valid_methods", None):
        resp.headers["Allow"] = ", ".join(exc.valid_methods)
    if getattr(exc, "www_authenticate", None):  # 401/403 from the write path (RFC 6750)
        resp.headers["WWW-Authenticate"] = exc.www_authenticate
    return resp


class ScrubFilter(logging.Filter):
    """A logging filter that redacts credentials (:func:`scrub_tokens`) from every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = scrub_tokens(message)
        if clean != message:
            record.msg, record.args = clean, ()
        return True


def install(app: Flask) -> None:
    app.logger.addFilter(ScrubFilter())
    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        return http_error(exc)

    @app.errorhandler(StoreError)
    def _store_error(exc: StoreError):  # a remote engine down, failing or too slow (pages, dumps)
        return error_response(exc.status, f"{exc.status} {'Bad Gateway' if exc.status == 502 else 'Service Unavailable'}: {exc}")

    @app.errorhandler(MemoryError)
    def _memory(exc: MemoryError):  # past QUERY_MEMORY_MB in a query process (dispatch.py, kg.sandbox)
        r = error_response(503, f"503 Service Unavailable: {memory_message(float(app.config['QUERY_MEMORY_MB']))}")
        r.headers["Retry-After"] = "1"
        return r

    @app.errorhandler(Exception)
    def _crash(exc: Exception):  # log it; the client gets no stack trace
        if type(exc).__module__.startswith("gunicorn.http"):  # a body the client framed wrongly (chunked, length)
            return error_response(400, f"400 Bad Request: the request body could not be read ({type(exc).__name__}); "
                                       "send it with a Content-Length or as well-formed chunks")
        app.logger.exception("unhandled error")
        return error_response(500, "500 Internal Server Error: the server failed; the error was logged")

    @app.before_request
    def _preflight():
        if request.method == "OPTIONS" and request.headers.get("Access-Control-Request-Method"):
            resp = Response(status=204)
            origin = allowed_origin(app, request.headers.get("Origin"))
            if origin:
                resp.headers["Access-Control-Allow-Origin"] = origin
                resp.headers["Access-Control-Allow-Methods"] = (
                    "GET, HEAD, POST, PUT, DELETE, OPTIONS" if app.config.get("ALLOW_UPDATE") else "GET, HEAD, POST, OPTIONS")
                resp.headers["Access-Control-Allow-Headers"] = request.headers.get(
                    "Access-Control-Request-Headers", "Content-Type, Accept, Authorization")
                resp.headers["Access-Control-Max-Age"] = str(app.config["CORS_MAX_AGE"])
            resp.vary.add("Origin")
            return resp
        return None

    @app.after_request
    def _headers(resp: Response):
        present = {name.lower() for name, _ in resp.headers.items()}  # one pass, not one scan per header
        add = [(name, value) for name, value in SECURITY_HEADERS.items() if name.lower() not in present]
        if "content-security-policy" not in present:
            add.append(("Content-Security-Policy", PAGE_CSP if resp.mimetype == "text/html" else DATA_CSP))
        origin = allowed_origin(app, request.headers.get("Origin"))
        if origin and "access-control-allow-origin" not in present:
            add += [("Access-Control-Allow-Origin", origin), ("Access-Control-Expose-Headers", EXPOSE)]
        resp.headers.extend(add)
        if origin and origin != "*" and "access-control-allow-origin" not in present:
            resp.vary.add("Origin")
        return _gzip(app, resp)


def _gzip(app: Flask, resp: Response) -> Response:
    if (resp.direct_passthrough or resp.status_code < 200 or resp.status_code in (204, 304)
            or "Content-Encoding" in resp.headers or request.method == "HEAD"):
        return resp
    data = resp.get_data()
    if len(data) < app.config["GZIP_MIN_SIZE"]:
        return resp
    resp.vary.add("Accept-Encoding")
    if request.accept_encodings["gzip"] <= 0:
        return resp
    resp.set_data(gzip.compress(data, compresslevel=app.config["GZIP_LEVEL"], mtime=0))
    resp.headers["Content-Encoding"] = "gzip"
    if resp.headers.get("ETag"):  # a different representation needs a different tag
        tag, weak = resp.get_etag()
        resp.set_etag(tag + "-gz", weak)
    return resp


__all__ = ["EXPOSE", "install", "error_response", "allowed_origin", "http_error", "status_line", "scrub_tokens", "ScrubFilter", "base_iri", "public_root", "client",
           "SECURITY_HEADERS", "PAGE_CSP", "DATA_CSP"]
