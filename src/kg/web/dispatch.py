"""Whole /sparql requests, answered by the sandboxed query processes themselves.

Why: handing only the *query* to a query process (executor.py) costs two crossings between
processes per request: the worker's thread sends the job and sleeps, the query process wakes,
answers and sleeps, the thread wakes, writes the answer and hands the connection back to the
event loop (a third wake-up). Under load each crossing cost more than Flask and the engine
together: the competency mix ran at 0.66-0.71x the Oxigraph server's throughput, against
0.9-1.06x with the query run in the worker itself (bench/endpoint.py, docs/endpoint.md).

So the worker's event loop (worker.py) still reads every request whole, enforces the request
limits and the per-client turns, and then hands a /sparql request *and the client's socket*
(SCM_RIGHTS) to an idle query process. That process parses the request, runs the app (the
protocol, the checks, the query, the serialisation: the same code as everywhere else) and writes
the answer to the client itself; then it tells the worker, in one byte, whether the connection
stays open. One crossing each way, no thread, no copy of the answer.

The walls are the query processes' (executor.py, kg.sandbox): each runs with a deep stack, no
network unless a SERVICE allow-list needs it, and QUERY_MEMORY_MB of growth per request. The
worker keeps the clock: past DEMOTE_AFTER a process is demoted to the lowest CPU priority (and
replaced once it is done), past QUERY_TIMEOUT it is killed and the worker answers 503 itself
(when no byte of the answer was written yet; otherwise the connection is closed), and a process
that dies is replaced (503 when it died of the memory limit, 500 otherwise). A shared byte per
process says whether it started writing. Everything on the worker's side runs on its event loop
thread, so nothing here takes a lock.
"""
from __future__ import annotations

import fcntl
import mmap
import os
import pickle
import selectors
import socket
import struct
import sys
import time
from collections import deque
from typing import Callable

from .. import sandbox
from .executor import DEMOTE_AFTER, INITIAL_PROCESSES, TIMEOUT_ADVICE, _demote, busy_message, memory_message, timeout_message

__all__ = ["RequestPool", "CpuSlots", "Failure", "wants", "cache_key", "cacheable", "KEYED"]

#: seconds after which a running request gives its CPU slot back: the slots keep short requests from
#: taking turns on the same cores, and must never make one wait long behind a long one
RELEASE_AFTER = 0.03
_LENGTH = struct.Struct("!I")
_KEEP, _RECYCLE, _WRITTEN = 1, 2, 4

#: (status, body text, extra headers): what the worker answers when the process could not
Failure = tuple


def wants(method: bytes, target: bytes, writes: bool) -> bool:
    """Whether a request goes to a query process whole: the SPARQL endpoint's reads. With the write
    path on, POSTs (which may be updates: they take the write lock in the worker) stay in the worker.

    >>> wants(b"GET", b"/sparql?query=ASK%7B%7D", False), wants(b"POST", b"/sparql", True), wants(b"GET", b"/", False)
    (True, False, False)
    """
    if method not in (b"GET", b"HEAD") and not (method == b"POST" and not writes):
        return False
    return target.split(b"?", 1)[0] in (b"/sparql", b"/sparql/")


