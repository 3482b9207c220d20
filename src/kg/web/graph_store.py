"""/rdf-graph-store: the SPARQL 1.1 Graph Store HTTP Protocol (indirect graph identification).

``?graph=IRI`` names a graph, ``?default`` the store's unnamed default graph (which the query
endpoint's default graph, the union, includes). GET and HEAD read, on any store (no token
needed unless reads need one); PUT replaces, POST merges, DELETE removes: each a transaction like a SPARQL
Update (token with the write role, shapes check, journal). PUT/POST answer 201 when they create
the graph, else 200 with the change summary; DELETE of a graph that is not there is 404.
"""
from __future__ import annotations

import secrets

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import BadRequest, Forbidden, NotAcceptable, NotFound, UnsupportedMediaType

from ..formats import body_media_types, by_kind
from ..changes import AddToGraph, ChangeSet, DropGraph, ReplaceGraph
from . import conneg, limits
from .http import base_iri
from .state import current_state
from .writes import change_response, commit, principal, removal_allowance

bp = Blueprint("graph_store", __name__)

#: media types a graph may be sent in (quad formats name graphs of their own: not here)
BODY_FORMATS = {mt: s.ox for mt, s in body_media_types().items()}


#: what a single graph is read back as (conneg format name -> pyoxigraph format)
GRAPH_FORMATS = {s.name: s.ox for s in by_kind("graph", triples_only=True)}


def _target() -> ox.NamedNode | ox.DefaultGraph:
    graphs, default = request.args.getlist("graph"), "default" in request.args
    if default and graphs or len(graphs) > 1:
        raise BadRequest("name exactly one graph: ?graph=IRI or ?default")
    if default:
        return ox.DefaultGraph()
    if not graphs:
        raise BadRequest("name a graph: ?graph=IRI (a named graph) or ?default (the default graph)")
    return ox.NamedNode(limits.graph_iris(graphs, "graph")[0])


def _name(g) -> str:
    return "the default graph" if isinstance(g, ox.DefaultGraph) else f"<{g.value}>"


def _body_quads(g) -> list[ox.Quad]:
    """The request body's triples, put into graph ``g``; blank nodes get fresh labels."""
    mt = request.mimetype
    fmt = BODY_FORMATS.get(mt)
    if fmt is None:
        offered = ", ".join(sorted(k for k in BODY_FORMATS if k != "text/plain"))
        raise UnsupportedMediaType(f"cannot read a {limits.shown(mt) if mt else 'body without Content-Type'} graph; "
                                   f"send one of: {offered}")
    data = request.get_data(cache=True)
    limits.check_body_nesting(data, fmt, current_app.config["MAX_NESTING"])  # before the parser sees it
    base = g.value if isinstance(g, ox.NamedNode) else base_iri(request.path)
    try:
        triples = list(ox.parse(data, format=fmt, base_iri=base))
    except (SyntaxError, ValueError) as exc:
        raise BadRequest(f"the {mt} body does not parse: {' '.join(str(exc).split())[:300]}") from None
    fresh, salt = {}, secrets.token_hex(8)

    def term(t):
        if isinstance(t, ox.BlankNode):  # "_:b0" in two requests must not be one node
            return fresh.setdefault(t.value, ox.BlankNode(f"{salt}{len(fresh)}"))
        return t
    return [ox.Quad(term(t.subject), t.predicate, term(t.object), g) for t in triples]


@bp.route("/rdf-graph-store", methods=["GET", "HEAD"])
def read():
    g = _target()
    st = current_state().store  # any Store: asked by SPARQL, so a remote engine works too
    where = "{ ?s ?p ?o }" if isinstance(g, ox.DefaultGraph) else f"{{ GRAPH <{g.value}> {{ ?s ?p ?o }} }}"
    if not isinstance(g, ox.DefaultGraph) and not bool(st.query(f"ASK {where}")):
        raise NotFound(f"there is no graph {_name(g)} in the store")
    offered = [f for f in conneg.formats("graph") if f.name in GRAPH_FORMATS]
    fmt = conneg.negotiate(request.accept_mimetypes, ("graph",), offered)
    if fmt is None:
        raise NotAcceptable(f"none of Accept: {limits.shown(request.headers.get('Accept'), 200)} is offered for a graph; offered: "
                            + ", ".join(f.media_type for f in offered))
    triples = sorted(st.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {where}", union_default=False), key=str)
    body = ox.serialize(triples, format=GRAPH_FORMATS[fmt.name]) if triples else b""
    resp = Response(body, content_type=conneg.content_type(fmt))
    resp.headers["Cache-Control"] = "no-cache"
    resp.vary.add("Accept")
    return resp


@bp.route("/rdf-graph-store", methods=["PUT", "POST", "DELETE"])
def write():
    if not current_app.config["ALLOW_UPDATE"]:
        raise Forbidden("writes are disabled: this endpoint is read-only (an operator can enable them "
                        "with --allow-update)")
    who = principal("write")
    g = _target()
    store = current_state().store
    store.check_writable(g)  # a Refusal is answered by the write path's error handler
    method = request.method
    if method in ("PUT", "POST"):
        quads = _body_quads(g)
        op = ReplaceGraph(g, quads) if method == "PUT" else AddToGraph(g, quads)
        text = f"{method} {_name(g)}: {len(quads)} triple(s) {'replacing its content' if method == 'PUT' else 'added'}"
    else:
        if isinstance(g, ox.NamedNode) and store.triple_count(g.value) == 0:
            raise NotFound(f"there is no graph {_name(g)} to delete")
        op, text = DropGraph(g), f"DELETE {_name(g)}"
    change = commit(ChangeSet(f"Graph Store {method}", text, [op], max_removed=removal_allowance(who)), who)
    created = isinstance(g, ox.NamedNode) and g.value in change.created
    return change_response(change, 201 if method != "DELETE" and created else 200)


__all__ = ["bp", "BODY_FORMATS"]
