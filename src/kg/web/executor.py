"""Stop queries that overrun their time limit: pyoxigraph has no timeout of its own.

Two ways, chosen by how the server runs (see serving.py): WorkerWatchdog for gunicorn sync
workers (the query runs in the worker; an overrun ends the worker), QueryPool otherwise.
Under gunicorn (server.py) a /sparql request does not come here at all: it goes whole, with the
client's socket, to a query process of kg.web.dispatch, which answers the client itself (one
crossing between processes per request instead of two). QueryPool serves the app everywhere else:
the Flask test client, another WSGI server, and queries a page runs.

QueryPool: run each query in a pre-forked process that can be killed when it overruns.

pyoxigraph has no query timeout and a Rust loop cannot be interrupted from Python, so every
web worker keeps a small pool of executor processes forked from itself (the store is shared
copy-on-write). A query is sent over a pipe; the answer comes back as finished bytes. When the
time limit passes, the executor is killed with SIGKILL, a fresh one is forked and the client
gets a 503 naming the limit; the web worker and the other executors carry on meanwhile.
The round trip costs ~0.1 ms (measured by bench/endpoint.py, see docs/endpoint.md).

Each executor runs inside :mod:`kg.sandbox`'s walls: a 256 MiB stack, no network unless a SERVICE
allow-list needs it, and a memory limit per query (QUERY_MEMORY_MB): a query that needs more is
stopped there (503) and the executor replaced. A query still running after DEMOTE_AFTER is
demoted to the lowest CPU priority (its executor is replaced when it ends), so runaway queries
cannot slow the short ones down; executors are forked as the load needs them. :class:`ClientLimiter`
keeps one client's queries from taking every executor (CLIENT_QUERIES; 429 past it).
"""
from __future__ import annotations

import os
import sys
import threading
import time
from contextlib import contextmanager
from multiprocessing.connection import Connection, Pipe
from typing import Callable

from .. import sandbox

Answer = tuple  # ("ok", body: bytes, headers: dict) | ("error", status: int, message: str)


class QueryTimeout(Exception):
    pass


class PoolBusy(Exception):
    pass


#: what a client can do about a query stopped at QUERY_TIMEOUT (every 503 that says so ends with it)
TIMEOUT_ADVICE = "Narrow the query (LIMIT, more specific patterns) or ask the operator to raise QUERY_TIMEOUT."


def timeout_message(seconds: float) -> str:
    return f"the query ran longer than the {seconds:g} s limit and was stopped"


def memory_message(mb: float) -> str:
    return (f"the query needed more than the {mb:g} MB memory limit (QUERY_MEMORY_MB) and was stopped. "
            "Narrow the query (LIMIT, fewer cross products) or ask the operator to raise the limit.")


def busy_message(processes: int, seconds: float) -> str:
    return f"all {processes} query processes stayed busy for {seconds:g} s"


class TooManyQueries(Exception):
    """This client already runs as many queries as CLIENT_QUERIES allows (429)."""


class ClientLimiter:
    """At most ``per_client`` queries of one client run at once in this process (0: no limit).

    A client is what :func:`kg.web.limits.client_key` makes of the request (its address, or the
    network of an IPv6 one). One client's runaway queries then hold at most ``per_client``
    executors of each worker, and the other clients keep the rest.
    """

    def __init__(self, per_client: int):
        self.per_client = max(0, int(per_client or 0))
        self._lock = threading.Lock()
        self._running: dict[str, int] = {}

    @contextmanager
    def slot(self, client: str | None):
        self.take(client)
        try:
            yield
        finally:
            self.give(client)

    def take(self, client: str | None) -> None:
        """Count one more query of ``client``, or raise TooManyQueries (then nothing is counted)."""
        if not self.per_client or client is None:
            return
        with self._lock:
            n = self._running.get(client, 0)
            if n >= self.per_client:
                raise TooManyQueries(f"this client already runs {n} queries here (CLIENT_QUERIES={self.per_client}); "
                                     "wait for one to finish")
            self._running[client] = n + 1

    def give(self, client: str | None) -> None:
        """One query of ``client`` has ended (after a :meth:`take` that did not raise)."""
        if not self.per_client or client is None:
            return
        with self._lock:
            left = self._running.get(client, 1) - 1
            if left > 0:
                self._running[client] = left
            else:
                self._running.pop(client, None)

    def running(self, client: str) -> int:
        return self._running.get(client, 0)


