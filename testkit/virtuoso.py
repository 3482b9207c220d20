"""A throwaway Virtuoso Open Source 7 instance for tests, CI and benchmarks (never for production).

Why: the remote-store tests and bench/ need a real SPARQL engine behind ``kg serve --store URL``,
and the Debian package's own instance listens on 0.0.0.0 with the dba/dba login. This launcher
writes its own ``virtuoso.ini`` (loopback-only ports, a database directory under ``workdir``),
runs ``virtuoso-t +configfile FILE +foreground``, waits until SPARQL answers, replaces the dba
password with a random one, and stops the server (and nothing else) on exit.

Usage::

    from testkit.virtuoso import Virtuoso, available
    if available():
        with Virtuoso("/tmp/vt") as v:           # ~4 s to start; ports picked free unless given
            v.sparql_url                          # http://127.0.0.1:PORT/sparql      (read-only, anonymous)
            v.update_url                          # http://127.0.0.1:PORT/sparql-auth  (SPARQL Update, digest auth)
            v.gsp_url                             # .../sparql-graph-crud-auth         (Graph Store Protocol, digest)
            v.user, v.password                    # the credentials for those two
            v.bulk_load("/data/big.nt", "https://example.org/graph/big")  # isql ld_dir + rdf_loader_run + checkpoint
            v.isql("SELECT COUNT(*) FROM DB.DBA.RDF_QUAD;")                # any SQL, as dba; returns stdout

    # the same from a shell: kg load --to "$URL" --update-url ... --user dba --password ...
    # or: python -m testkit.virtuoso /tmp/vt   (starts one, prints the URLs and credentials; Ctrl-C or
    # SIGTERM stops it)

``bulk_load`` is the fast path for large files (1M triples in ~6 s, shared/FACTS.md); it links the
file into ``workdir/import`` because Virtuoso reads only from the ini's ``DirsAllowed``.
"""
from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import time
from pathlib import Path

from .launch import Engine, free_port, stop_on_signals

__all__ = ["Virtuoso", "VirtuosoError", "available", "new_password", "SERVER", "ISQL"]

SERVER = "virtuoso-t"
ISQL = next((n for n in ("isql-vt", "isql") if shutil.which(n)), "isql-vt")  # Debian names it isql-vt


def new_password() -> str:
    """A random dba password that never starts with "-" (a command line would read it as a flag)."""
    return "kg" + secrets.token_urlsafe(12)


class VirtuosoError(RuntimeError):
    pass


def available() -> bool:
    """Whether virtuoso-t and its isql client are installed (``apt-get install virtuoso-opensource-7``)."""
    return bool(shutil.which(SERVER) and shutil.which(ISQL))


_INI = """\
; written by testkit.virtuoso for a throwaway instance: loopback only, database in this directory
[Database]
DatabaseFile       = {db}/virtuoso.db
ErrorLogFile       = {db}/virtuoso.log
LockFile           = {db}/virtuoso.lck
TransactionFile    = {db}/virtuoso.trx
xa_persistent_file = {db}/virtuoso.pxa
ErrorLogLevel      = 7
FileExtend         = 200
Striping           = 0
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile       = {db}/virtuoso-temp.db
TransactionFile    = {db}/virtuoso-temp.trx
Striping           = 0

[Parameters]
ServerPort         = 127.0.0.1:{isql_port}
DisableUnixSocket  = 1
DirsAllowed        = ., {import_dir}
NumberOfBuffers    = {buffers}
MaxDirtyBuffers    = {dirty}
CheckpointInterval = 60
ThreadsPerQuery    = 2
MaxQueryMem        = 1G

[HTTPServer]
ServerPort         = 127.0.0.1:{http_port}
ServerRoot         = {vsp}
ServerThreads      = 10
MaxKeepAlives      = 10
KeepAliveTimeout   = 10
EnabledGzipContent = 0

[SPARQL]
; our server caps rows itself (it asks for one more than MAX_ROWS): never let Virtuoso cut silently
ResultSetMaxRows           = 1000000
; a resource guard only: our client gives up at its own QUERY_TIMEOUT; past this Virtuoso stops the
; query and sends a partial answer flagged by X-SQL-State, which kg.remote refuses
MaxQueryExecutionTime      = {max_query_seconds}
MaxQueryCostEstimationTime = 0
"""


