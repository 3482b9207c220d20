"""The throwaway engine launchers stop their engine however they are stopped (issue 15, item 9:
``python -m testkit.virtuoso`` left virtuoso-t running when it got SIGTERM)."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO
from testkit import oxigraph, virtuoso

LAUNCHERS = {"virtuoso": virtuoso.available, "oxigraph": oxigraph.available}


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


@pytest.mark.parametrize("name", LAUNCHERS)
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_launcher_stops_its_engine_on_signal(name, sig, tmp_path):
    if not LAUNCHERS[name]():
        pytest.skip(f"{name} is not installed: launcher test skipped")
    proc = subprocess.Popen([sys.executable, "-m", f"testkit.{name}", str(tmp_path)], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        first = proc.stdout.readline()  # "started in N s (pid P)", once the engine answers
        m = re.search(r"\(pid (\d+)\)", first)
        assert m, first + proc.stdout.read()
        engine = int(m[1])
        assert alive(engine)
        proc.send_signal(sig)
        assert proc.wait(timeout=30) == 0
        deadline = time.monotonic() + 10
        while alive(engine) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(engine), f"{name} (pid {engine}) still runs after the launcher got {sig.name}"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        if "engine" in locals() and alive(engine):
            os.kill(engine, signal.SIGKILL)