class CpuSlots:
    """At most ``n`` requests running at once on the machine, across all the workers.

    More running requests than CPUs only take turns on the same cores, and each turn costs: the
    competency mix took 3.0 ms of CPU per request with 4 at once per worker on 2 cores, 1.9 with
    one per CPU (bench/endpoint.py). One byte-range lock of a shared file per running request: the
    kernel drops a worker's locks when it dies, so a crash leaks nothing. Each worker claims an
    index (a lock too) and with it a *home* slot; it may borrow the others' while no other worker
    has requests waiting (a byte per worker in the file, shared memory), so one busy worker can use
    every CPU and two busy workers share them. ``fd``: the file, opened by the master before it
    forks the workers (POSIX locks belong to processes, so each worker's locks are its own).

    >>> import tempfile; f = tempfile.TemporaryFile(); a = CpuSlots(f.fileno(), 2)
    >>> a.take(), a.take(), a.take()
    (0, 1, None)
    >>> f.close()
    """

    CLAIMS, CELLS = 1024, 2048  # offsets: the workers' index locks, their waiting counts

    def __init__(self, fd: int, n: int):
        self.fd, self.n = fd, max(1, int(n))
        self.held: set[int] = set()
        os.ftruncate(fd, max(os.fstat(fd).st_size, 4096))
        self.index = next((i for i in range(256) if self._lock(self.CLAIMS + i)), 255)
        self.home = self.index % self.n
        self.cells = mmap.mmap(fd, 4096)
        self.cells[self.CELLS + self.index] = 0

    def _lock(self, offset: int) -> bool:
        try:
            fcntl.lockf(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, offset)
            return True
        except OSError:
            return False

    def waiting(self, count: int) -> None:
        """Say how many requests wait in this worker (the others then leave its home slot to it)."""
        self.cells[self.CELLS + self.index] = min(255, count)

    def _others_wait(self) -> bool:
        cells = self.cells[self.CELLS:self.CELLS + 256]
        return any(cells[:self.index]) or any(cells[self.index + 1:])

    def take(self) -> int | None:
        order = [self.home] + [i for i in range(self.n) if i != self.home]
        for i in order:
            if i in self.held:  # a process's own locks never conflict with each other: keep count here
                continue
            if i != self.home and self._others_wait():
                return None
            if self._lock(i):
                self.held.add(i)
                return i
        return None

    def give(self, i: int | None) -> None:
        if i is not None and i in self.held:
            self.held.discard(i)
            try:
                fcntl.lockf(self.fd, fcntl.LOCK_UN, 1, i)
            except OSError:
                pass


#: request headers the worker reads for cache_key (an answer varies on them, or they rule caching out)
KEYED = frozenset({b"accept", b"accept-encoding", b"host", b"origin", b"connection", b"if-none-match",
                   b"if-modified-since", b"range"})


def cache_key(method: bytes, target: bytes, version: bytes, fields: dict) -> tuple | None:
    """What makes two requests get the same answer, as the worker can tell from their bytes: the URL
    and the headers the answer varies on (what fastpath.ResponseCache keys on); None for a request
    the worker must not answer from its cache (not a plain HTTP/1.1 GET kept alive, conditional, ranged).

    >>> cache_key(b"GET", b"/sparql?query=ASK%7B%7D", b"HTTP/1.1", {b"accept": b"text/csv", b"accept-encoding": b"gzip"})
    (b'/sparql?query=ASK%7B%7D', b'text/csv', None, None, True)
    >>> cache_key(b"GET", b"/sparql?query=x", b"HTTP/1.1", {b"if-none-match": b'"abc"'}) is None
    True
    """
    if method != b"GET" or version != b"HTTP/1.1" or b"close" in fields.get(b"connection", b"").lower():
        return None
    if b"if-none-match" in fields or b"if-modified-since" in fields or b"range" in fields:
        return None
    return (target, fields.get(b"accept"), fields.get(b"origin"), fields.get(b"host"),
            b"gzip" in fields.get(b"accept-encoding", b""))


def cacheable(response: bytes) -> bool:
    """An answer the worker keeps for cache_key: 200, with an ETag (a query's answer or the service
    description: what fastpath.ResponseCache keeps), kept alive.

    >>> cacheable(b'HTTP/1.1 200 OK\\r\\nETag: "x"\\r\\nConnection: keep-alive\\r\\n\\r\\n{}')
    True
    """
    head = response.split(b"\r\n\r\n", 1)[0].lower()
    return head.startswith(b"http/1.1 200 ") and b"\r\netag:" in head and b"\r\nconnection: close" not in head


# -- the query process's side ---------------------------------------------------------------------
_flags: mmap.mmap | None = None
_slot = 0
_written: list | None = None  # the answer's bytes, kept for the worker's cache (when it asked for them)
_written_max = 0              # how many it may keep; counted down as they are written


class _Watched(socket.socket):
    """The client's socket in the query process: the first byte written is noted in the shared
    flags, so the worker knows whether it may still answer 503 after killing the process."""

    def sendall(self, data, *args):
        global _written
        _flags[_slot] = 1
        if _written is not None:
            global _written_max
            _written.append(bytes(data))
            _written_max -= len(data)
            if _written_max < 0:
                _written = None  # too big to keep
        return super().sendall(data, *args)

    def send(self, data, *args):
        _flags[_slot] = 1
        return super().send(data, *args)

    def sendfile(self, file, offset=0, count=None):
        _flags[_slot] = 1
        return super().sendfile(file, offset, count)


