"""What issue 12's defences cost on the hot path: a baseline revision and this checkout, same run.

    python bench/hotpath.py [--baseline-rev main] [--duration 10] [--connections 8]

Extracts the baseline revision with ``git archive`` into a temporary directory and starts both
servers with their defaults (the baseline's were 2 sync workers with the worker watchdog; this
checkout's are 2 buffering workers x 4 threads with sandboxed query processes), both with
``--client-queries 0`` where known (wrk's connections all come from one address). Drives each
with the same wrk load, interleaved (A B A B), on two paths:

- cached: the competency-query mix repeated (the response cache answers; the scanner, headers,
  worker and gzip are what is left),
- uncached: the same mix with ``--result-cache-mb 0`` (every request runs its query: plus the
  query processes, the memory limit and the network sandbox).

Then micro-benchmarks of single defences in this process: the scanner on the competency queries
(old regex vs the linear one), one MemoryLimit apply + lift, one trivial query through a
QueryPool with and without the memory limit. Prints ratios; saves bench/results/hotpath.json.
Needs wrk (Debian package). Loopback only; the machine may be shared: the ratios are what counts.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from bench.endpoint import ACCEPT, WRK_LUA, Server, mix  # noqa: E402


def baseline_checkout(rev: str, into: Path) -> Path:
    data = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", rev], capture_output=True, check=True).stdout
    tar = into / "baseline.tar"
    tar.write_bytes(data)
    with tarfile.open(tar) as t:
        t.extractall(into / "baseline", filter="data")
    return into / "baseline"


def wrk(url: str, paths: list[str], duration: float, connections: int) -> dict:
    lua = Path(tempfile.mkstemp(suffix=".lua")[1])
    lua.write_text("paths = {" + ",".join(json.dumps(p) for p in paths) + "}\n" + WRK_LUA)
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(lua), url],
                         capture_output=True, text=True).stdout
    lua.unlink()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def ms(label):
        m = re.search(rf"\s{label}\s+([\d.]+)(us|ms|s)", out)
        v = float(m.group(1))
        return v / 1000 if m.group(2) == "us" else v * 1000 if m.group(2) == "s" else v
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50_ms": ms("50%"), "p99_ms": ms("99%"), "non_2xx": int(non2xx.group(1)) if non2xx else 0}


def servers(baseline: Path, cache: bool) -> list[tuple[str, list[str], dict]]:
    extra = [] if cache else ["--result-cache-mb", "0"]
    common = ["--bind", "127.0.0.1:{port}", "--workers", "2", "--no-dump-warmup", "--log-level", "warning"] + extra
    return [("baseline", [sys.executable, str(baseline / "server.py")] + common,
             {"PYTHONPATH": str(baseline / "src")}),
            ("this checkout", [sys.executable, str(ROOT / "server.py")] + common + ["--client-queries", "0", "--client-requests", "0"],
             {"PYTHONPATH": str(ROOT / "src")})]


def micro() -> dict:
    from kg.sandbox import MemoryLimit
    from kg.web.executor import QueryPool
    from kg.web.query_scan import scan
    sys.path.insert(0, str(ROOT / "tests"))
    from tests.security.test_scanner import OLD  # the regex it replaced  # noqa: E402

    def old_scan(text):
        return [(m.lastgroup, m.group()) for m in OLD.finditer(text)]
    texts = list(mix().values())

    def per_call(fn, arg_list, rounds=30):
        best = 1e9
        for _ in range(5):
            t0 = time.perf_counter()
            for _ in range(rounds):
                for a in arg_list:
                    fn(a)
            best = min(best, (time.perf_counter() - t0) / rounds / len(arg_list))
        return best * 1e6
    from kg.web.query_scan import tokens
    out = {"scanner_old_tokens_us": per_call(old_scan, texts), "scanner_new_tokens_us": per_call(lambda t: list(tokens(t)), texts),
           "scanner_new_scan_us": per_call(scan, texts)}
    lim = MemoryLimit(512)
    out["memory_limit_apply_lift_us"] = per_call(lambda _: (lim.apply(), lim.lift()), [None], rounds=2000)
    import pyoxigraph as ox
    store = ox.Store()

    def work(job):
        return ("ok", bytes(bool(store.query(job["q"]))), {})
    for mb in (0, 512):
        pool = QueryPool(work, size=1, timeout=5, memory_mb=mb)
        pool.run({"q": "ASK {}"})
        out[f"pool_round_trip_us_memory_{mb}"] = per_call(lambda _: pool.run({"q": "ASK {}"}), [None], rounds=500)
        pool.close()
    return {k: round(v, 2) for k, v in out.items()}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--baseline-rev", default="main")
    p.add_argument("--duration", type=float, default=10)
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "hotpath.json")
    args = p.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="kg-hotpath-"))
    baseline = baseline_checkout(args.baseline_rev, work)
    rev = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", args.baseline_rev], capture_output=True,
                         text=True).stdout.strip()
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    import urllib.parse
    paths = ["/sparql?query=" + urllib.parse.quote(q) for q in mix().values()]
    results: dict = {}
    for label, cache in (("cached", True), ("uncached", False)):
        runs: dict[str, list[dict]] = {}
        for _ in range(2):  # A B A B: drift on a shared machine hits both
            for name, cmd, env in servers(baseline, cache):
                s = Server(name, cmd, env)
                try:
                    wrk(s.url + "/", paths, 2, args.connections)  # warm up
                    runs.setdefault(name, []).append(wrk(s.url + "/", paths, args.duration, args.connections))
                finally:
                    s.stop()
        results[label] = {name: {k: round(statistics.mean(r[k] for r in rs), 2) for k in rs[0]} for name, rs in runs.items()}
        a, b = results[label]["baseline"], results[label]["this checkout"]
        results[label]["ratio"] = {"rps": round(b["rps"] / a["rps"], 3), "p50": round(b["p50_ms"] / a["p50_ms"], 3),
                                   "p99": round(b["p99_ms"] / a["p99_ms"], 3)}
    results["micro"] = micro()
    results["config"] = {"baseline": f"{args.baseline_rev} ({rev})", "this": head, "duration_s": args.duration,
                         "connections": args.connections, "cpus": os.cpu_count(),
                         "load_average_at_end": os.getloadavg()[0]}
    print(f"## Hot path: baseline {args.baseline_rev} ({rev}) vs this checkout ({head}), wrk {args.connections} "
          f"connections x {args.duration:g} s, A B A B\n")
    print("| path | server | req/s | p50 | p99 | non-2xx |\n|---|---|---|---|---|---|")
    for label in ("cached", "uncached"):
        for name in ("baseline", "this checkout"):
            r = results[label][name]
            print(f"| {label} | {name} | {r['rps']:,.0f} | {r['p50_ms']:.2f} ms | {r['p99_ms']:.2f} ms | {r['non_2xx']:.0f} |")
        q = results[label]["ratio"]
        print(f"| {label} | ratio (this / baseline) | {q['rps']:.2f}x | {q['p50']:.2f}x | {q['p99']:.2f}x | |")
    m = results["micro"]
    print(f"\nscanner on the competency queries: tokens {m['scanner_new_tokens_us']:.0f} us per query (the old regex: "
          f"{m['scanner_old_tokens_us']:.0f} us, ratio {m['scanner_new_tokens_us'] / m['scanner_old_tokens_us']:.2f}), whole scan "
          f"{m['scanner_new_scan_us']:.0f} us; memory limit apply + lift: "
          f"{m['memory_limit_apply_lift_us']:.1f} us; query process round trip {m['pool_round_trip_us_memory_0']:.0f} us "
          f"without the memory limit, {m['pool_round_trip_us_memory_512']:.0f} us with it")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
