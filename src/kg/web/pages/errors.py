"""HTTP errors as pages in the site's layout for browsers; plain text, as before, for everyone else."""
from __future__ import annotations

from flask import make_response, render_template, request
from werkzeug.exceptions import HTTPException

from ..http import http_error
from .base import bp, search_index


def wants_html() -> bool:
    """A browser asking (text/html preferred to text/plain; curl's */* gets plain text)."""
    accept = request.accept_mimetypes
    return accept.best_match(["text/plain", "text/html"]) == "text/html" and accept["text/html"] > accept["text/plain"]


@bp.app_errorhandler(HTTPException)
def error_page(exc: HTTPException):
    if not wants_html() or request.method not in ("GET", "HEAD"):
        return http_error(exc)
    hits = []
    if exc.code == 404:   # suggestions from the words of the address
        words = " ".join(w for w in request.path.replace("-", " ").replace("/", " ").split() if len(w) > 2)[:100]
        hits = [h.iri for h in search_index().search(words, 8)] if words else []
    body = render_template("error.html", code=exc.code, name=exc.name, description=exc.description, hits=hits)
    resp = make_response(body, exc.code or 500)
    resp.headers["Content-Type"] = "text/html; charset=utf-8"
    resp.headers["Cache-Control"] = "no-store"
    return http_error(exc, resp)


__all__ = ["error_page", "wants_html"]
