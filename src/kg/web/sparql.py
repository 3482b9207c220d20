"""/sparql: the SPARQL 1.1 Protocol (query by GET, form POST, direct POST), its Service
Description, a plain query page for browsers, dumps and /healthz."""
from __future__ import annotations

import hashlib
import time
from functools import lru_cache

from flask import Blueprint, Response, current_app, make_response, render_template_string, request
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header
from werkzeug.exceptions import BadRequest, NotAcceptable

from . import conneg, limits, text_query
from .executor import TIMEOUT_ADVICE, PoolBusy, QueryTimeout, TooManyQueries
from .http import allowed_origin, base_iri, client, error_response, public_root, status_line
from .protocol import one as _one, params as _params, scan
from .service_description import render
from .state import current_state as _state

bp = Blueprint("sparql", __name__)

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>SPARQL endpoint</title>
<link rel="alternate" type="text/turtle" href="{{ url }}?format=turtle">
<link rel="alternate" type="application/ld+json" href="{{ url }}?format=jsonld"></head><body>
<h1>SPARQL endpoint</h1>
<form method="get" action="{{ url }}"><p><label for="query">Query</label><br>
<textarea id="query" name="query" rows="14" cols="90">{{ query }}</textarea></p>
<p><label for="format">Answer as</label> <select id="format" name="format">
{% for f in formats %}<option value="{{ f.name }}">{{ f.name }} ({{ f.media_type }})</option>{% endfor %}
</select> <button type="submit">Run</button></p></form>
<p>Service description: <a href="{{ url }}?format=turtle">Turtle</a>, <a href="{{ url }}?format=jsonld">JSON-LD</a>,
<a href="{{ url }}?format=rdfxml">RDF/XML</a>. Default graph: the union of the named graphs
({{ graphs|join(", ") }}). Read-only; at most {{ max_rows }} rows per answer; {{ timeout }} s per query.</p>
</body></html>"""
DEFAULT_QUERY = "SELECT ?class (COUNT(?s) AS ?n)\nWHERE { ?s a ?class }\nGROUP BY ?class\nORDER BY DESC(?n)\nLIMIT 25"


def _negotiate(kinds: tuple[str, ...], fmt_params: list[str]) -> conneg.Format:
    """``format`` parameters naming one of our formats win (conneg.requested); else the Accept header."""
    try:
        fmt = conneg.requested(fmt_params, kinds)
    except conneg.Conflict as exc:
        raise BadRequest(str(exc)) from None
    if fmt is not None:
        return fmt
    accept = request.headers.get("Accept", "")
    fmt = (_negotiate_header(accept, kinds) if len(accept) <= 512  # a cache keyed by short headers only
           else conneg.negotiate(parse_accept_header(accept, MIMEAccept), kinds))
    if fmt is None:
        raise NotAcceptable(f"none of the types in Accept: {limits.shown(request.headers.get('Accept'), 200)} is offered here; "
                            f"offered: {conneg.offered_list(kinds)} (or use ?format=)")
    return fmt


@lru_cache(maxsize=512)
def _negotiate_header(accept: str, kinds: tuple[str, ...]) -> conneg.Format | None:
    return conneg.negotiate(parse_accept_header(accept, MIMEAccept), kinds)


@bp.route("/sparql", methods=["GET", "POST"])
@bp.route("/sparql/", methods=["GET", "POST"])
def sparql():
    state = _state()
    params = _params()
    query = _one(params.get("query", []), "query")
    update = _one(params.get("update", []), "update")
    fmt_params = params.get("format", [])
    if query is not None and update is not None:
        raise BadRequest("give either 'query' or 'update', not both")
    if update is not None:
        return _update(update, params)
    if query is None:
        return _description(fmt_params)
    limits.check_length(query, current_app.config["MAX_QUERY_LENGTH"])
    info = scan(query)
    limits.check_nesting(info.depth, current_app.config["MAX_NESTING"])
    limits.check_services(info.services, current_app.config["SERVICE_ALLOWLIST"])
    if info.update_ops and info.form is None:
        raise BadRequest(f"this is an update ({info.update_ops[0]}), sent as a query; "
                         "updates are disabled on this endpoint")
    text_search, text_matches = text_query.uses(info.iris)
    if text_matches and not state.store.capabilities.functions:
        raise BadRequest("text:matches runs on the embedded stores only, and this endpoint fronts another "
                         "SPARQL engine; use the text:search pattern instead (answered from the index before "
                         'the engine sees the query): ?s text:search "words" .')
    defaults = limits.graph_iris(params.get("default-graph-uri", []), "default-graph-uri")
    named = limits.graph_iris(params.get("named-graph-uri", []), "named-graph-uri")
    dataset = (defaults or None, named or None) if (defaults or named) else None
    inferred = _infer(_one(params.get("infer", []), "infer"))
    kinds = ("graph",) if info.form in ("CONSTRUCT", "DESCRIBE") else ("results",)
    fmt = _negotiate(kinds, fmt_params)
    job = {"query": query, "dataset": dataset, "union": not info.has_from,
           "base": base_iri(request.path),  # relative IRIs: the endpoint's configured URL, never the Host header
           "results": fmt.name if kinds == ("results",) else "json",
           "graph": fmt.name if kinds == ("graph",) else "turtle",
           "max_rows": state.max_rows, "inferred": inferred, "functions": text_matches}
    etag = _etag(state.version, job)
    if request.method in ("GET", "HEAD") and _not_modified(etag, state.loaded_at):
        return _conditional_304(etag, state)
    cached = state.cache.get(("answer", etag))
    state.metrics.lookups["answer", cached is not None].inc()
    if cached is not None:
        return _answer(cached[0], cached[1], fmt, etag, state)
    note = None
    if text_search:  # the text:search patterns become VALUES blocks of the index's hits (text_query.py)
        try:
            rewritten = text_query.rewrite(query, state.search_index(), max_hits=current_app.config["TEXT_MAX_HITS"])
        except text_query.TextQueryError as exc:
            raise BadRequest(str(exc)) from None
        job, note = {**job, "query": rewritten.query}, rewritten.note()
        if note:
            state.metrics.text_capped.inc(len(rewritten.truncated))
    started = time.perf_counter()
    try:
        if state.watchdog is not None:  # the worker may have to answer 503 itself: with the CORS header
            answer = state.run(job, request.environ.get("gunicorn.socket"),
                               allowed_origin(current_app, request.headers.get("Origin")), client=client())
        else:
            answer = state.run(job, client=client() if state.clients.per_client else None)
    except TooManyQueries as exc:
        r = error_response(429, f"429 Too Many Requests: {exc}")
        r.headers["Retry-After"] = "1"
        return r
    except QueryTimeout as exc:
        state.metrics.timeouts.inc()
        r = error_response(503, f"503 Query Timeout: {exc}. {TIMEOUT_ADVICE}")
        r.headers["Retry-After"] = "1"
        return r
    except PoolBusy as exc:
        r = error_response(503, f"503 Service Unavailable: {exc}; try again shortly")
        r.headers["Retry-After"] = "1"
        return r
    if answer[0] == "error":
        r = error_response(answer[1], f"{status_line(answer[1])}: {answer[2]}")
        if answer[1] == 503:
            r.headers["Retry-After"] = "1"
        return r
    _, body, extra = answer
    state.metrics.query_seconds_of(extra.get("form", info.form or "")).observe(time.perf_counter() - started)
    if "truncated" in extra:
        state.metrics.rows_capped.inc()
    if note:
        extra = {**extra, "text_truncated": note}
    if extra.get("form") in ("CONSTRUCT",) and fmt.kind != "graph" or extra.get("form") in ("SELECT", "ASK") and fmt.kind != "results":
        return error_response(400, "400 Bad Request: could not tell the query form before running it")
    state.cache.put(("answer", etag), body, extra)
    return _answer(body, extra, fmt, etag, state)


#: the ``infer`` parameter (as GraphDB's): false leaves the inferred graph out of the dataset
_INFER = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def _infer(value: str | None) -> bool:
    if value is None:
        return True
    if value.strip().lower() not in _INFER:
        raise BadRequest(f"infer={limits.shown(value)}: give infer=true (the default: the inferred graph is part of the "
                         "dataset) or infer=false (the stated triples only)")
    return _INFER[value.strip().lower()]


def _etag(version: str, job: dict) -> str:
    """The answer's ETag: the data version and every field of the job, hashed as they are (a repr of
    the sorted job, as before, cost 0.1-0.3 ms per request for a query of a few KB; this, microseconds).

    >>> a = _etag("v1", {"query": "ASK {}", "dataset": None})
    >>> a == _etag("v1", {"dataset": None, "query": "ASK {}"}), a == _etag("v2", {"query": "ASK {}", "dataset": None})
    (True, False)
    >>> _etag("v", {"query": "a", "base": "b"}) == _etag("v", {"query": "a\\x00base\\x00b"})
    False
    """
    h = hashlib.blake2b(version.encode(), digest_size=12)
    for key in sorted(job):
        value = job[key]
        data = value.encode() if isinstance(value, str) else repr(value).encode()
        h.update(b"%d:%s=%d:" % (len(key), key.encode(), len(data)) + data)
    return h.hexdigest()


def _answer(body: bytes, extra: dict, fmt: conneg.Format, etag: str, state) -> Response:
    resp = Response(body, content_type=conneg.content_type(fmt))
    if "truncated" in extra:
        resp.headers["KG-Truncated"] = f"rows cut at {extra['truncated']} (MAX_ROWS); add LIMIT/OFFSET to page"
    if "text_truncated" in extra:
        resp.headers["KG-Text-Truncated"] = extra["text_truncated"]
    return _cacheable(resp, etag, state)


def _not_modified(etag: str, loaded_at: float) -> bool:
    if "If-None-Match" not in request.headers and "If-Modified-Since" not in request.headers:
        return False
    inm = request.if_none_match
    if inm:
        return inm.contains(etag) or inm.contains(etag + "-gz") or inm.star_tag
    ims = request.if_modified_since
    return bool(ims and ims.timestamp() >= int(loaded_at))


def _conditional_304(etag: str, state) -> Response:
    resp = Response(status=304)
    gz = request.accept_encodings["gzip"] > 0
    return _cacheable(resp, etag + ("-gz" if gz and request.if_none_match.contains(etag + "-gz") else ""), state)


def _cacheable(resp: Response, etag: str, state) -> Response:
    resp.set_etag(etag)
    resp.headers["Last-Modified"] = state.last_modified
    resp.headers["Cache-Control"] = "no-cache"
    resp.vary.add("Accept")
    return resp


def _update(update: str, params: dict):
    from .writes import run_update  # the write path (see writes.py): imported when an update comes
    return run_update(update, params)


def _description(fmt_params: list[str]):
    state = _state()
    fmt = _negotiate(("graph", "page"), fmt_params)
    if fmt.kind == "page" and "pages.query_ui" in current_app.view_functions:  # the YASGUI page
        resp = make_response(current_app.view_functions["pages.query_ui"]())
        resp.headers["Vary"] = "Accept"
        return resp
    if fmt.kind == "page":  # an app without the pages blueprint: a plain form
        return Response(render_template_string(
            PAGE, url=request.base_url, query=request.args.get("q", DEFAULT_QUERY),
            formats=conneg.formats("results") + conneg.formats("graph"), graphs=state.store.named_graphs(),
            max_rows=state.max_rows, timeout=state.timeout), content_type="text/html; charset=utf-8",
            headers={"Vary": "Accept"})
    etag = hashlib.blake2b(repr((state.version, public_root(), fmt.name)).encode(), digest_size=12).hexdigest()
    if request.method in ("GET", "HEAD") and _not_modified(etag, state.loaded_at):
        return _conditional_304(etag, state)
    resp = Response(render(state, public_root(), fmt.name), content_type=conneg.content_type(fmt))
    return _cacheable(resp, etag, state)


@bp.route("/healthz")
def healthz():
    state = _state()
    return {"status": "ok", "quads": state.quads}


__all__ = ["bp"]