def _die_with_parent() -> None:
    sandbox.die_with_parent()


class _Executor:
    def __init__(self, pid: int, conn: Connection):
        self.pid, self.conn = pid, conn

    def kill(self) -> int:
        """End the executor; its wait status (how it died, if it had already)."""
        status = sandbox.kill(self.pid)
        self.conn.close()
        return status


#: query processes a worker starts with; it forks more (up to QUERY_PROCESSES) when they are all busy
INITIAL_PROCESSES = 2
#: seconds after which a query's process is demoted to the lowest CPU priority (nice 19): a runaway
#: query keeps running to its time limit, but every short query that comes meanwhile goes first.
#: Queries shorter than this (nearly all) never pay anything for it.
DEMOTE_AFTER = 0.2


def _demote(pid: int) -> bool:
    try:
        os.setpriority(os.PRIO_PROCESS, pid, 19)
        return True
    except OSError:
        return False


class QueryPool:
    """``size`` executors per process, each running ``work(job) -> Answer``.

    The pool notices a fork (gunicorn forks workers after loading the app) and starts its own
    executors lazily in each process, so the master holds none.
    """

    def __init__(self, work: Callable[[dict], Answer], size: int = 2, timeout: float = 5.0, *,
                 memory_mb: float = 0, network: bool = False, on_replace: Callable[[], None] | None = None):
        """``memory_mb``: how much one query may make its executor grow (0: no limit);
        ``network``: leave executors on the network (only for a SERVICE allow-list);
        ``on_replace``: called when an executor is killed or died and is replaced (metrics)."""
        self.work, self.size, self.timeout = work, max(1, int(size)), float(timeout)
        self.memory_mb, self.network = float(memory_mb or 0), bool(network)
        self.on_replace = on_replace
        self._pid = None
        self._lock = threading.Condition()
        self._idle: list[_Executor] = []
        self._all: list[_Executor] = []

    # -- process management -------------------------------------------------------------
    def _spawn(self) -> _Executor:
        parent, child = Pipe(duplex=True)
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the executor
            try:
                for ex in self._all:  # siblings' pipe ends: keep EOF detection working
                    ex.conn.close()
                parent.close()
                sandbox.close_sockets(keep=(child.fileno(),))  # the worker's listeners and clients' connections
                sandbox.reset_signals()
                _die_with_parent()
                if not self.network:
                    sandbox.isolate_network()
                sandbox.run_with_stack(self._serve, child)
            finally:
                os._exit(0)
        child.close()
        ex = _Executor(pid, parent)
        self._all.append(ex)
        return ex

    def _serve(self, conn: Connection) -> None:  # pragma: no cover - runs in the executor
        limit = sandbox.MemoryLimit(self.memory_mb)
        while True:
            try:
                job = conn.recv()
            except (EOFError, OSError):
                return
            limit.apply()
            try:
                answer = self.work(job)
            except MemoryError:
                answer = ("error", 503, memory_message(self.memory_mb))
            except Exception as exc:  # a bug, not the client's fault: say so without a trace
                answer = ("error", 500, f"internal error while running the query: {type(exc).__name__}")
            finally:
                limit.lift()
            # a big query's memory stays with the allocator: past twice the limit, ask to be replaced
            conn.send((answer, bool(self.memory_mb) and limit.grown() > 2 * limit.extra))

    def _ensure_started(self) -> None:
        if self._pid != os.getpid():
            self._pid = os.getpid()
            self._idle, self._all = [], []
            self._lock = threading.Condition()
            for _ in range(min(self.size, INITIAL_PROCESSES)):  # the rest when the load asks for them
                self._idle.append(self._spawn())

    def close(self) -> None:
        if self._pid == os.getpid():
            for ex in list(self._all):
                ex.kill()
            self._idle, self._all, self._pid = [], [], None

    # -- running ------------------------------------------------------------------------
    def run(self, job: dict, timeout: float | None = None) -> Answer:
        timeout = self.timeout if timeout is None else timeout
        with self._lock:
            self._ensure_started()
            deadline = time.monotonic() + timeout
            while not self._idle:
                if len(self._all) < self.size:  # grow on demand, up to ``size``
                    self._idle.append(self._spawn())
                    break
                if not self._lock.wait(max(0.0, deadline - time.monotonic())) and not self._idle:
                    raise PoolBusy(busy_message(self.size, timeout))
            ex = self._idle.pop()
            remaining = max(0.05, deadline - time.monotonic())
        demoted = False
        try:
            ex.conn.send(job)
            ready = ex.conn.poll(min(remaining, DEMOTE_AFTER))
            if not ready and remaining > DEMOTE_AFTER:  # a long query: it runs on, behind the short ones
                demoted = _demote(ex.pid)
                ready = ex.conn.poll(remaining - DEMOTE_AFTER)
            if ready:
                answer, recycle = ex.conn.recv()
            else:
                answer = recycle = None
        except (EOFError, OSError):
            cause = sandbox.death_cause(ex.kill(), self.memory_mb)
            self._replace(ex)
            if isinstance(cause, sandbox.OutOfMemory):
                return "error", 503, memory_message(self.memory_mb)
            print(f"[kg] a query process died: {cause}", file=sys.stderr, flush=True)
            return "error", 500, f"the query process failed while running the query ({cause}); the failure was logged"
        if answer is None:
            ex.kill()
            self._replace(ex)
            raise QueryTimeout(timeout_message(timeout))
        if recycle or demoted:  # a query left its executor big or demoted: answer, then start a fresh one
            ex.kill()
            self._replace(ex, restart=False)
            return answer
        with self._lock:
            self._idle.append(ex)
            self._lock.notify()
        return answer

    def _replace(self, dead: _Executor, restart: bool = True) -> _Executor:
        """A fresh executor for ``dead``; ``restart``: it was killed or died (counted by on_replace),
        not retired after a long or big query."""
        if restart and self.on_replace is not None:
            self.on_replace()
        with self._lock:
            if dead in self._all:
                self._all.remove(dead)
            fresh = self._spawn()
            self._idle.append(fresh)
            self._lock.notify()
            return fresh