def _recv_request(chan: socket.socket):
    """(payload, fd) of the next request, or None when the worker is gone."""
    try:
        data, fds, _, _ = socket.recv_fds(chan, 1 << 16, 1)
    except OSError:
        return None
    if not data or not fds:
        for fd in fds:
            os.close(fd)
        return None
    while len(data) < _LENGTH.size:
        more = chan.recv(1 << 16)
        if not more:
            return None
        data += more
    (n,) = _LENGTH.unpack_from(data)
    chunks, have = [data[_LENGTH.size:]], len(data) - _LENGTH.size
    while have < n:
        more = chan.recv(min(1 << 20, n - have))
        if not more:
            return None
        chunks.append(more)
        have += len(more)
    return b"".join(chunks), fds[0]


class _Proc:
    __slots__ = ("pid", "chan", "slot", "done", "deadline", "demote_at", "release_at", "demoted", "grace", "cpu")

    def __init__(self, pid: int, chan: socket.socket, slot: int):
        self.pid, self.chan, self.slot = pid, chan, slot
        self.cpu = None           # the CpuSlots lock its running request holds
        self.done = None          # the worker's callback while a request is in the process
        self.deadline = self.demote_at = self.release_at = 0.0
        self.demoted = self.grace = False


class RequestPool:
    """Up to ``size`` query processes of one worker, each answering whole requests with ``serve``.

    A request starts when a process is free and either nothing of this worker is running or a CPU
    slot (``cpus``, machine-wide) is free; without ``cpus``, while fewer than ``running`` run here.
    The rest wait, in order, in the worker's loop. A request still running after RELEASE_AFTER
    (30 ms) gives its slot back, so a long query holds the short ones up for 30 ms at most; past
    DEMOTE_AFTER it is also demoted.

    ``serve(request: bytes, sock, peer, server) -> bool`` runs in the query process: it answers the
    request on ``sock`` and says whether the connection stays open. ``on_start()`` runs once in each
    new process (the app drops what only the worker needs). ``grace``: seconds a process that has
    started writing gets past the time limit to finish (a slow reader), after which the connection
    is closed. ``on_replace`` / ``on_timeout``: counters (metrics).
    """

    def __init__(self, serve: Callable, *, size: int, timeout: float, memory_mb: float = 0, network: bool = False,
                 running: int = 0, cpus: CpuSlots | None = None, grace: float = 10.0, on_start: Callable[[], None] | None = None,
                 on_replace: Callable[[], None] | None = None, on_timeout: Callable[[], None] | None = None):
        self.serve, self.size, self.timeout = serve, max(1, int(size)), float(timeout)
        self.running = max(0, int(running)) or self.size
        self.cpus = cpus
        self.memory_mb, self.network, self.grace = float(memory_mb or 0), bool(network), float(grace)
        self.on_start, self.on_replace, self.on_timeout = on_start, on_replace, on_timeout
        self.poller: selectors.BaseSelector | None = None
        self.flags: mmap.mmap | None = None
        self.idle: list[_Proc] = []
        self.procs: list[_Proc] = []
        self.waiting: deque = deque()  # (deadline, request, sock, peer, server, done) while every process is busy

    # -- life cycle (the worker's event loop thread) ---------------------------------------------
    def start(self, poller: selectors.BaseSelector) -> None:
        """In the worker process, before it serves: the shared flags and the first processes."""
        self.poller = poller
        self.flags = mmap.mmap(-1, max(mmap.PAGESIZE, self.size))
        for slot in range(min(self.size, INITIAL_PROCESSES)):
            self.idle.append(self._spawn(slot))

    def close(self) -> None:
        for p in list(self.procs):
            self._kill(p)
        self.procs, self.idle = [], []

    def _spawn(self, slot: int) -> _Proc:
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the query process (tested through live servers)
            try:
                for p in self.procs:  # siblings' channels: EOF detection keeps working
                    p.chan.close()
                parent.close()
                sandbox.close_sockets(keep=(child.fileno(),))  # the worker's listeners and clients' connections
                sandbox.reset_signals()
                sandbox.die_with_parent()
                if not self.network:
                    sandbox.isolate_network()
                global _flags, _slot
                _flags, _slot = self.flags, slot
                if self.on_start is not None:
                    self.on_start()
                sandbox.run_with_stack(self._child, child)
            except BaseException:  # noqa: BLE001 - never return into the worker's code
                pass
            finally:
                os._exit(0)
        child.close()
        parent.setblocking(True)
        p = _Proc(pid, parent, slot)
        self.procs.append(p)
        self.poller.register(parent, selectors.EVENT_READ, lambda _f, p=p: self._answered(p))
        return p

    def _child(self, chan: socket.socket) -> None:  # pragma: no cover - runs in the query process
        limit = sandbox.MemoryLimit(self.memory_mb)
        while True:
            got = _recv_request(chan)
            if got is None:
                return
            payload, fd = got
            request, peer, server, capture = pickle.loads(payload)
            global _written, _written_max
            _written, _written_max = ([] if capture else None), capture
            _flags[_slot] = 0
            sock = _Watched(fileno=fd)
            keep = False
            limit.apply()
            try:
                keep = bool(self.serve(request, sock, peer, server))
            except MemoryError:
                keep = False
            except Exception as exc:  # a bug: the worker answers 500 if nothing was written
                print(f"[kg] a query process failed on a request: {type(exc).__name__}", file=sys.stderr, flush=True)
            finally:
                limit.lift()
                try:
                    sock.close()  # this process's copy; the worker keeps the connection
                except OSError:
                    pass
            recycle = bool(self.memory_mb) and limit.grown() > 2 * limit.extra
            written = b"".join(_written) if keep and _written else b""
            _written = None
            bits = (_KEEP if keep else 0) | (_RECYCLE if recycle else 0) | (_WRITTEN if written else 0)
            try:
                chan.sendall(bytes([bits]) + (_LENGTH.pack(len(written)) + written if written else b""))
            except OSError:
                return

    # -- requests (the worker's event loop thread) ----------------------------------------------
    def submit(self, request: bytes, sock: socket.socket, peer, server, done: Callable[..., None],
               capture: int = 0) -> None:
        """Answer ``request`` (the whole request's bytes) on ``sock``; ``done(keep, failure)`` is
        called on this thread once it is answered: ``failure`` is (status, text, headers) when the
        worker must answer instead (nothing was written), ``keep`` whether the connection stays open.
        ``capture``: also hand back the answer's bytes, up to that many (``done(keep, None, written)``),
        for the worker's cache."""
        now = time.monotonic()
        cpu = self._free() if not self.waiting else False
        if cpu is False:
            self.waiting.append((now + self.timeout, (request, capture), sock, peer, server, done))
            self._say_waiting()
            return
        self._send(self._take(), (request, capture), sock, peer, server, done, now, cpu)

    def _say_waiting(self) -> None:
        if self.cpus is not None:
            self.cpus.waiting(len(self.waiting))

    def _free(self):
        """Whether a request may start now: False, or the CPU slot it takes (None: none needed)."""
        if not self.idle and len(self.procs) >= self.size:
            return False
        running = sum(1 for p in self.procs if p.done is not None and not p.demoted)
        if self.cpus is None:
            return None if running < self.running else False
        cpu = self.cpus.take()
        if cpu is None and running:  # every CPU is busy: wait, unless nothing of ours runs (never starve)
            return False
        return cpu

    def _take(self) -> _Proc:
        if self.idle:
            return self.idle.pop()
        used = {p.slot for p in self.procs}
        return self._spawn(next(s for s in range(self.size) if s not in used))

    def _send(self, proc: _Proc, request: tuple, sock, peer, server, done, now: float, cpu=None) -> None:
        proc.cpu = cpu
        payload = pickle.dumps((request[0], peer, server, request[1]), protocol=pickle.HIGHEST_PROTOCOL)
        data = _LENGTH.pack(len(payload)) + payload
        proc.done, proc.deadline, proc.demote_at = done, now + self.timeout, now + DEMOTE_AFTER
        proc.release_at = now + RELEASE_AFTER
        proc.demoted = proc.grace = False
        self.flags[proc.slot] = 0
        try:
            sent = socket.send_fds(proc.chan, [data], [sock.fileno()])
            if sent < len(data):
                proc.chan.sendall(data[sent:])
        except OSError:  # the process is gone: _answered sees the EOF and says why
            pass

    def _answered(self, proc: _Proc) -> None:
        try:
            data = proc.chan.recv(1 << 16)
            if data and data[0] & _WRITTEN:  # the answer's bytes follow: the process is sending them now
                while len(data) < 1 + _LENGTH.size:
                    data += proc.chan.recv(1 << 16) or b"\x00" * _LENGTH.size
                need = 1 + _LENGTH.size + _LENGTH.unpack_from(data, 1)[0]
                while len(data) < need:
                    more = proc.chan.recv(min(1 << 20, need - len(data)))
                    if not more:
                        data = b""
                        break
                    data += more
        except OSError:
            data = b""
        done, proc.done = proc.done, None
        self._release(proc)
        if not data:  # the process died (or was never running a request)
            failure = self._died(proc)
            if done is not None:
                done(False, failure)
            self._next()
            return
        if done is None:
            return
        bits = data[0]
        if bits & _RECYCLE or proc.demoted:  # left big or demoted by a long request: answer, then a fresh one
            self._retire(proc)
        else:
            self.idle.append(proc)
        done(bool(bits & _KEEP), None, data[1 + _LENGTH.size:] if bits & _WRITTEN else None)
        self._next()

    def _next(self) -> None:
        now = time.monotonic()
        while self.waiting:
            cpu = self._free()
            if cpu is False:
                break
            _, request, sock, peer, server, done = self.waiting.popleft()
            self._send(self._take(), request, sock, peer, server, done, now, cpu)
        self._say_waiting()

    def next_wakeup(self) -> float | None:
        """When tick() has something to do next (monotonic seconds), or None."""
        times = [p.deadline if p.demoted else p.release_at if p.cpu is not None else p.demote_at
                 for p in self.procs if p.done is not None]
        if self.waiting:
            times.append(self.waiting[0][0])
        return min(times) if times else None

    def tick(self) -> None:
        """Demote, stop and refuse what has run or waited too long."""
        now = time.monotonic()
        for proc in [p for p in self.procs if p.done is not None]:
            if now >= proc.deadline:
                if self.flags[proc.slot] and not proc.grace:  # writing the answer to a slow reader: a little longer
                    proc.grace, proc.deadline = True, now + self.grace
                    continue
                done, proc.done = proc.done, None
                self._release(proc)
                written = bool(self.flags[proc.slot])
                self._kill(proc)
                self._replace(proc, restart=True)
                if self.on_timeout is not None:
                    self.on_timeout()
                print(f"[kg] a query ran past {self.timeout:g} s: stopped", file=sys.stderr, flush=True)
                done(False, None if written else (
                    503, f"503 Query Timeout: {timeout_message(self.timeout)}. {TIMEOUT_ADVICE}", (("Retry-After", "1"),)))
            elif proc.cpu is not None and now >= proc.release_at:
                self._release(proc)  # not a short request: the next one may start beside it (the CPUs are shared)
            elif not proc.demoted and now >= proc.demote_at:
                proc.demoted = _demote(proc.pid) or True
                self._release(proc)  # a long query runs on behind the short ones: its CPU slot is theirs
        while self.waiting and now >= self.waiting[0][0]:
            _, _, _, _, _, done = self.waiting.popleft()
            done(False, (503, f"503 Service Unavailable: {busy_message(self.size, self.timeout)}; try again shortly",
                         (("Retry-After", "1"),)))
        self._next()

    # -- processes ------------------------------------------------------------------------------
    def _release(self, proc: _Proc) -> None:
        if self.cpus is not None:
            self.cpus.give(proc.cpu)
        proc.cpu = None

    def _kill(self, proc: _Proc) -> int:
        self._release(proc)
        try:
            self.poller.unregister(proc.chan)
        except (KeyError, ValueError, OSError):
            pass
        status = sandbox.kill(proc.pid)
        proc.chan.close()
        if proc in self.procs:
            self.procs.remove(proc)
        if proc in self.idle:
            self.idle.remove(proc)
        return status

    def _replace(self, proc: _Proc, restart: bool) -> None:
        if restart and self.on_replace is not None:
            self.on_replace()
        self.idle.append(self._spawn(proc.slot))

    def _retire(self, proc: _Proc) -> None:
        self._kill(proc)
        self._replace(proc, restart=False)

    def _died(self, proc: _Proc) -> Failure | None:
        written = bool(self.flags[proc.slot])
        cause = sandbox.death_cause(self._kill(proc), self.memory_mb)
        self._replace(proc, restart=True)
        if written:
            return None
        if isinstance(cause, sandbox.OutOfMemory):
            return (503, f"503 Service Unavailable: {memory_message(self.memory_mb)}", (("Retry-After", "1"),))
        print(f"[kg] a query process died: {cause}", file=sys.stderr, flush=True)
        return (500, f"500 Internal Server Error: the query process failed while answering ({cause}); the "
                     "failure was logged", ())
