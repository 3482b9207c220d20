"""Serve the app under gunicorn (never the Flask development server).

Every flag is a row of :mod:`kg.settings`: a flag wins over its ``KG_*`` environment variable,
which wins over the default (``settings.resolve``); the app gets the resolved values as its
config and reads no environment itself. The store is loaded once in gunicorn's master
(``preload_app``) and shared copy-on-write by the workers; each worker forks its own query
processes (see executor.py). The workers are :class:`kg.web.worker.BufferingWorker` (gthread
that reads whole requests before a thread takes them: slow clients hold no thread) and log
through :class:`kg.web.worker.ScrubbingLogger` (no token reaches a log).
"""
from __future__ import annotations

import argparse
import atexit
import errno
import os
import resource
import shutil
import socket
import tempfile

from gunicorn.app.base import BaseApplication

from .. import settings
from . import worker
from .metrics import child_exit, multiprocess_dir
from .state import EXTENSION


def add_arguments(p: argparse.ArgumentParser) -> None:
    settings.add_arguments(p)


def _bind(values: dict) -> str:
    """--host/--port (either may be given alone) over --bind."""
    host, _, port = values["BIND"].rpartition(":")
    if values["HOST"] or values["PORT"]:
        host = values["HOST"] or host or "127.0.0.1"
        port = str(values["PORT"] or port or 8000)
        return f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"
    return values["BIND"]


def check_address(bind: str, prog: str) -> None:
    """Fail in one line when the address cannot be listened on (gunicorn would retry five times)."""
    host, sep, port = bind.rpartition(":")
    if not sep or not port.isdigit() or bind.startswith(("unix:", "fd://")):
        return
    host = host.strip("[]") or "0.0.0.0"
    try:
        infos = socket.getaddrinfo(host, int(port), type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise SystemExit(f"{prog}: cannot listen on {bind}: unknown host {host!r} ({exc.strerror})") from None
    family, _, _, _, addr = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(addr)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise SystemExit(f"{prog}: cannot listen on {bind}: the address is in use (is another server "
                                 f"running?); stop it, or pick another port with --port N") from None
            raise SystemExit(f"{prog}: cannot listen on {bind}: {exc.strerror}") from None


class _Gunicorn(BaseApplication):
    def __init__(self, app, options: dict):
        self._app, self._options = app, options
        super().__init__()

    def load_config(self):
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self):
        return self._app


