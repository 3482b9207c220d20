"""Cross-cutting HTTP behaviour: plain-text errors, CORS, gzip, conditional-request helpers."""
from __future__ import annotations

import gzip

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from ..store import StoreError

_EXPOSE = "ETag, Last-Modified, KG-Truncated, KG-Text-Truncated, Content-Length"


def error_response(status: int, message: str) -> Response:
    r = Response(message.rstrip() + "\n", status=status, mimetype="text/plain")
    r.headers["Cache-Control"] = "no-store"
    return r


def allowed_origin(app: Flask, origin: str | None) -> str | None:
    conf = app.config.get("CORS_ORIGINS") or ""
    origins = [o.strip() for o in conf.split(",")] if isinstance(conf, str) else list(conf)
    if "*" in origins:
        return "*"
    return origin if origin and origin in origins else None


def http_error(exc: HTTPException, body: Response | None = None) -> Response:
    """An HTTP error as plain text (or as ``body``), with the headers its status needs."""
    resp = body if body is not None else error_response(exc.code or 500, f"{exc.code} {exc.name}: {exc.description}")
    if exc.code == 405 and getattr(exc, "valid_methods", None):
        resp.headers["Allow"] = ", ".join(exc.valid_methods)
    if getattr(exc, "www_authenticate", None):  # 401/403 from the write path (RFC 6750)
        resp.headers["WWW-Authenticate"] = exc.www_authenticate
    return resp


def install(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        return http_error(exc)

    @app.errorhandler(StoreError)
    def _store_error(exc: StoreError):  # a remote engine down, failing or too slow (pages, dumps)
        return error_response(exc.status, f"{exc.status} {'Bad Gateway' if exc.status == 502 else 'Service Unavailable'}: {exc}")

    @app.errorhandler(Exception)
    def _crash(exc: Exception):  # log it; the client gets no stack trace
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
        origin = allowed_origin(app, request.headers.get("Origin"))
        if origin and "Access-Control-Allow-Origin" not in resp.headers:
            resp.headers["Access-Control-Allow-Origin"] = origin
            resp.headers["Access-Control-Expose-Headers"] = _EXPOSE
            if origin != "*":
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


__all__ = ["install", "error_response", "allowed_origin"]