class WorkerWatchdog:
    """Time limit for queries run inside a gunicorn *sync* worker (one request per process).

    pyoxigraph releases the GIL while it evaluates, so a watchdog thread keeps running. When a
    query overruns, the watchdog writes the 503 answer to the client socket itself and ends the
    worker process; gunicorn's master forks a fresh worker (the store is preloaded, so this is
    quick) while the other workers go on serving. Nothing crosses a process boundary on the
    fast path, which is why sync workers use this instead of QueryPool (measured in bench/).
    """

    def __init__(self, timeout: float, on_overrun: Callable[[], None] | None = None):
        self.timeout = float(timeout)
        self.on_overrun = on_overrun  # called before the worker ends (metrics: it outlives the process)
        self._pid = None
        self._cond = threading.Condition()
        self._deadline = None
        self._sock = None
        self._reply = b""

    def _ensure_started(self) -> None:
        if self._pid != os.getpid():
            self._pid = os.getpid()
            self._cond = threading.Condition()
            self._deadline = None
            threading.Thread(target=self._watch, name="kg-query-watchdog", daemon=True).start()

    def run(self, work: Callable[[dict], Answer], job: dict, sock, reply: bytes) -> Answer:
        """Run ``work(job)``; past the limit, send ``reply`` (a whole HTTP response) and exit."""
        self._ensure_started()
        with self._cond:
            self._deadline = time.monotonic() + self.timeout
            self._sock, self._reply = sock, reply
            self._cond.notify()
        try:
            return work(job)
        finally:
            with self._cond:
                self._deadline = self._sock = None

    def _watch(self) -> None:  # pragma: no cover - its effect is tested through a live server
        while True:
            with self._cond:
                while self._deadline is None:
                    self._cond.wait()
                remaining = self._deadline - time.monotonic()
                if remaining > 0:
                    self._cond.wait(remaining)
                    continue
                sock, reply = self._sock, self._reply
                try:
                    sock.sendall(reply)
                    sock.shutdown(2)
                except OSError:
                    pass
                os.write(2, f"[kg] query ran past {self.timeout:g} s: answered 503, restarting worker {os.getpid()}\n".encode())
                if self.on_overrun is not None:
                    try:
                        self.on_overrun()
                    except Exception:  # the worker ends either way
                        pass
                os._exit(0)  # not 3 or 4: gunicorn halts on those; 0 = just fork a new worker


__all__ = ["QueryPool", "WorkerWatchdog", "QueryTimeout", "PoolBusy", "Answer", "ClientLimiter", "TooManyQueries",
           "TIMEOUT_ADVICE", "timeout_message", "memory_message", "busy_message"]
