"""The write path: SPARQL 1.1 Update (``/sparql``, ``/update``), shared by the Graph Store.

Off unless the operator sets ALLOW_UPDATE (``server.py --allow-update --state-dir DIR
--tokens FILE``). Every write needs a bearer token with the ``write`` role (401 without one or
with an unknown one, 403 with a read-only one) and is one transaction of
:class:`kg.curated.CuratedStore`: applied to a copy, checked against the shapes, journalled
with fsync, and only then acknowledged. This module turns requests into
:class:`kg.changes.ChangeSet` objects and hands them to ``Store.write``: it never changes the
engine itself, and the shapes gate is the store's (:class:`kg.validate.ShapesGate`).

Status codes: 200 with a JSON summary of the change; 400 malformed update or refused feature
(LOAD, SERVICE); 401/403 credentials; 403 a graph outside the writable namespace or a
protected graph; 413 too large; 415 wrong content type; **422** when the graph after the write
would not conform to the shapes: the request is well-formed and understood (not 400) and the
resource exists (not 404/409: nothing about the current state would make a retry succeed), but
its content is semantically unacceptable, which is what RFC 9110 section 15.5.21 defines 422 for.
The body is the validation report (JSON when asked for, else text). 503 when the lock could
not be had in time (Retry-After) or the journal could not be written.
"""
from __future__ import annotations

import json
import logging
import time

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import BadRequest, Forbidden, Unauthorized

from ..auth import Principal, TokenFile, Tokens
from ..changes import Change, ChangeSet, DeleteData, GraphsUpdate, InsertData, Refusal, Update
from ..store import StoreError
from . import limits
from .http import base_iri, error_response, status_line
from .protocol import one, params as request_params, scan
from .query_scan import graphs_only, operations
from .state import current_state

bp = Blueprint("writes", __name__)

def _challenge(description: str, error: str | None = None) -> Unauthorized:
    exc = Unauthorized(description)
    exc.www_authenticate = 'Bearer realm="deepseek-kg"' + (f', error="{error}"' if error else "")
    return exc


def principal(role: str = "write") -> Principal:
    """The caller, who must hold ``role``; raises 401/403 otherwise."""
    tokens: Tokens | TokenFile = current_app.extensions["kg_tokens"]
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        raise _challenge(f"this needs a bearer token with the {role} role (Authorization: Bearer ...)")
    if scheme.lower() != "bearer" or not token.strip():
        raise _challenge("only bearer tokens are accepted (Authorization: Bearer ...)", "invalid_request")
    who = tokens.check(token.strip())
    if who is None:
        raise _challenge("the bearer token is not valid here", "invalid_token")
    if not who.may(role):
        exc = Forbidden(f"the token of {who.name!r} has the {who.role} role; this needs {role}")
        exc.www_authenticate = f'Bearer realm="deepseek-kg", error="insufficient_scope", scope="{role}"'
        raise exc
    return who


def commit(changes: ChangeSet, who: Principal) -> Change:
    """Hand one write to the store (one transaction: see kg.curated), then drop this process's caches."""
    state = current_state()
    started = time.perf_counter()
    try:
        change = state.store.write(changes, agent=who.name, lock_timeout=float(current_app.config["WRITE_LOCK_TIMEOUT"]))
    except Refusal as exc:
        state.metrics.writes.labels("refused", str(exc.status)).inc()
        state.metrics.write_seconds.labels("refused").observe(time.perf_counter() - started)
        raise
    state.metrics.writes.labels("ok", "200").inc()
    state.metrics.write_seconds.labels("ok").observe(time.perf_counter() - started)
    state.refresh()
    return change


def refusal_response(exc: Refusal) -> Response:
    if exc.status == 422 and exc.report is not None:
        wants_json = request.accept_mimetypes.best_match(["text/plain", "application/json"]) == "application/json"
        if wants_json:
            body = json.dumps({"error": exc.message, "conforms": False,
                               "violations": exc.report["violations"]}, ensure_ascii=False, indent=2)
            resp = Response(body + "\n", status=422, mimetype="application/json")
        else:
            resp = error_response(422, f"422 Unprocessable Content: {exc.message}.\n\n{exc.report['text']}")
        resp.headers["Cache-Control"] = "no-store"
        return resp
    resp = error_response(exc.status, f"{status_line(exc.status)}: {exc.message}")
    if exc.status == 503:
        resp.headers["Retry-After"] = "2"
    return resp


def change_response(change: Change, status: int = 200) -> Response:
    resp = Response(json.dumps(change.summary(), indent=2) + "\n", status=status, mimetype="application/json")
    resp.headers["Cache-Control"] = "no-store"
    if change.iri:
        resp.headers["KG-Change"] = change.iri
    return resp


def removal_allowance(who: Principal) -> int | None:
    """How many quads one write of ``who`` may remove: WRITE_MAX_REMOVED (and never half the
    data, see kg.curated), or no limit for the admin role, the separate authority mass deletion needs."""
    if who.may("admin"):
        return None
    return int(current_app.config["WRITE_MAX_REMOVED"]) or None


