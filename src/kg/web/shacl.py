"""/shacl: check your own RDF against the graph's shapes (as Fuseki's /shacl), nothing stored.

``POST /shacl`` with a Turtle, JSON-LD or N-Triples body (or the page's form) answers the SHACL
validation report of that data against the shapes the server checks writes with, validated
together with the served ontology (so ``sh:class`` sees the class hierarchy); ``?merge=true``
validates it merged with the whole served graph instead (so anchors are checked against the
stored essay, and links to the graph's nodes resolve). The report comes as Turtle (the
``sh:ValidationReport`` graph, the default), JSON-LD, JSON (conforms + violations), plain text or
an HTML page, by ``Accept`` or ``?format=``; ``KG-Conforms`` says the verdict in a header. The
answer is 200 whether or not the data conforms: the report is what was asked for.

Bounded like every request: the body by ``MAX_CONTENT_LENGTH`` (413), its nesting depth by
``SHACL_MAX_DEPTH`` and its size by ``SHACL_MAX_TRIPLES`` (413) before validation; parsing and
validation run in a forked child (:mod:`kg.isolated`) killed after ``SHACL_TIMEOUT`` seconds (503)
or past ``SHACL_MEMORY_MB`` (503), one at a time per worker process (503 when busy). Nothing the
client sends is kept: the child parses it, validates and exits.
"""
from __future__ import annotations

import json
import re
import secrets
import threading

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, render_template, request, url_for
from werkzeug.exceptions import BadRequest, NotAcceptable, RequestEntityTooLarge, ServiceUnavailable, \
    UnsupportedMediaType

from .. import isolated
from ..formats import SYNTAXES, content_type
from ..namespaces import GRAPH
from ..sources import INFERRED_GRAPH, ONTOLOGY_GRAPH, SHAPES_GRAPH
from .state import current_state

bp = Blueprint("shacl", __name__)

#: the syntaxes a posted graph may come in: name -> media types naming it
INPUTS = {name: (SYNTAXES[name].media_type, *[a for a in SYNTAXES[name].aliases if a != "text/plain"])
          for name in ("turtle", "jsonld", "ntriples")}
_BY_MEDIA_TYPE = {mt: name for name, types in INPUTS.items() for mt in types}
#: what the report is answered as: name -> (media type, how it is made)
OUTPUTS = {"turtle": "text/turtle", "jsonld": "application/ld+json", "json": "application/json",
           "text": "text/plain", "html": "text/html"}
_NAMES = {"ttl": "turtle", "json-ld": "jsonld", "txt": "text", "plain": "text"}
#: graphs never part of the data validated (the service's own)
_NOT_DATA = (SHAPES_GRAPH, str(GRAPH.changes), INFERRED_GRAPH)
_busy = threading.BoundedSemaphore(1)  # one validation per worker process at a time

