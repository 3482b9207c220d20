"""Run one piece of expensive work in a forked child that can be stopped: a time limit, a memory
limit, a lower CPU priority, and nothing left behind.

For work on input a client sends (the ``/shacl`` validation service): parsing and validating may
take long or grow large on hostile data, and neither pyoxigraph nor pySHACL can be interrupted from
Python. The child is a fork of the caller (the served store is shared copy-on-write); it returns
its result through a pipe and exits; on overrun it is killed with SIGKILL.

>>> run(sum, [1, 2, 3], timeout=10)
6
>>> run(time.sleep, 5, timeout=0.2)
Traceback (most recent call last):
...
kg.isolated.Overrun: the work ran longer than 0.2 s and was stopped
"""
from __future__ import annotations

import faulthandler
import os
import pickle
import resource
import select
import signal
import time
from pathlib import Path
from typing import Callable

__all__ = ["run", "Overrun", "OutOfMemory", "Crashed", "Failed"]


class Overrun(Exception):
    """The work ran past its time limit and was killed."""


class OutOfMemory(Exception):
    """The work needed more memory than its limit allowed."""


class Crashed(Exception):
    """The child died without an answer (a signal, or an abort in native code)."""


class Failed(Exception):
    """The work raised an exception; ``error`` is it (when it could be sent back), else its text."""

    def __init__(self, error):
        super().__init__(str(error))
        self.error = error


def _address_space() -> int:
    """Bytes of virtual memory this process holds now (Linux: /proc/self/statm)."""
    return int(Path("/proc/self/statm").read_text().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _from_memory(exc: BaseException) -> bool:
    """Whether a MemoryError is behind ``exc`` (libraries catch it and raise their own)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, MemoryError):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def run(fn: Callable, *args, timeout: float, memory_mb: int | None = None, nice: int = 10):
    """``fn(*args)`` in a forked child, its result (picklable) returned.

    ``memory_mb`` caps what the child may allocate beyond what it inherited (RLIMIT_AS). Raises
    :class:`Overrun`, :class:`OutOfMemory`, :class:`Crashed`, or :class:`Failed` with the exception
    ``fn`` raised.
    """
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        status = 0
        try:
            os.close(r)
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGCHLD):
                signal.signal(sig, signal.SIG_DFL)  # the parent's handlers (gunicorn's) are not ours
            os.nice(nice)
            faulthandler.disable()  # an abort past the memory limit is reported by the parent, not dumped here
            if memory_mb:
                limit = _address_space() + memory_mb * 2**20
                resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            try:
                out = ("ok", fn(*args))
            except MemoryError:
                out = ("memory", None)
            except Exception as exc:  # sent back as it is when it can be, else as text
                out = ("memory", None) if _from_memory(exc) else ("failed", exc)
            try:
                data = pickle.dumps(out)
            except Exception:
                data = pickle.dumps(("failed", f"{type(out[1]).__name__}: {out[1]}"))
            with os.fdopen(w, "wb") as f:
                f.write(data)
        except MemoryError:
            status = 3
        finally:
            os._exit(status)
    os.close(w)
    chunks, deadline = [], time.monotonic() + timeout
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([r], [], [], left)[0]:
                os.kill(pid, signal.SIGKILL)
                raise Overrun(f"the work ran longer than {timeout:g} s and was stopped")
            chunk = os.read(r, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(r)
        os.waitpid(pid, 0)
    if not chunks:
        raise (OutOfMemory if memory_mb else Crashed)("the work's process died without an answer"
                                                     + (" (most likely past its memory limit)" if memory_mb else ""))
    kind, value = pickle.loads(b"".join(chunks))
    if kind == "memory":
        raise OutOfMemory(f"the work needed more than its {memory_mb} MB of memory")
    if kind == "failed":
        raise Failed(value)
    return value
