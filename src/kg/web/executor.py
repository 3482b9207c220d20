"""Stop queries that overrun their time limit: pyoxigraph has no timeout of its own.

Two ways, chosen by how the server runs (see serving.py): WorkerWatchdog for gunicorn sync
workers (the query runs in the worker; an overrun ends the worker), QueryPool otherwise.

QueryPool: run each query in a pre-forked process that can be killed when it overruns.

pyoxigraph has no query timeout and a Rust loop cannot be interrupted from Python, so every
web worker keeps a small pool of executor processes forked from itself (the store is shared
copy-on-write). A query is sent over a pipe; the answer comes back as finished bytes. When the
time limit passes, the executor is killed with SIGKILL, a fresh one is forked and the client
gets a 503 naming the limit; the web worker and the other executors carry on meanwhile.
The round trip costs ~0.1 ms (measured by bench/endpoint.py, see docs/endpoint.md).
"""
from __future__ import annotations

import ctypes
import os
import signal
import threading
import time
from multiprocessing.connection import Connection, Pipe
from typing import Callable

Answer = tuple  # ("ok", body: bytes, headers: dict) | ("error", status: int, message: str)


class QueryTimeout(Exception):
    pass


class PoolBusy(Exception):
    pass


def _die_with_parent() -> None:
    try:  # Linux: SIGKILL this process when the web worker that forked it goes away
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class _Executor:
    def __init__(self, pid: int, conn: Connection):
        self.pid, self.conn = pid, conn

    def kill(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        self.conn.close()


class QueryPool:
    """``size`` executors per process, each running ``work(job) -> Answer``.

    The pool notices a fork (gunicorn forks workers after loading the app) and starts its own
    executors lazily in each process, so the master holds none.
    """

    def __init__(self, work: Callable[[dict], Answer], size: int = 2, timeout: float = 5.0,
                 on_replace: Callable[[], None] | None = None):
        self.work, self.size, self.timeout = work, max(1, int(size)), float(timeout)
        self.on_replace = on_replace  # called when an executor is killed or died and is replaced (metrics)
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
                for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT,
                            signal.SIGUSR1, signal.SIGUSR2, signal.SIGWINCH, signal.SIGCHLD):
                    signal.signal(sig, signal.SIG_DFL)
                _die_with_parent()
                self._serve(child)
            finally:
                os._exit(0)
        child.close()
        ex = _Executor(pid, parent)
        self._all.append(ex)
        return ex

    def _serve(self, conn: Connection) -> None:  # pragma: no cover - runs in the executor
        while True:
            try:
                job = conn.recv()
            except (EOFError, OSError):
                return
            try:
                answer = self.work(job)
            except Exception as exc:  # a bug, not the client's fault: say so without a trace
                answer = ("error", 500, f"internal error while running the query: {type(exc).__name__}")
            conn.send(answer)

    def _ensure_started(self) -> None:
        if self._pid != os.getpid():
            self._pid = os.getpid()
            self._idle, self._all = [], []
            self._lock = threading.Condition()
            for _ in range(self.size):
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
                if not self._lock.wait(max(0.0, deadline - time.monotonic())) and not self._idle:
                    raise PoolBusy(f"all {self.size} query processes stayed busy for {timeout:g} s")
            ex = self._idle.pop()
            remaining = max(0.05, deadline - time.monotonic())
        try:
            ex.conn.send(job)
            if ex.conn.poll(remaining):
                answer = ex.conn.recv()
            else:
                answer = None
        except (EOFError, OSError):
            answer = ("error", 500, "the query process died while running the query")
            ex.kill()
            ex = self._replace(ex)
            return answer
        if answer is None:
            ex.kill()
            self._replace(ex)
            raise QueryTimeout(f"the query ran longer than the {timeout:g} s limit and was stopped")
        with self._lock:
            self._idle.append(ex)
            self._lock.notify()
        return answer

    def _replace(self, dead: _Executor) -> _Executor:
        if self.on_replace is not None:
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


__all__ = ["QueryPool", "WorkerWatchdog", "QueryTimeout", "PoolBusy", "Answer"]
