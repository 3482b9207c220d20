"""What the engine launchers (testkit.virtuoso, testkit.oxigraph) share: a free loopback port, the
engine's process (its own session, output to a file, waited on until SPARQL answers, stopped with
SIGTERM), and signal handling that stops the engine when the launcher is stopped."""
from __future__ import annotations

import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

__all__ = ["Engine", "free_port", "stop_on_signals"]


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


class Engine:
    """The life cycle of one launched engine; a launcher sets ``name``, ``program``, ``error``,
    ``workdir`` and ``sparql_url`` and calls :meth:`_spawn` then :meth:`_wait_until_answers`."""

    name = program = "engine"
    error: type[Exception] = RuntimeError
    workdir: Path
    proc: subprocess.Popen | None = None
    _out = None

    @property
    def sparql_url(self) -> str:
        raise NotImplementedError

    def _spawn(self, args: list[str], **popen) -> None:
        """Start the engine in its own session (Ctrl-C in a terminal reaches only the launcher)."""
        self._out = open(self.workdir / f"{self.name}.out", "wb")
        self.proc = subprocess.Popen(args, stdout=self._out, stderr=subprocess.STDOUT, start_new_session=True,
                                     **popen)

    def _tail(self) -> str:
        """What to show when the engine does not come up: the end of its output."""
        out = self.workdir / f"{self.name}.out"
        return out.read_text(errors="replace")[-1500:] if out.exists() else ""

    def _wait_until_answers(self, deadline: float) -> None:
        url = self.sparql_url + "?query=" + urllib.parse.quote("ASK {}")
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    r.read()
                    return
            except (OSError, urllib.error.HTTPError):
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise self.error(f"{self.program} did not answer on {url.split('?')[0]} "
                                     f"(exit code {self.proc.poll()}): {self._tail()}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        """Stop our engine only: SIGTERM to its process, SIGKILL if it hangs."""
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._out is not None:
            self._out.close()
            self._out = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
