"""Run the engine confined: a deep stack, a memory limit, no network, in a process that can be killed.

pyoxigraph runs queries and updates in Rust code that Python cannot interrupt, recurses once per
level of a query's nesting, allocates as much as a query asks for and follows SERVICE and LOAD
to any address. So every query process and every update runs inside these walls:

- **a 256 MiB stack** (:func:`run_with_stack`): a query that fits in MAX_QUERY_LENGTH cannot
  exhaust it (the scanner bounds the nesting first; long flat chains cost about 1 KiB of stack
  per element); the memory is only reserved, pages are used as the recursion reaches them;
- **a memory limit** (:class:`MemoryLimit`, RLIMIT_DATA): the process may grow by at most
  QUERY_MEMORY_MB past its size when the work starts; past it Python raises MemoryError and
  Rust aborts the process (SIGABRT), which the parent answers with a 503 naming the limit;
- **no network** (:func:`isolate_network`): a new, empty network namespace, so a SERVICE or
  LOAD that got past the scanner reaches nothing (Linux; where the system does not allow it
  the scanner's refusal is the only guard, and :func:`isolate_network` says so);
- **a time limit** (:func:`call`): the parent kills the child when it overruns.

>>> call(lambda: sum(range(10)), timeout=10, memory_mb=64)
45
"""
from __future__ import annotations

import ctypes
import os
import pickle
import resource
import select
import signal
import threading
import time
from typing import Callable

__all__ = ["STACK_BYTES", "run_with_stack", "MemoryLimit", "isolate_network", "call", "Overrun", "OutOfMemory",
           "ChildFailed", "die_with_parent", "reset_signals", "death_cause", "close_sockets", "kill"]

STACK_BYTES = 256 << 20
_CLONE_NEWUSER, _CLONE_NEWNET = 0x10000000, 0x40000000


class Overrun(Exception):
    """The work ran past its time limit and was killed."""


class OutOfMemory(Exception):
    """The work needed more memory than its limit (MemoryError, or the engine aborted)."""


class ChildFailed(Exception):
    """The child process died for another reason (a crash: the message names the signal)."""


def run_with_stack(fn: Callable, *args, stack: int = STACK_BYTES):
    """``fn(*args)`` on a new thread with a ``stack``-byte stack; its result, or its exception.

    Only for single-threaded processes (a forked child): the stack size is process-wide while
    the thread starts.
    """
    box: dict = {}

    def target():
        try:
            box["value"] = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller
            box["error"] = exc

    before = threading.stack_size()
    threading.stack_size(stack)
    try:
        t = threading.Thread(target=target, name="kg-engine")
        t.start()
    finally:
        threading.stack_size(before)
    t.join()
    if "error" in box:
        raise box["error"]
    return box.get("value")


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _vm_data(fd: int | None = None) -> int:
    """Bytes of this process's data segment (heap, anonymous maps, thread stacks, plus the small main
    stack): what RLIMIT_DATA caps. ``fd``: /proc/self/statm held open by this process (a pread of it
    costs ~2 us; opening and reading /proc/self/status, ~20 us, twice per query)."""
    try:
        if fd is not None:
            return int(os.pread(fd, 256, 0).split()[5]) * _PAGE
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[5]) * _PAGE
    except (OSError, IndexError, ValueError):
        return 0


class MemoryLimit:
    """Cap the process at its current size plus ``mb`` MiB while some work runs (0: no cap).

    ``apply()`` before the work, ``lift()`` after: the cap follows the process's size at the
    start of each piece of work, so memory the allocator keeps from earlier work is not counted
    against the next. Costs two reads of /proc/self/statm and two setrlimit calls (~6 us).
    """

    def __init__(self, mb: float):
        self.extra = int(mb * (1 << 20)) if mb and mb > 0 else 0
        self.base = 0
        self._pid, self._fd = None, None

    def _size(self) -> int:
        if self._pid != os.getpid():  # /proc/self is the process that opens it: open it here
            try:
                self._fd, self._pid = os.open("/proc/self/statm", os.O_RDONLY | os.O_CLOEXEC), os.getpid()
            except OSError:
                self._fd = None
        return _vm_data(self._fd)

    def apply(self) -> None:
        if not self.extra:
            return
        self.base = self._size()
        _, hard = resource.getrlimit(resource.RLIMIT_DATA)
        cap = self.base + self.extra
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        resource.setrlimit(resource.RLIMIT_DATA, (cap, hard))

    def lift(self) -> None:
        if not self.extra:
            return
        _, hard = resource.getrlimit(resource.RLIMIT_DATA)
        resource.setrlimit(resource.RLIMIT_DATA, (hard, hard))

    def grown(self) -> int:
        """Bytes the process has grown since the last ``apply()``."""
        return max(0, self._size() - self.base)


