"""Start-up cost of ``python server.py`` on the bundled data, cold and warm (issue 18).

    python bench/startup.py [--starts 2] [--root DIR]

Starts the server ``--starts`` times in a row on the same data and the same (fresh, private)
cache location, and prints for each start: seconds until it answers a query, seconds until every
dump of ``/dumps/`` is written, the CPU seconds its whole process group used until then (master,
workers, the background dump writer and HermiT's JVM), and the ETag of one dump. A cache keyed by
content only writes the dumps on the first start and serves the same ETags after a restart.
``--root`` picks the checkout whose ``server.py`` is started (to compare two versions in one run).
All traffic stays on 127.0.0.1. Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.endpoint import Server  # noqa: E402


def _get(url: str, method: str = "GET"):
    req = urllib.request.Request(url, method=method)
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.headers, (r.read() if method == "GET" else b"")


def one_start(root: Path, env: dict, timeout: float = 180) -> dict:
    t0 = time.perf_counter()
    s = Server("deepseek-kg", [sys.executable, str(root / "server.py"), "--bind", "127.0.0.1:{port}",
                               "--workers", "2", "--log-level", "warning"], env=env)
    try:
        ready = time.perf_counter() - t0
        while True:
            _, body = _get(s.url + "/dumps/?format=json")
            if all(d["bytes"] is not None for d in json.loads(body)["dumps"]):
                break
            if time.perf_counter() - t0 > timeout:
                raise RuntimeError("the dumps were not all written in time")
            time.sleep(0.2)
        written = time.perf_counter() - t0
        time.sleep(1.0)  # the background writer exits once it has written the last one
        cpu = s.cpu_seconds()
        headers, _ = _get(s.url + "/dumps/deepseek-kg.ttl", "HEAD")
        return {"ready_s": ready, "dumps_s": written, "cpu_s": cpu, "etag": headers.get("ETag")}
    finally:
        s.stop()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--starts", type=int, default=2)
    p.add_argument("--root", type=Path, default=ROOT, help="checkout whose server.py to start")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kg-startup-") as tmp:
        env = {"TMPDIR": tmp, "XDG_CACHE_HOME": tmp}  # a fresh cache: the first start is cold
        print(f"server.py of {args.root}; {args.starts} starts on the same data and cache")
        print(f"{'start':>5} {'ready s':>8} {'dumps s':>8} {'CPU s':>7}  ETag of deepseek-kg.ttl")
        for i in range(args.starts):
            r = one_start(args.root.resolve(), env)
            print(f"{i + 1:>5} {r['ready_s']:8.2f} {r['dumps_s']:8.2f} {r['cpu_s']:7.2f}  {r['etag']}")
            caches = sorted(str(p.relative_to(tmp)) for p in Path(tmp).rglob("*") if p.is_dir()
                            and p.parent.name in ("deepseek-kg-dumps", "dumps"))
            print(f"      dump cache versions on disk: {len(caches)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