# strings, IRIs and comments are skipped whole (possessive: linear time); brackets are counted
_TURTLE_NEST = re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*+(?:"""|\Z)|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*+(?:\'\'\'|\Z)'
                          r'|"(?:[^"\\\n]|\\.)*+"?|\'(?:[^\'\\\n]|\\.)*+\'?|<[^<>\s]*+>?|\#[^\n]*+|([\[(])|([\])])',
                          re.DOTALL)
_JSON_NEST = re.compile(r'"(?:[^"\\]|\\.)*+"?|([\[{])|([\]}])', re.DOTALL)


def nesting(text: str, syntax: str) -> int:
    """How deeply brackets nest in ``text`` (Turtle ``[ (``, JSON ``[ {``), strings and IRIs skipped.

    >>> nesting('<a> <b> [ <c> ( 1 [ <d> "[[[" ] ) ] .', "turtle"), nesting('{"a": [{"b": "]]"}]}', "jsonld")
    (3, 3)
    """
    pattern = _JSON_NEST if syntax == "jsonld" else _TURTLE_NEST if syntax == "turtle" else None
    if pattern is None:
        return 0
    depth = deepest = 0
    for m in pattern.finditer(text):
        if m.group(1):
            depth += 1
            deepest = max(deepest, depth)
        elif m.group(2):
            depth = max(0, depth - 1)
    return deepest


class DataError(Exception):
    """The posted data cannot be validated (parse error, too many triples): status and message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message

    def __reduce__(self):  # sent back from the child whole
        return DataError, (self.status, self.message)


def check(data: bytes, syntax: str, base: str, merge: bool, shapes, max_triples: int, output: str, store) -> dict:
    """Parse and validate (runs in the child): the report as a dict, its graph serialised if asked."""
    from ..canonical import graph_from_quads
    from ..validate import validate
    try:
        triples = [q.triple for q in ox.parse(data, format=SYNTAXES[syntax].ox, base_iri=base)]
    except (SyntaxError, ValueError) as exc:
        raise DataError(400, f"the {SYNTAXES[syntax].media_type} data does not parse: "
                             f"{' '.join(str(exc).split())[:300]}") from None
    if len(triples) > max_triples:
        raise DataError(413, f"the data holds {len(triples):,} triples; this service validates at most "
                             f"{max_triples:,} (SHACL_MAX_TRIPLES)")
    salt, fresh = secrets.token_hex(6), {}

    def own(t):  # the client's blank nodes never meet the served graph's
        return fresh.setdefault(t.value, ox.BlankNode(f"posted{salt}{len(fresh)}")) if isinstance(t, ox.BlankNode) else t
    quads = [ox.Quad(own(t.subject), t.predicate, own(t.object), ox.DefaultGraph()) for t in triples]
    served = ox.parse(store.dump(ox.RdfFormat.N_QUADS), format=ox.RdfFormat.N_QUADS)
    context = [q for q in served if isinstance(q.graph_name, ox.NamedNode) and (
        q.graph_name.value not in _NOT_DATA if merge else q.graph_name.value == ONTOLOGY_GRAPH)]
    report = validate(graph_from_quads(quads + context), shapes=shapes)
    out = {"conforms": report.conforms, "text": report.text(), "triples": len(triples),
           "violations": [v.as_dict() for v in sorted(report.violations, key=lambda v: (
               v.message, v.focus or "", v.path or "", v.value or ""))]}
    if output in ("turtle", "jsonld") and report.graph is not None:
        out["graph"] = report.graph.serialize(format="json-ld" if output == "jsonld" else "turtle", encoding="utf-8")
    return out


def _posted() -> tuple[bytes, str]:
    """The data and its syntax: a body of an RDF media type, or the page's form (``data``, ``syntax``)."""
    mt = request.mimetype
    if mt in ("application/x-www-form-urlencoded", "multipart/form-data"):
        syntax = request.form.get("syntax", "turtle")
        if syntax not in INPUTS:
            raise BadRequest(f"syntax={syntax!r}: choose one of {', '.join(INPUTS)}")
        upload = request.files.get("file")
        data = upload.read() if upload and upload.filename else request.form.get("data", "").encode("utf-8")
        if not data.strip():
            raise BadRequest("no data given: paste it into the form, or POST it as the body")
        return data, syntax
    syntax = _BY_MEDIA_TYPE.get(mt)
    if syntax is None:
        offered = ", ".join(mt for types in INPUTS.values() for mt in types)
        raise UnsupportedMediaType(f"cannot read a {mt or 'body without Content-Type'}; POST one of: {offered}")
    return request.get_data(cache=True), syntax


def _output() -> str:
    fmt = request.args.get("format") or (request.form.get("format") if request.method == "POST" else None)
    if fmt:
        name = _NAMES.get(fmt, fmt)
        name = next((n for n, mt in OUTPUTS.items() if mt == fmt), name)
        if name not in OUTPUTS:
            raise NotAcceptable(f"format={fmt!r}: the report is offered as {', '.join(OUTPUTS)}")
        return name
    best = request.accept_mimetypes.best_match(list(OUTPUTS.values()), default=None)
    if best is None and request.accept_mimetypes:
        raise NotAcceptable(f"the report is offered as {', '.join(OUTPUTS.values())}")
    return next((n for n, mt in OUTPUTS.items() if mt == best), "turtle")


def _flag(name: str) -> bool:
    value = (request.args.get(name) or request.form.get(name) or "").strip().lower()
    if value in ("", "0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    raise BadRequest(f"{name}={value!r}: give true or false")


@bp.route("/shacl", methods=["GET"])
def form():
    """The form: paste or upload data, choose its syntax, validate alone or merged."""
    return Response(render_template("shacl.html", result=None, merge=False, syntax="turtle", data="",
                                    inputs=INPUTS, twins=_twins()), content_type="text/html; charset=utf-8")


def _twins():
    shapes = url_for("graph_store.read", graph=SHAPES_GRAPH)
    return [(shapes, "text/turtle", "the shapes (Turtle)")]


@bp.route("/shacl", methods=["POST"])
def validate_posted():
    cfg = current_app.config
    timeout = float(cfg["SHACL_TIMEOUT"])
    if timeout <= 0:
        raise ServiceUnavailable("the validation service is turned off here (SHACL_TIMEOUT=0)")
    output = _output()
    merge = _flag("merge")
    data, syntax = _posted()
    text = data.decode("utf-8", "replace")
    depth = nesting(text, syntax)
    if depth > cfg["SHACL_MAX_DEPTH"]:
        current_state().metrics.shacl.labels("refused").inc()
        raise RequestEntityTooLarge(f"the data nests {depth} levels deep; this service reads at most "
                                    f"{cfg['SHACL_MAX_DEPTH']} (SHACL_MAX_DEPTH)")
    if not _busy.acquire(blocking=False):
        r = _error(503, "another validation is running in this worker; try again in a moment")
        r.headers["Retry-After"] = "2"
        return r
    try:
        result = isolated.run(check, data, syntax, request.base_url, merge, cfg["SHAPES"], cfg["SHACL_MAX_TRIPLES"],
                              output, current_state().store, timeout=timeout, memory_mb=cfg["SHACL_MEMORY_MB"])
    except isolated.Failed as exc:
        if isinstance(exc.error, DataError):
            current_state().metrics.shacl.labels("refused").inc()
            return _error(exc.error.status, exc.error.message)
        current_app.logger.error("validation failed: %s", exc)
        return _error(500, "the validation failed; the error was logged")
    except isolated.Overrun:
        current_state().metrics.shacl.labels("stopped").inc()
        return _unavailable(f"validating took longer than {timeout:g} s and was stopped (SHACL_TIMEOUT); "
                            "send less data, or validate it without merge=true")
    except (isolated.OutOfMemory, isolated.Crashed):
        current_state().metrics.shacl.labels("stopped").inc()
        return _unavailable(f"validating needed more than {cfg['SHACL_MEMORY_MB']} MB and was stopped "
                            "(SHACL_MEMORY_MB); send less data")
    finally:
        _busy.release()
    current_state().metrics.shacl.labels("conforms" if result["conforms"] else "fails").inc()
    return _report(result, output, merge, syntax, text)


def _error(status: int, message: str) -> Response:
    names = {400: "Bad Request", 413: "Content Too Large", 500: "Internal Server Error", 503: "Service Unavailable"}
    r = Response(f"{status} {names.get(status, 'Error')}: {message}\n", status=status, mimetype="text/plain")
    r.headers["Cache-Control"] = "no-store"
    return r


def _unavailable(message: str) -> Response:
    r = _error(503, message)
    r.headers["Retry-After"] = "5"
    return r


def _report(result: dict, output: str, merge: bool, syntax: str, text: str) -> Response:
    if output in ("turtle", "jsonld"):
        body = result["graph"]
    elif output == "json":
        body = json.dumps({"conforms": result["conforms"], "triples": result["triples"], "merged": merge,
                           "violations": result["violations"]}, ensure_ascii=False, indent=2).encode() + b"\n"
    elif output == "text":
        body = (result["text"] + "\n").encode()
    else:
        groups: dict[str, list] = {}
        for v in result["violations"]:
            groups.setdefault(v["message"], []).append(v)
        body = render_template("shacl.html", result=result, groups=sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])),
                               merge=merge, syntax=syntax, data=text, inputs=INPUTS, twins=_twins()).encode()
    r = Response(body, content_type=content_type(OUTPUTS[output]))
    r.headers["KG-Conforms"] = "true" if result["conforms"] else "false"
    r.headers["Cache-Control"] = "no-store"
    r.vary.add("Accept")
    return r


__all__ = ["bp", "check", "nesting", "INPUTS", "OUTPUTS", "DataError"]
