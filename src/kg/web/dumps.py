"""/dumps/: every export of :mod:`kg.export` as a download, listed with its size; /context.jsonld.

A dump is a deterministic function of the graph, so each is written once into the private dump
cache (:mod:`kg.dumpcache`: keyed by the graph's canonical form and the export code, shared by
every worker and every restart on the same data; its ETags are that key). `python server.py`
fills the cache in a background process at start-up, so the server answers queries at once; a
dump asked for before then is written on demand (about a second; ten for the HermiT-inferred one).
"""
from __future__ import annotations

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, render_template, request
from werkzeug.exceptions import NotFound

from ..canonical import dataset_from_quads
from ..dumpcache import DumpCache, default_root
from ..export import DUMP_NAMES, FORMATS, Dump, as_source, context_bytes, export
from .state import current_state
from .http import public_root

bp = Blueprint("dumps", __name__)

#: formats listed as dumps (the JSON-LD context is served at /context.jsonld instead)
DUMP_FORMATS = [f for f in FORMATS.values() if f.kind != "context"]


class _Exporter:
    """make(name, nquads) for the cache: one export Source (one canonicalisation) for all formats."""

    def __init__(self):
        self.source = None

    def __call__(self, name: str, nquads: bytes) -> bytes:
        if self.source is None:
            self.source = as_source(dataset_from_quads(ox.parse(nquads, format=ox.RdfFormat.N_QUADS)))
        return export(name, self.source)


def make_cache(store, config) -> DumpCache:
    """The dump cache of ``store``'s current content (DUMPS_DIR, else kg.dumpcache.default_root)."""
    root = config.get("DUMPS_DIR") or default_root(config.get("STATE_DIR"))
    return DumpCache(store.dump(ox.RdfFormat.N_QUADS), root, _Exporter())


def write_all(c: DumpCache) -> list[str]:
    """Write every dump that is not there yet; the names written or found."""
    from ..reason import ReasoningError
    done = []
    for f in DUMP_FORMATS:
        try:
            c.get(f.name)
            done.append(f.name)
        except ReasoningError:
            continue
    return done


def catalog(c: DumpCache) -> list[Dump]:
    """Each dump with its size: the ones written so far (sizes unknown until written)."""
    return [Dump(f.name, f.filename, f.media_type, f.content_type, f.suffix, c.size(f.name), f.kind, f.title)
            for f in DUMP_FORMATS]


def cache() -> DumpCache:
    """This app's dump cache for the data served now (kept with the other caches, by data version)."""
    return current_state().memo("dumps", lambda state: make_cache(state.store, current_app.config))





@bp.route("/dumps/")
def listing():
    dumps = catalog(cache())
    wants_json = request.args.get("format") == "json" or (
        request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json")
    if wants_json:
        return {"dumps": [{"file": d.filename, "url": public_root() + "dumps/" + d.filename,
                           "format": d.name, "media_type": d.media_type,
                           "bytes": d.size if d.size >= 0 else None, "title": d.title} for d in dumps]}
    twins = [("?format=json", "application/json", "json")]
    resp = Response(render_template("dumps.html", dumps=dumps, twins=twins), content_type="text/html; charset=utf-8")
    resp.headers["Link"] = '<?format=json>; rel="alternate"; type="application/json"'
    return resp


@bp.route("/dumps/<filename>")
def dump(filename: str):
    from ..reason import ReasoningError
    name = DUMP_NAMES.get(filename)
    if name is None or FORMATS[name].kind == "context":
        raise NotFound(f"no dump called {filename!r}: see /dumps/ for the list")
    c = cache()
    etag = f"{c.key}-{name}"
    if request.if_none_match.contains(etag):
        resp = Response(status=304)
    else:
        try:
            body = c.get(name)
        except ReasoningError as exc:
            return Response(f"503 Service Unavailable: the {filename} dump cannot be made here: {exc}\n",
                            status=503, content_type="text/plain; charset=utf-8")
        resp = Response(body, content_type=FORMATS[name].content_type)
        resp.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    resp.set_etag(etag)
    resp.headers["Cache-Control"] = "no-cache"
    return resp


@bp.route("/context.jsonld")
def context():
    resp = Response(context_bytes(), content_type="application/ld+json; charset=utf-8")
    resp.headers["Access-Control-Allow-Origin"] = "*"
    return resp


__all__ = ["bp", "DUMP_FORMATS", "cache", "catalog", "make_cache", "write_all"]
