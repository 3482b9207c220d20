"""The web application: ``create_app(config)`` builds it, blueprints add the pages.

The config's keys and defaults are the rows of :mod:`kg.settings`; ``create_app`` reads ``KG_*``
variables only when asked (``from_env=True``). The app's shared state (store, executors, caches)
is reached with :func:`kg.web.state.current_state`.

>>> from kg.store import OxigraphStore
>>> app = create_app({"STORE": OxigraphStore(), "QUERY_TIMEOUT": 0})
>>> app.test_client().get("/sparql?query=ASK{}", headers={"Accept": "application/sparql-results+json"}).json
{'head': {}, 'boolean': True}
"""
from __future__ import annotations

import sys
from pathlib import Path

from flask import Flask

from .. import settings
from ..backends import kind, open_store
from ..cachedir import UnsafeCacheDir, user_cache
from ..curated import KEPT_GRAPHS, CuratedStore, WriteLimits
from ..namespaces import GRAPH
from ..sources import parse_sources
from ..store import Store
from . import http, limits
from .fastpath import ResponseCache
from .protocol import KgRequest
from .state import EXTENSION, EndpointState, current_state

#: the create_app defaults: every app setting of kg.settings, and Flask's own
DEFAULTS = {**settings.app_defaults(), "JSON_SORT_KEYS": False}


def create_app(config: dict | None = None, *, from_env: bool = False) -> Flask:
    """The Flask app. ``config`` overrides the defaults; ``from_env`` reads ``KG_*`` variables first."""
    app = Flask(__name__)
    app.request_class = KgRequest  # werkzeug's request with faster URL decoding (protocol.py)
    app.config.from_mapping(DEFAULTS)
    if from_env:
        app.config.update(settings.from_env(scope="app"))
    if config:
        app.config.update(config)
    writes = bool(app.config["ALLOW_UPDATE"])
    limits.parse_allowlist(app.config["SERVICE_ALLOWLIST"])  # a bad entry is the operator's to fix: say so now
    state = app.extensions[EXTENSION] = EndpointState(_store(app.config, writes), app.config)
    http.install(app)
    from .sparql import bp as sparql_bp
    app.register_blueprint(sparql_bp)
    from .graph_store import bp as graph_store_bp  # /rdf-graph-store: reads always, writes with ALLOW_UPDATE
    app.register_blueprint(graph_store_bp)
    from .dumps import bp as dumps_bp  # /dumps/ and /context.jsonld
    app.register_blueprint(dumps_bp)
    from .shacl import bp as shacl_bp  # /shacl: validate posted data against the shapes, nothing stored
    app.register_blueprint(shacl_bp)
    from .pages import bp as pages_bp  # linked-data pages, the home page, the query UI
    app.register_blueprint(pages_bp)
    if writes or app.config["READ_TOKEN_REQUIRED"]:
        from . import writes as write_path
        write_path.install(app)
    if app.config["RESULT_CACHE_MB"] and not app.config["READ_TOKEN_REQUIRED"]:
        app.wsgi_app = ResponseCache(app.wsgi_app, state)
    if writes:
        app.wsgi_app = write_path.SyncMiddleware(app.wsgi_app, state)
    from .metrics import MetricsMiddleware  # outermost: counts what every layer below answers
    app.wsgi_app = MetricsMiddleware(app.wsgi_app, state.metrics, app.url_map, bind=app.config["METRICS_BIND"],
                                     token_file=app.config["METRICS_TOKEN_FILE"])
    return app


def _store(config, writes: bool) -> Store:
    """The store the config names: a ready Store, a spec for kg.backends.open_store, or (writes on)
    the curated store kept in STATE_DIR."""
    store = config["STORE"]
    if writes and not isinstance(store, CuratedStore):
        return _curated_store(config)
    if store is None or isinstance(store, (str, Path)):
        options = dict(config["STORE_OPTIONS"])
        if kind(store) == "memory":
            options = {"snapshot_dir": _snapshot_dir(config["SNAPSHOT_DIR"]),
                       "snapshot_min_mb": float(config["SNAPSHOT_MIN_MB"]), "say": _say}
        try:
            return open_store(store, sources=parse_sources(config["SOURCES"]), **options)
        except UnsafeCacheDir as exc:
            _say(f"snapshot directory not used ({exc}); loading the source files into memory")
            return open_store(store, sources=parse_sources(config["SOURCES"]))
    return store


def _snapshot_dir(value: str | None) -> Path | None:
    """SNAPSHOT_DIR: 'auto' is the user's cache directory; 'none' (or empty) turns snapshots off."""
    if not value or str(value).lower() == "none":
        return None
    return user_cache("snapshots") if str(value).lower() == "auto" else Path(value)


def _say(message: str) -> None:
    sys.stderr.write(f"[kg] {message}\n")
    sys.stderr.flush()


def _writable_prefix(value: str | None) -> str:
    """WRITABLE_GRAPHS: an IRI prefix; unset = the project's graph/ namespace; "*" = any graph."""
    return "" if value == "*" else (value or str(GRAPH))


def _curated_store(config) -> CuratedStore:
    """The durable, writable store ALLOW_UPDATE needs: its state directory and tokens must be set."""
    from ..validate import ShapesGate
    missing = [k for k in ("STATE_DIR", "TOKENS") if not config.get(k)]
    if missing:
        raise ValueError(f"ALLOW_UPDATE needs {' and '.join(missing)}: a state directory for the journal "
                         "(--state-dir) and a tokens file (--tokens; make one with `kg token add NAME`)")
    if config["STORE"] is not None:
        raise ValueError("ALLOW_UPDATE serves the in-memory store kept in STATE_DIR; it cannot write to "
                         f"the store {config['STORE']!r}")
    write_limits = WriteLimits(timeout=float(config["QUERY_TIMEOUT"]) or 3600.0,  # an update: the query limits
                               memory_mb=float(config["QUERY_MEMORY_MB"]), network=bool(config["SERVICE_ALLOWLIST"]))
    return CuratedStore(config["STATE_DIR"], parse_sources(config["SOURCES"]),
                        writable_prefix=_writable_prefix(config["WRITABLE_GRAPHS"]),
                        allow_default_graph=bool(config["WRITE_DEFAULT_GRAPH"]),
                        check=ShapesGate(config["SHAPES"], config["VALIDATION_TIMEOUT"],
                                         fork_above=int(config["VALIDATION_FORK_ABOVE"])), limits=write_limits,
                        kept_graphs=KEPT_GRAPHS if config["KEPT_GRAPHS"] is None else config["KEPT_GRAPHS"])


__all__ = ["create_app", "EndpointState", "current_state", "parse_sources", "DEFAULTS"]
