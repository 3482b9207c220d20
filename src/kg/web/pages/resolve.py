"""Dereferencing: an IRI of ours answers 303 to its page (browsers) or its data (RDF clients);
resource pages, their RDF twins, the ontology's documentation, label search and the 404 page."""
from __future__ import annotations

import pyoxigraph as ox
from flask import Response, abort, redirect, request, url_for
from werkzeug.exceptions import NotAcceptable

from ...formats import SYNTAXES
from ...namespaces import DS, DSK, PREFIXES
from ...sources import ONTOLOGY_GRAPH
from .. import conneg
from ..limits import absolute_iri, shown
from . import model
from .base import BASE_PATH, bp, cat, render, search_index, store

#: what a resource is offered as; the first is what `curl` (no Accept) and */* get
OFFERED = ("turtle", "jsonld", "ntriples", "rdfxml", "html")
SUFFIX = {SYNTAXES[name].suffix.lstrip("."): name for name in OFFERED if name != "html"}  # ttl -> turtle, ...
OX_FORMAT = {name: SYNTAXES[name].ox for name in SUFFIX.values()}
_FORMATS = [f for name in OFFERED for f in conneg.FORMATS if f.name == name]
_SUFFIX_OF = {v: k for k, v in SUFFIX.items()}
_PREFIXES = {k: str(v) for k, v in PREFIXES.items()}


def choose() -> conneg.Format:
    """?format= wins; else the Accept header (none = Turtle)."""
    param = request.args.get("format")
    if param:
        f = conneg.by_name(param, ("graph", "page"))
        if f is None or f.name not in OFFERED:
            raise NotAcceptable(f"format={param!r} is not offered; use one of {', '.join(OFFERED)}")
        return f
    best = conneg.negotiate(request.accept_mimetypes, (), _FORMATS)
    if best is None:
        raise NotAcceptable("offered: " + ", ".join(f.media_type for f in _FORMATS) + " (or use ?format=)")
    return best


def twins(slug: str) -> list[tuple[str, str, str]]:
    """(href, media type, name) of a resource's machine-readable versions."""
    return [(url_for("pages.data", slug=slug, ext=ext), conneg.by_name(name, ("graph",)).media_type, name)
            for ext, name in SUFFIX.items()]


def link_header(links: list[tuple[str, str, str]]) -> str:
    return ", ".join(f'<{h}>; rel="alternate"; type="{t}"' for h, t, _ in links)


def _exists(iri: str) -> bool:
    return iri in cat().subjects or bool(store().query(f"ASK {{ ?s ?p <{iri}> }}", inferred=False))


def not_found(what: str, q: str = ""):
    q = q[:200]  # a 404's words come from whatever path a client sent: search and suggest see a bounded part
    hits = ([h.iri for h in search_index().search(q, 12)] or model.suggest(cat(), q)) if q else []
    return render("notfound.html", 404, what=what, q=q, hits=hits)


def _serialise(triples, name: str) -> bytes:
    return ox.serialize(triples, format=OX_FORMAT[name], prefixes=_PREFIXES if name == "turtle" else None)


# --- the IRIs themselves ---------------------------------------------------------------

@bp.route(BASE_PATH + "id/<path:slug>")
def resolve(slug: str):
    iri = str(DS) + slug
    if not model.safe_iri(iri) or not _exists(iri):
        return not_found(f"Nothing in this graph has the IRI {iri}", slug.replace("-", " "))
    fmt = choose()
    target = (url_for("pages.page", slug=slug) if fmt.name == "html"
              else url_for("pages.data", slug=slug, ext=_SUFFIX_OF[fmt.name]))
    resp = redirect(target, 303)
    resp.vary.add("Accept")
    return resp


@bp.route(BASE_PATH + "ontology")
@bp.route(BASE_PATH + "ontology/")
def resolve_ontology():
    fmt = choose()
    target = (url_for("pages.ontology_page") if fmt.name == "html"
              else url_for("pages.ontology_data", ext=_SUFFIX_OF[fmt.name]))
    resp = redirect(target, 303)
    resp.vary.add("Accept")
    return resp


# --- pages and data ----------------------------------------------------------------------

@bp.route("/page/<path:slug>")
def page(slug: str):
    iri = str(DS) + slug
    if not model.safe_iri(iri):
        return not_found(f"{slug!r} is not a valid identifier", slug)
    return _resource_page(iri, twins(slug))


