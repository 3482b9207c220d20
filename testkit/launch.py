"""What the engine launchers (testkit.virtuoso, testkit.oxigraph) share: a free loopback port, and
signal handling that stops the engine when the launcher is stopped."""
from __future__ import annotations

import signal
import socket

__all__ = ["free_port", "stop_on_signals"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_on_signals() -> None:
    """Make SIGTERM and SIGHUP end the process as Ctrl-C does, so ``with`` blocks stop their engine.

    Why: Python's default SIGTERM handling ends the process without unwinding, and an engine
    started in its own session (so that Ctrl-C in a terminal reaches only the launcher) was left
    running: ``python -m testkit.virtuoso`` stopped by a service manager leaked ``virtuoso-t``.
    """
    def interrupt(signum, frame):
        raise KeyboardInterrupt(signal.Signals(signum).name)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, interrupt)
