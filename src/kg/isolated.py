"""Run one piece of expensive work in a forked child that can be stopped: a time limit, a memory
limit, a lower CPU priority, no network, and nothing left behind.

For work on data a client sends (the ``/shacl`` validation service) and for large changes on the
write path: parsing and validating may take long or grow large on hostile data, and neither
pyoxigraph nor pySHACL can be interrupted from Python. The walls are :mod:`kg.sandbox`'s, the
query processes' own (a deep stack, RLIMIT_DATA past the child's size, an empty network
namespace, SIGKILL on overrun); this module gives these callers their outcomes by name, the
work's own exception wrapped in :class:`Failed`.

>>> run(sum, [1, 2, 3], timeout=10)
6
>>> run(time.sleep, 5, timeout=0.2)
Traceback (most recent call last):
...
kg.isolated.Overrun: the work ran longer than 0.2 s and was stopped
"""
from __future__ import annotations

import time  # noqa: F401 - the doctest's
from typing import Callable

from . import sandbox

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

    ``memory_mb`` caps what the child may allocate beyond its size when the work starts. Raises
    :class:`Overrun`, :class:`OutOfMemory`, :class:`Crashed`, or :class:`Failed` with the exception
    ``fn`` raised.
    """
    def work():  # in the child, where the exception's causes are still there to look at
        try:
            return fn(*args)
        except Exception as exc:
            if _from_memory(exc):
                raise MemoryError(str(exc)) from None
            raise
    try:
        return sandbox.call(work, timeout=timeout, memory_mb=memory_mb or 0, nice=nice)
    except sandbox.Overrun:
        raise Overrun(f"the work ran longer than {timeout:g} s and was stopped") from None
    except sandbox.OutOfMemory:
        raise OutOfMemory(f"the work needed more than its {memory_mb} MB of memory") from None
    except sandbox.ChildFailed as exc:
        raise (OutOfMemory if memory_mb else Crashed)(
            f"the work's process died without an answer ({exc})" + (" (most likely past its memory limit)"
                                                                  if memory_mb else "")) from None
    except Exception as exc:  # the work's own
        raise Failed(exc) from None