_network_note: str | None = None


def isolate_network() -> bool:
    """Move this (single-threaded) process into a new network namespace with no interfaces.

    Tries a network namespace alone (root), then inside a new user namespace (an ordinary user
    where the kernel allows it). False, with :func:`network_note` saying why, where neither works.
    """
    global _network_note
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        for flags in (_CLONE_NEWNET, _CLONE_NEWUSER | _CLONE_NEWNET):
            if libc.unshare(flags) == 0:
                _network_note = None
                return True
        _network_note = f"unshare: {os.strerror(ctypes.get_errno())}"
    except (OSError, AttributeError) as exc:
        _network_note = f"unshare unavailable: {exc}"
    return False


def network_note() -> str | None:
    """Why the last :func:`isolate_network` failed (None if it worked)."""
    return _network_note


def close_sockets(keep: tuple[int, ...] = ()) -> int:
    """Close every socket this (forked) process inherited but ``keep``: the web worker's listeners
    and its clients' connections, which a process running the engine has no use for. A copy left
    open would also keep a client's connection open after the worker closed it (no FIN until every
    copy is closed). Linux (/proc/self/fd); elsewhere nothing. Returns how many were closed."""
    import stat
    closed = 0
    try:
        fds = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        return 0
    for fd in fds:
        if fd in keep or fd <= 2:
            continue
        try:
            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                os.close(fd)
                closed += 1
        except OSError:
            pass
    return closed


def kill(pid: int) -> int:
    """SIGKILL ``pid`` (a child) and reap it; its wait status (how it died, if it had already)."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        return os.waitpid(pid, 0)[1]
    except ChildProcessError:
        return 0


def die_with_parent() -> None:
    """Linux: SIGKILL this process when the process that forked it goes away."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def reset_signals() -> None:
    """Default handlers in a forked child (the parent's, gunicorn's, would run the parent's code)."""
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2,
                signal.SIGWINCH, signal.SIGCHLD, signal.SIGABRT):
        signal.signal(sig, signal.SIG_DFL)


def death_cause(status: int, memory_mb: float) -> Exception:
    """What a child's wait status means for its caller: OutOfMemory or ChildFailed."""
    sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
    if sig == signal.SIGABRT or (sig == signal.SIGKILL and memory_mb):
        return OutOfMemory(f"it needed more than the {memory_mb:g} MB memory limit (QUERY_MEMORY_MB) and was stopped")
    what = f"signal {signal.Signals(sig).name}" if sig else f"exit status {os.WEXITSTATUS(status)}"
    return ChildFailed(f"the process running it died ({what})")


def call(fn: Callable[[], object], *, timeout: float, memory_mb: float = 0, network: bool = False,
         nice: int = 0):
    """``fn()`` in a forked child under the walls above; its (picklable) result or exception.

    Raises :class:`Overrun` past ``timeout`` seconds (the child is killed), :class:`OutOfMemory`
    past ``memory_mb``, :class:`ChildFailed` if it dies otherwise. ``network=True`` leaves the
    network alone (a SERVICE allow-list needs it).
    """
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child (its effects are tested through the callers)
        try:
            os.close(r)
            reset_signals()
            die_with_parent()
            if nice:
                os.nice(nice)
            if not network:
                isolate_network()
            limit = MemoryLimit(memory_mb)

            def limited():  # on the deep stack, which is mapped before the limit applies
                limit.apply()
                try:
                    return fn()
                finally:
                    limit.lift()
            try:
                out = ("ok", run_with_stack(limited))
            except MemoryError:
                out = ("memory", None)
            except BaseException as exc:  # noqa: BLE001 - handed to the parent
                out = ("error", exc)
            try:
                data = pickle.dumps(out)
            except Exception as exc:  # an unpicklable exception: its words are enough
                data = pickle.dumps(("error", RuntimeError(f"{type(out[1]).__name__}: {out[1]}")))
                del exc
            with os.fdopen(w, "wb") as f:
                f.write(data)
        finally:
            os._exit(0)
    os.close(w)
    chunks, deadline = [], time.monotonic() + timeout
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([r], [], [], left)[0]:
                os.kill(pid, signal.SIGKILL)
                raise Overrun(f"it ran longer than the {timeout:g} s limit and was stopped")
            chunk = os.read(r, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(r)
        _, status = os.waitpid(pid, 0)
    if not chunks:
        raise death_cause(status, memory_mb)
    kind, value = pickle.loads(b"".join(chunks))
    if kind == "memory":
        raise OutOfMemory(f"it needed more than the {memory_mb:g} MB memory limit (QUERY_MEMORY_MB) and was stopped")
    if kind == "error":
        raise value
    return value
