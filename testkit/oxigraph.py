"""A throwaway Oxigraph server for tests, CI and benchmarks: the second SPARQL engine behind
``kg serve --store URL``, beside Virtuoso (testkit.virtuoso).

Why: a store that speaks only the standard protocols must work on more than one engine. The
Oxigraph server (PyPI ``oxigraph``, the same engine as our embedded store but behind HTTP) speaks
SPARQL 1.1 Query (``/query``), Update (``/update``) and the Graph Store Protocol (``/store``)
without extensions, so ``kg load --to`` reaches it with either protocol. This launcher runs
``oxigraph serve --location DIR --bind 127.0.0.1:PORT`` (loopback only, a database directory under
``workdir``, no authentication: never for production), waits until SPARQL answers, and stops the
server (and nothing else) on exit, on Ctrl-C and on SIGTERM.

Usage::

    from testkit.oxigraph import Oxigraph, available
    if available():
        with Oxigraph("/tmp/ox") as o:     # ~0.1 s to start
            o.sparql_url                    # http://127.0.0.1:PORT/query
            o.update_url                    # .../update  (SPARQL Update, no login)
            o.gsp_url                       # .../store   (Graph Store Protocol, no login)

    # or: python -m testkit.oxigraph /tmp/ox   (prints the URLs; Ctrl-C or SIGTERM stops it)
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from .launch import Engine, free_port, stop_on_signals

__all__ = ["Oxigraph", "OxigraphError", "available", "command"]


class OxigraphError(RuntimeError):
    pass


def command() -> str | None:
    """The ``oxigraph`` executable: beside this Python (a venv's bin/) or on PATH."""
    beside = Path(sys.executable).parent / "oxigraph"
    return str(beside) if beside.exists() else shutil.which("oxigraph")


def available() -> bool:
    """Whether the Oxigraph server is installed (``pip install oxigraph``)."""
    return command() is not None


class Oxigraph(Engine):
    """One Oxigraph server on a loopback port with its database under ``workdir`` (see module docstring).

    ``union_default_graph``: answer queries that name no dataset from the union of all graphs
    (``--union-default-graph``); off by default, as kg.remote sends the dataset itself.
    ``timeout``: the server's own limit per query, in seconds.
    """

    name = program = "oxigraph"
    error = OxigraphError
    user = password = None  # no login: the same fields as testkit.virtuoso.Virtuoso

    def __init__(self, workdir: str | os.PathLike, port: int | None = None, *, union_default_graph: bool = False,
                 timeout: int | None = 60, start_timeout: float = 30.0):
        self.workdir = Path(workdir).resolve()
        self.port = port or free_port()
        self.union_default_graph, self.timeout = union_default_graph, timeout
        self.start_timeout = float(start_timeout)
        self.proc: subprocess.Popen | None = None
        self.start_seconds = 0.0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def sparql_url(self) -> str:
        return self.base + "/query"

    @property
    def update_url(self) -> str:
        return self.base + "/update"

    @property
    def gsp_url(self) -> str:
        return self.base + "/store"

    def start(self, *, keep_data: bool = False) -> "Oxigraph":
        exe = command()
        if exe is None:
            raise OxigraphError("the Oxigraph server is not installed (pip install oxigraph)")
        db = self.workdir / "db"
        if not keep_data:
            shutil.rmtree(db, ignore_errors=True)  # throwaway: always a new database
        db.mkdir(parents=True, exist_ok=True)
        args = [exe, "serve", "--location", str(db), "--bind", f"127.0.0.1:{self.port}"]
        args += ["--union-default-graph"] if self.union_default_graph else []
        args += ["--timeout-s", str(self.timeout)] if self.timeout else []
        t0 = time.monotonic()
        self._spawn(args)
        try:
            self._wait_until_answers(t0 + self.start_timeout)
        except BaseException:
            self.stop()
            raise
        self.start_seconds = time.monotonic() - t0
        return self

    def restart(self) -> "Oxigraph":
        """Stop the server and start it again on the same port over the same database: the one way
        to end a query it computes on past its own ``--timeout-s`` (Oxigraph 0.5 does so for a
        COUNT over a cross product, a core busy until the process ends)."""
        self.stop()
        return self.start(keep_data=True)


def main(argv: list[str] | None = None) -> int:
    import argparse
    p = argparse.ArgumentParser(prog="python -m testkit.oxigraph",
                                description="Run a throwaway Oxigraph server until Ctrl-C or SIGTERM.")
    p.add_argument("workdir")
    p.add_argument("--port", type=int)
    a = p.parse_args(argv)
    stop_on_signals()
    try:
        with Oxigraph(a.workdir, a.port) as o:
            print(f"started in {o.start_seconds:.1f} s (pid {o.proc.pid})\nquery:  {o.sparql_url}\n"
                  f"update: {o.update_url}\ngsp:    {o.gsp_url}", flush=True)
            while o.proc and o.proc.poll() is None:
                time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