def run_update(update: str, params: dict) -> Response:
    """POST update=... or application/sparql-update, after the protocol parsing in sparql.py."""
    from .query_scan import add_using
    if request.method != "POST":
        raise BadRequest("SPARQL Update must be sent by POST")
    config = current_app.config
    enabled = bool(config["ALLOW_UPDATE"])
    who = principal("write") if enabled else None  # credentials before anything about the body
    limits.check_length(update, config["MAX_QUERY_LENGTH"], "update")
    # the protocol's dataset: parsed as IRIs (400 otherwise), written as USING <IRI> clauses
    using = limits.graph_iris(params.get("using-graph-uri", []), "using-graph-uri")
    using_named = limits.graph_iris(params.get("using-named-graph-uri", []), "using-named-graph-uri")
    if using or using_named:
        try:
            update = add_using(update, using, using_named)
        except ValueError as exc:
            raise BadRequest(str(exc)) from None
    info = scan(update)  # every check below reads the text the engine will run
    limits.check_nesting(info.depth, config["MAX_NESTING"], "update")
    limits.check_loads(info.loads)
    limits.check_services(info.services, config["SERVICE_ALLOWLIST"])
    if not enabled:
        raise Forbidden("SPARQL Update is disabled: this endpoint is read-only")
    protected = sorted(info.iris & current_state().store.capabilities.protected_graphs)
    if protected:
        raise Forbidden(f"the update names <{protected[0]}>, which is read-only (the shapes, the change log and the inferred graph "
                        "are kept by the service)")
    base = base_iri(request.path)  # relative IRIs: the endpoint's configured URL, never the Host header
    ops = data_operations(update, base)
    if ops is None:  # an update of named graphs only runs on a copy of them; any other, on a copy of all
        graphs = graphs_only(update)
        ops = [GraphsUpdate(update, graphs, base) if graphs else Update(update, base)]
    return change_response(commit(ChangeSet("SPARQL Update", update, ops, max_removed=removal_allowance(who)), who))


def data_operations(update: str, base: str | None = None) -> list | None:
    """An update made only of ``INSERT DATA`` and ``DELETE DATA`` operations (what curators send to
    add or correct a few triples) as :class:`InsertData`/:class:`DeleteData` with their quads, so the
    store finds the change without evaluating anything; None for any other update. pyoxigraph parses
    the update (on an empty store: its syntax errors are the ones the store would give) and each
    operation's quads (blank nodes fresh, as an update would make them).

    >>> ops = data_operations('PREFIX e: <http://e/> INSERT DATA { e:a e:b 1 } ; DELETE DATA { e:a e:b 2 }')
    >>> [(type(op).__name__, [str(q) for q in op.quads]) for op in ops]
    [('InsertData', ['<http://e/a> <http://e/b> "1"^^<http://www.w3.org/2001/XMLSchema#integer>']), ('DeleteData', ['<http://e/a> <http://e/b> "2"^^<http://www.w3.org/2001/XMLSchema#integer>'])]
    >>> data_operations('DELETE WHERE { ?s ?p ?o }') is None
    True
    """
    ops = operations(update)
    if not ops or any(kw not in (["INSERT", "DATA"], ["DELETE", "DATA"]) for _, kw, _ in ops):
        return None
    try:
        ox.Store().update(update, base_iri=base)
    except (SyntaxError, ValueError) as exc:
        raise Refusal(400, f"the update could not be applied: {' '.join(str(exc).split())[:300]}") from None
    out = []
    for prologue, kw, body in ops:
        scratch = ox.Store()
        scratch.update(f"{prologue}\nINSERT DATA {body}", base_iri=base)
        out.append((InsertData if kw[0] == "INSERT" else DeleteData)(list(scratch)))
    return out


@bp.route("/update", methods=["POST"])
def update_endpoint():
    params = request_params()
    if params.get("query"):
        raise BadRequest("/update takes updates only; send queries to /sparql")
    update = one(params.get("update", []), "update")
    if update is None:
        raise BadRequest("no update given: POST update=... (form) or an application/sparql-update body")
    return run_update(update, params)


class SyncMiddleware:
    """Outermost WSGI layer: bring this process's copy of the graph up to date with the journal
    before anything (the response cache included) answers from it."""

    def __init__(self, app, state):
        self.app, self.state = app, state

    def __call__(self, environ, start_response):
        try:
            self.state.sync()
        except StoreError as exc:  # the journal was damaged under a running server: say so, answer nothing stale
            logging.getLogger(__name__).error("%s", exc)
            body = f"{exc.status} Service Unavailable: {exc}\n".encode()
            start_response(f"{exc.status} SERVICE UNAVAILABLE", [
                ("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body))),
                ("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff")])
            return [body]
        return self.app(environ, start_response)


def install(app) -> None:
    """Wire the write path into ``app`` (called by create_app when ALLOW_UPDATE is set)."""
    tokens = app.config["TOKENS"]
    if not tokens:
        raise ValueError("READ_TOKEN_REQUIRED needs TOKENS: a tokens file (make one with `kg token add NAME`)")
    app.extensions["kg_tokens"] = tokens if isinstance(tokens, (Tokens, TokenFile)) else TokenFile(tokens)
    if app.config["ALLOW_UPDATE"]:
        app.register_blueprint(bp)
    if app.config["READ_TOKEN_REQUIRED"]:
        @app.before_request
        def _readers_need_a_token():
            if request.method != "OPTIONS" and request.path != "/healthz":
                principal("read")

    @app.errorhandler(Refusal)
    def _refused(exc: Refusal):
        return refusal_response(exc)


__all__ = ["bp", "install", "principal", "commit", "run_update", "SyncMiddleware", "refusal_response",
           "change_response", "data_operations", "removal_allowance"]
