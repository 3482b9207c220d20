"""Serve the app under gunicorn (never the Flask development server).

Flags win over ``KG_*`` environment variables, which win over the defaults. The store is
loaded once in gunicorn's master (``preload_app``) and shared copy-on-write by the workers;
each worker forks its own query processes (see executor.py).
"""
from __future__ import annotations

import argparse
import os

from gunicorn.app.base import BaseApplication


def _env(name: str, default):
    value = os.environ.get("KG_" + name)
    return default if value is None else type(default)(value)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--bind", default=_env("BIND", "127.0.0.1:8000"),
                   help="host:port to listen on (KG_BIND; default 127.0.0.1:8000)")
    p.add_argument("--workers", type=int, default=_env("WORKERS", os.cpu_count() or 2),
                   help="gunicorn worker processes (KG_WORKERS; default: one per core)")
    p.add_argument("--threads", type=int, default=_env("THREADS", 0) or None,
                   help="threads per worker; >1 uses gunicorn's gthread worker (KG_THREADS; default 1; 8 for a remote "
                        "--store, whose queries wait on the network; 4 with --allow-update, so a write waiting for "
                        "its shapes check holds a thread, not a worker)")
    p.add_argument("--query-timeout", type=float, default=_env("QUERY_TIMEOUT", 5.0),
                   help="seconds a query may run before it is stopped (KG_QUERY_TIMEOUT; default 5)")
    p.add_argument("--max-rows", type=int, default=_env("MAX_ROWS", 10_000),
                   help="rows/triples per answer; more are cut and the answer says so (KG_MAX_ROWS)")
    p.add_argument("--result-cache-mb", type=int, default=_env("RESULT_CACHE_MB", 32),
                   help="MB of finished answers kept per worker; 0 turns the cache off (KG_RESULT_CACHE_MB)")
    p.add_argument("--data", action="append", metavar="PATH[=GRAPH]",
                   help="serve these files instead of the bundled sources (repeatable; KG_SOURCES, comma-separated)")
    p.add_argument("--store", default=_env("STORE", "memory"), metavar="SPEC",
                   help="what to serve: 'memory' (load the source files; default), the directory of an on-disk "
                        "store written by `kg load --to DIR`, or the SPARQL endpoint URL of a remote engine (KG_STORE)")
    p.add_argument("--service-allow", action="append", metavar="IRI_PREFIX",
                   help="allow SERVICE calls to endpoints under this IRI prefix (repeatable)")
    p.add_argument("--cors-origins", default=_env("CORS_ORIGINS", "*"),
                   help="comma-separated origins allowed by CORS, * for any, empty for none (KG_CORS_ORIGINS)")
    w = p.add_argument_group("curation (writes; off by default, see docs/curation.md)")
    w.add_argument("--allow-update", action="store_true", default=_env("ALLOW_UPDATE", "").lower() in ("1", "true", "yes"),
                   help="accept SPARQL Update and Graph Store writes from curators with a write token (KG_ALLOW_UPDATE)")
    w.add_argument("--state-dir", default=_env("STATE_DIR", ""), metavar="DIR",
                   help="where the curated graph is kept (base snapshot + journal); made on first start (KG_STATE_DIR)")
    w.add_argument("--tokens", default=_env("TOKENS", ""), metavar="FILE",
                   help="the curators' tokens, hashed (make one with `kg token add NAME --file FILE`; KG_TOKENS)")
    w.add_argument("--writable-graphs", default=_env("WRITABLE_GRAPHS", ""), metavar="IRI_PREFIX",
                   help="graphs curators may write: an IRI prefix, or * for any (default: https://w3id.org/deepseek-kg/graph/)")
    w.add_argument("--read-token-required", action="store_true",
                   help="every request needs a token (read role or better), not only writes")
    p.add_argument("--log-level", default=_env("LOG_LEVEL", "info"))
    p.add_argument("--access-log", action="store_true", help="log every request to stderr")
    p.add_argument("--no-dump-warmup", action="store_true",
                   help="do not write the /dumps/ files in the background at start-up (they are then written on first download)")


class _Gunicorn(BaseApplication):
    def __init__(self, app, options: dict):
        self._app, self._options = app, options
        super().__init__()

    def load_config(self):
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self):
        return self._app


def run(args: argparse.Namespace) -> int:
    from . import create_app

    if not args.threads:  # sync workers are fastest for the embedded store (no thread hand-offs);
        # a remote store's queries wait on the network, so threads pass the clients' concurrency on
        args.threads = 4 if args.allow_update else 8 if args.store.startswith(("http://", "https://")) else 1
    config = {"QUERY_TIMEOUT": args.query_timeout, "MAX_ROWS": args.max_rows,
              "QUERY_PROCESSES": max(1, args.threads), "CORS_ORIGINS": args.cors_origins,
              "RESULT_CACHE_MB": args.result_cache_mb,
              # sync workers serve one request each: the query runs in the worker, which is ended on
              # overrun; threaded workers would lose their other requests, so they use query processes
              "QUERY_ISOLATION": "worker" if args.threads <= 1 else "process"}
    if args.data:
        config["SOURCES"] = args.data
    if args.store != "memory":
        config["STORE"] = args.store
    if args.allow_update or args.read_token_required:
        config.update({"ALLOW_UPDATE": bool(args.allow_update), "STATE_DIR": args.state_dir or None,
                       "TOKENS": args.tokens or None, "READ_TOKEN_REQUIRED": bool(args.read_token_required),
                       "WRITABLE_GRAPHS": args.writable_graphs or None})
    if args.service_allow:
        config["SERVICE_ALLOWLIST"] = args.service_allow
    from ..load import LoadError
    try:
        app = create_app(config, from_env=True)
    except (ValueError, LoadError) as exc:  # configuration or data the operator has to fix: say what, no traceback
        raise SystemExit(f"server.py: {exc}") from None
    if not args.no_dump_warmup:
        _warm_dumps(app)
    options = {
        "bind": args.bind, "workers": args.workers, "threads": args.threads,
        "worker_class": "gthread" if args.threads > 1 else "sync",
        "preload_app": True, "loglevel": args.log_level,
        # gunicorn's own watchdog, well past ours (a write may wait for the lock, then be checked)
        "timeout": max(30, int(args.query_timeout * 4) + 5) + (240 if args.allow_update else 0),
        "graceful_timeout": 10, "control_socket_disable": True, "keepalive": 5, "limit_request_line": 8190,
        "accesslog": "-" if args.access_log else None, "proc_name": "kg-sparql",
    }
    _Gunicorn(app, options).run()
    return 0


def _warm_dumps(app) -> None:
    """Write the dumps in a forked child while the workers start serving (the app is loaded and
    single-threaded here, so forking is safe); the child exits when done."""
    import os
    pid = os.fork()
    if pid:
        return
    try:
        with app.app_context():
            from .dumps import cache
            os.nice(10)  # queries first
            cache().write_all()
    finally:
        os._exit(0)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="server.py", description="Serve the knowledge graph over SPARQL 1.1 (gunicorn).")
    add_arguments(p)
    return run(p.parse_args(argv))


__all__ = ["add_arguments", "run", "main"]