def run(args: argparse.Namespace, prog: str = "kg serve") -> int:
    from ..load import LoadError
    from . import create_app

    prog = getattr(args, "prog", None) or prog
    try:
        values = settings.resolve(args)
    except settings.SettingError as exc:
        raise SystemExit(f"{prog}: {exc}") from None
    threads = values["THREADS"]
    if not threads:  # threads mostly wait (on a query process, a remote engine, the write lock): a thread
        threads = 8  # held by a long query leaves the others; query processes are forked as the load needs them
    if values["QUERY_ISOLATION"] == "worker":  # the query runs in the worker, which is ended on overrun:
        threads = 1                              # one request per worker, or the others would be lost
    bind = _bind(values)
    if values["METRICS_BIND"] or values["METRICS_TOKEN_FILE"] or values["METRICS_DIR"]:  # served: summed over processes
        _multiprocess_metrics(values["METRICS_DIR"], prog)  # before anything imports prometheus_client
    config = {k: v for k, v in values.items() if k in settings.app_defaults()}
    config.update({
        "QUERY_PROCESSES": max(1, threads),
        # by default queries run in killable, sandboxed processes (memory limit, no network; executor.py)
        "QUERY_ISOLATION": values["QUERY_ISOLATION"],
        "STORE": None if values["STORE"] in (None, "memory") else values["STORE"]})
    try:
        app = create_app(config)
    except (ValueError, LoadError) as exc:  # configuration or data the operator has to fix: say what, no traceback
        raise SystemExit(f"{prog}: {exc}") from None
    check_address(bind, prog)  # after the data: what is wrong with it is said first
    if values["METRICS_BIND"]:
        check_address(values["METRICS_BIND"], prog)
    if values["DUMP_WARMUP"]:
        _warm_dumps(app)
    worker.LIMITS.update(request_timeout=float(values["REQUEST_TIMEOUT"]), max_body=int(values["MAX_CONTENT_LENGTH"]),
                         client_threads=max(0, int(values["CLIENT_REQUESTS"])),
                         trusted=tuple(values["TRUSTED_PROXIES"] or ()))
    _raise_file_limit()
    cpu_slots = tempfile.TemporaryFile(prefix="kg-cpu-slots-")  # open while the server runs: the workers lock it
    worker.LIMITS["cpu_slots"] = cpu_slots.fileno()                # (dispatch.CpuSlots)
    options = {
        "bind": [bind] + ([values["METRICS_BIND"]] if values["METRICS_BIND"] else []),
        "workers": values["WORKERS"] or os.cpu_count() or 2, "threads": threads,
        "child_exit": child_exit(app.extensions[EXTENSION].metrics),  # dead workers' gauges; restarts counted
        # gthread, with whole requests read by the event loop first: slow clients hold no thread
        "worker_class": "kg.web.worker.BufferingWorker", "logger_class": "kg.web.worker.ScrubbingLogger",
        "worker_connections": WORKER_CONNECTIONS,
        "preload_app": True, "loglevel": values["LOG_LEVEL"],
        # gunicorn's own watchdog, well past ours (a write may wait for the lock, then be checked)
        "timeout": max(30, int(values["QUERY_TIMEOUT"] * 4) + 5, int(values["SHACL_TIMEOUT"]) + 10)
        + (240 if values["ALLOW_UPDATE"] else 0),
        "graceful_timeout": 10, "control_socket_disable": True, "keepalive": 5,
        "limit_request_line": worker.LIMITS["max_line"], "limit_request_fields": worker.LIMITS["max_fields"],
        "limit_request_field_size": worker.LIMITS["max_field"],
        "accesslog": "-" if values["ACCESS_LOG"] else None, "proc_name": "kg-sparql",
    }
    _Gunicorn(app, options).run()
    cpu_slots.close()
    return 0


def _multiprocess_metrics(configured: str | None, prog: str) -> None:
    """prometheus_client's multiprocess mode: every gunicorn process writes its values into one
    private directory, emptied now (a fresh temporary one unless METRICS_DIR names one, removed when
    the master exits). The library picks the mode when first imported, so this runs before."""
    try:
        directory = multiprocess_dir(configured)
    except (OSError, ValueError) as exc:
        raise SystemExit(f"{prog}: {exc}") from None
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    if not configured:
        master = os.getpid()
        atexit.register(lambda: os.getpid() == master and shutil.rmtree(directory, ignore_errors=True))


#: connections one worker holds at once (kept alive, being read, being answered)
WORKER_CONNECTIONS = 1000


def _raise_file_limit() -> None:
    """Each connection is a file descriptor: let the workers hold WORKER_CONNECTIONS of them."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = WORKER_CONNECTIONS + 256
    if soft != resource.RLIM_INFINITY and soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard) if hard != resource.RLIM_INFINITY else want, hard))


def _warm_dumps(app) -> None:
    """Write the dumps in a forked child while the workers start serving (the app is loaded and
    single-threaded here, so forking is safe); the child exits when done."""
    pid = os.fork()
    if pid:
        return
    try:
        with app.app_context():
            from .dumps import cache, write_all
            os.nice(10)  # queries first
            write_all(cache())
    finally:
        os._exit(0)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="server.py", description="Serve the knowledge graph over SPARQL 1.1 (gunicorn).")
    add_arguments(p)
    return run(p.parse_args(argv), "server.py")


__all__ = ["add_arguments", "run", "main", "check_address"]