class Virtuoso(Engine):
    """One Virtuoso server on loopback ports with its database under ``workdir`` (see module docstring).

    ``buffers``: Virtuoso's page cache in 8 KiB pages (10,000 = 80 MB; ~170,000 per GB for big loads).
    ``max_query_seconds``: Virtuoso's own limit, where it stops a query our client has long abandoned.
    """

    name = "virtuoso"
    program = SERVER
    error = VirtuosoError

    def __init__(self, workdir: str | os.PathLike, http_port: int | None = None, isql_port: int | None = None,
                 *, buffers: int = 10_000, start_timeout: float = 60.0, max_query_seconds: int = 120):
        self.workdir = Path(workdir).resolve()
        self.http_port = http_port or free_port()
        self.isql_port = isql_port or free_port()
        self.buffers, self.start_timeout = int(buffers), float(start_timeout)
        self.max_query_seconds = int(max_query_seconds)
        self.user, self.password = "dba", new_password()
        self.proc: subprocess.Popen | None = None
        self.start_seconds = 0.0

    # -- addresses --------------------------------------------------------------------------
    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def sparql_url(self) -> str:
        return self.base + "/sparql"

    @property
    def update_url(self) -> str:
        return self.base + "/sparql-auth"

    @property
    def gsp_url(self) -> str:
        return self.base + "/sparql-graph-crud-auth"

    @property
    def ini(self) -> Path:
        return self.workdir / "virtuoso.ini"

    @property
    def log(self) -> Path:
        return self.workdir / "db" / "virtuoso.log"

    # -- life cycle -------------------------------------------------------------------------
    def start(self) -> "Virtuoso":
        """Write the ini into a fresh database directory, start the server, wait for SPARQL, set the password."""
        if not available():
            raise VirtuosoError(f"{SERVER} is not installed (apt-get install virtuoso-opensource-7)")
        db, vsp, imp = self.workdir / "db", self.workdir / "vsp", self.workdir / "import"
        shutil.rmtree(db, ignore_errors=True)  # throwaway: always a new database
        for d in (db, vsp, imp):
            d.mkdir(parents=True, exist_ok=True)
        self.ini.write_text(_INI.format(db=db, vsp=vsp, import_dir=imp, isql_port=self.isql_port,
                                        http_port=self.http_port, buffers=self.buffers,
                                        dirty=self.buffers * 3 // 4, max_query_seconds=self.max_query_seconds))
        t0 = time.monotonic()
        self._spawn([SERVER, "+configfile", str(self.ini), "+foreground"], cwd=db)
        try:
            self._wait_until_answers(t0 + self.start_timeout)
            self.isql(f"USER_SET_PASSWORD('dba', '{self.password}');", password="dba")
        except BaseException:
            self.stop()
            raise
        self.start_seconds = time.monotonic() - t0
        return self

    def _tail(self) -> str:
        return self.log.read_text(errors="replace")[-1500:] if self.log.exists() else ""

    # -- administration ---------------------------------------------------------------------
    def isql(self, sql: str, *, password: str | None = None, timeout: float = 600.0) -> str:
        """Run SQL statements (each ending in ';') as dba; raises VirtuosoError on any SQL error."""
        cmd = [ISQL, f"127.0.0.1:{self.isql_port}", "dba", password or self.password, "VERBOSE=OFF",
               "BANNER=OFF", "PROMPT=OFF", "ECHO=OFF", "ERRORS=STDOUT", f"exec={sql}"]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        text = out.stdout + out.stderr
        if out.returncode != 0 or "*** Error" in text:  # isql exits 0 after a failed statement
            raise VirtuosoError(f"isql: {' '.join(text.split())[:500]}")
        return out.stdout

    def bulk_load(self, path: str | os.PathLike, graph: str) -> float:
        """Load one large RDF file (.nt, .ttl, .nq, .trig, .owl, .gz of those) into ``graph``; returns seconds."""
        src = Path(path).resolve()
        if not src.is_file():
            raise VirtuosoError(f"{src}: file not found")
        imp = self.workdir / "import"
        link = imp / f"{secrets.token_hex(4)}-{src.name}"
        link.symlink_to(src)
        t0 = time.monotonic()
        try:
            q = lambda s: s.replace("'", "''")  # noqa: E731 - SQL string literal
            self.isql(f"ld_dir('{q(str(imp))}', '{q(link.name)}', '{q(graph)}'); rdf_loader_run(); checkpoint;")
            errors = self.isql(f"SELECT ll_error FROM DB.DBA.load_list WHERE ll_file = '{q(str(link))}' "
                               "AND ll_error IS NOT NULL;").strip()
            if errors:
                raise VirtuosoError(f"{src}: {' '.join(errors.split())[:300]}")
        finally:
            link.unlink(missing_ok=True)
        return time.monotonic() - t0


def main(argv: list[str] | None = None) -> int:
    import argparse
    p = argparse.ArgumentParser(prog="python -m testkit.virtuoso",
                                description="Run a throwaway Virtuoso until Ctrl-C or SIGTERM.")
    p.add_argument("workdir")
    p.add_argument("--http-port", type=int)
    p.add_argument("--isql-port", type=int)
    a = p.parse_args(argv)
    stop_on_signals()  # SIGTERM used to end Python without unwinding, leaving virtuoso-t running
    try:
        with Virtuoso(a.workdir, a.http_port, a.isql_port) as v:
            print(f"started in {v.start_seconds:.1f} s (pid {v.proc.pid})\nquery:  {v.sparql_url}\n"
                  f"update: {v.update_url}\ngsp:    {v.gsp_url}\nuser:   {v.user}\npassword: {v.password}", flush=True)
            while v.proc and v.proc.poll() is None:
                time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