@bp.route("/resource")
def resource():
    iri = request.args.get("iri", "").strip()
    if iri.startswith(str(DS)):
        return redirect(url_for("pages.page", slug=iri[len(str(DS)):]), 301)
    if not iri:
        return not_found("Give an IRI: /resource?iri=...", "")
    if not model.safe_iri(iri) or not absolute_iri(iri):
        abort(400, f"iri={shown(iri)} is not an absolute IRI (scheme:...); give the resource's full IRI")
    describe = url_for("sparql.sparql", query=f"DESCRIBE <{iri}>", format="turtle")
    return _resource_page(iri, [(describe, "text/turtle", "turtle")])


def _resource_page(iri: str, links):
    c, s = cat(), store()
    triples = model.closure_rows(s, iri)
    incoming = model.incoming(s, iri)
    if not triples and not incoming:
        return not_found(f"Nothing in this graph has the IRI {iri}", model.local_name(iri).replace("-", " "))
    node = model.build_node(c, triples, model.Term("iri", iri))
    quotes = [quote_context(c, a) for a in c.by_node.get(iri, [])]
    jsonld = _serialise(model.closure_triples(s, iri), "jsonld").decode("utf-8")
    description = [v.value for p, vals in node.groups
                   if p in (str(DSK.description), model.SKOS + "definition", str(DSK.statement),
                            "http://purl.org/dc/terms/description")
                   for v in vals if isinstance(v, model.Term) and v.kind == "literal"]
    from .voices import sections
    return render("resource.html", headers={"Link": link_header(links), "Vary": "Accept"},
                  iri=iri, node=node, incoming=incoming, quotes=quotes, twins=links,
                  sections=sections(s, c, iri),
                  quantity=c.quantities.get(iri), quantities=c.quantities, description=description,
                  jsonld=jsonld.replace("<", "\\u003c"))


def quote_context(c: model.Catalog, a: model.Anchor) -> dict:
    """The paragraph around an anchor, split into before / span / after."""
    hit = c.paragraph_of(a.start)
    if hit is None:
        return {"anchor": a, "before": "", "mark": a.exact, "after": "", "para": None}
    i, p = hit
    end = min(a.end, p.end)
    return {"anchor": a, "para": i + 1, "before": c.text[p.start:a.start], "mark": c.text[a.start:end],
            "after": c.text[end:p.end]}


@bp.route("/data/<path:slug>.<ext>")
def data(slug: str, ext: str):
    iri = str(DS) + slug
    if ext not in SUFFIX:
        return Response(f"404 Not Found: data is offered as {', '.join('.' + s for s in SUFFIX)}\n",
                        404, mimetype="text/plain")
    if not model.safe_iri(iri) or not _exists(iri):
        return Response(f"404 Not Found: nothing in this graph has the IRI {iri}\n", 404, mimetype="text/plain")
    name = SUFFIX[ext]
    body = _serialise(model.closure_triples(store(), iri), name)
    resp = Response(body, content_type=conneg.content_type(conneg.by_name(name, ("graph",))))
    others = [t for t in twins(slug) if t[2] != name]
    resp.headers["Link"] = link_header(others + [(url_for("pages.page", slug=slug), "text/html", "html")])
    return resp


# --- the ontology --------------------------------------------------------------------------

def _ontology_triples():
    return list(store().query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{ONTOLOGY_GRAPH}> {{ ?s ?p ?o }} }}"))


@bp.route("/ontology.<ext>")
def ontology_data(ext: str):
    if ext not in SUFFIX:
        return Response("404 Not Found: the ontology is offered as .ttl, .jsonld, .nt, .rdf\n", 404,
                        mimetype="text/plain")
    name = SUFFIX[ext]
    return Response(_serialise(_ontology_triples(), name),
                    content_type=conneg.content_type(conneg.by_name(name, ("graph",))))


@bp.route("/ontology")
def ontology_page():
    from .ontology_doc import document
    links = [(url_for("pages.ontology_data", ext=e), conneg.by_name(n, ("graph",)).media_type, n)
             for e, n in SUFFIX.items()]
    return render("ontology.html", headers={"Link": link_header(links)}, doc=document(store(), cat()),
                  twins=links)


# --- search ---------------------------------------------------------------------------------

@bp.route("/search")
def search():
    """Word search over labels, statements and quotes (kg.search), ranked, the matched words marked."""
    from ...search import highlight, snippet
    q = request.args.get("q", "")[:200]
    hits = search_index().search(q, 50) if q.strip() else []
    shown = [{"iri": h.iri, "field": h.field, "matched": h.matched, "score": h.score,
              "label": highlight(cat().label(h.iri), h.matched),
              "snippet": highlight(snippet(h.text, h.matched), h.matched) if h.field != "label" else []}
             for h in hits]
    return render("search.html", q=q, hits=shown)
