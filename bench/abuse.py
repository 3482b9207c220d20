"""Misbehaving clients against the real server while a trivial query is timed (issue 12).

    python bench/abuse.py [--seconds 8] [--mixes idle,slowloris-20,...] [--out bench/results/abuse.json]

Starts ``server.py`` (gunicorn, its defaults: 2 workers x 8 threads, query processes, 5 s query
limit) on the bundled data, once read-only and once with writes on, 127.0.0.1 only. For each mix
of misbehaving clients it runs for ``--seconds`` (bounded: at most ~40 abusive sockets or threads
at once) while a prober sends a trivial query with a new text each time (no cache answers it) from
its own address, and reports: the trivial query's p50/p99 against the idle run, the abusers'
answers by status (500s counted apart: there must be none), worker restarts and query processes
replaced, and the peak RSS of each kind of process. Abusers come from other loopback addresses
(127.0.0.2...), as separate clients would. Prints a table and the targets with pass/fail; saves
the figures as JSON. Not part of the test suite (tests/security/ holds the assertions).

Targets: no worker crash or restart; no 500; trivial-query p99 < 1 s and <= 10x idle under every
one-client mix (< 1 s with six abusive clients at once); peak RSS of a query process within its
size at start plus QUERY_MEMORY_MB.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from bench.endpoint import free_port, process_group  # noqa: E402

MEMORY_MB = 256
RUNAWAY = "SELECT (COUNT(*) AS ?n) { " + " ".join(f"?s{i} ?p{i} ?o{i} ." for i in range(8)) + " }"
HUNGRY = ("SELECT ?a ?b ?c ?d { ?a ?p1 ?x1 . ?b ?p2 ?x2 . ?c ?p3 ?x3 . ?d ?p4 ?x4 } ORDER BY ?a ?b ?c ?d")
PATHOLOGICAL = "SELECT * { ?s ?p ?o } " + "a." * 45_000  # the shape the old scanner took ~140 s over
DEEP = "SELECT * WHERE " + "{" * 5000 + "}" * 5000
DEEP_UPDATE = "INSERT DATA { <http://x/a> <http://x/b> " + "(" * 5000 + "1" + ")" * 5000 + " }"


# -- HTTP from a chosen loopback address ----------------------------------------------------------------
def exchange(port: int, data: bytes, source: str = "127.0.0.1", timeout: float = 30) -> tuple[int, bytes]:
    """Send ``data``, read the whole answer (the request says Connection: close); (status, body)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout, source_address=(source, 0))
    try:
        s.sendall(data)
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    finally:
        s.close()
    head, _, body = out.partition(b"\r\n\r\n")
    m = re.match(rb"HTTP/1\.\d (\d{3})", head)
    return (int(m.group(1)) if m else 0), body


def get(path: str) -> bytes:
    return (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/sparql-results+json\r\n"
            "Connection: close\r\n\r\n").encode()


def post(path: str, body: bytes, ctype: str, extra: str = "") -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
            f"Accept: application/sparql-results+json\r\n{extra}Connection: close\r\n\r\n").encode() + body


class Counter:
    def __init__(self):
        self.lock, self.by_status = threading.Lock(), {}

    def add(self, status: int) -> None:
        with self.lock:
            self.by_status[status] = self.by_status.get(status, 0) + 1


# -- the abusers (each loops until ``stop``) -----------------------------------------------------------------
def slowloris(port, source, stop, counter):
    """Send a request line and then one header line a second, never the blank line."""
    while not stop.is_set():
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=30, source_address=(source, 0))
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            while not stop.wait(1.0):
                s.sendall(b"X-Slow: 1\r\n")
        except OSError:
            counter.add(408)  # the server closed it (408 after REQUEST_TIMEOUT): connect again
        finally:
            try:
                s.close()
            except Exception:
                pass


def _repeat(request_of):
    def run(port, source, stop, counter):
        n = 0
        while not stop.is_set():
            n += 1
            try:
                status, _ = exchange(port, request_of(n), source)
            except OSError:
                status = -1
            counter.add(status)
    return run


runaway = _repeat(lambda n: get("/sparql?query=" + urllib.parse.quote(RUNAWAY + f" # {n} {random.random()}")))
hungry = _repeat(lambda n: get("/sparql?query=" + urllib.parse.quote(HUNGRY + f" # {n} {random.random()}")))
pathological = _repeat(lambda n: post("/sparql", f"{PATHOLOGICAL} {n}".encode(), "application/sparql-query"))
deep = _repeat(lambda n: post("/sparql", DEEP.encode(), "application/sparql-query") if n % 2
               else post("/sparql", DEEP_UPDATE.encode(), "application/sparql-update"))
oversized = _repeat(lambda n: post("/sparql", b"ASK {} #" + b"x" * (2 << 20), "application/sparql-query") if n % 2
                    else (b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                          b"Transfer-Encoding: chunked\r\n\r\n" + b"100000\r\n" + b"x" * 65536))


def writer_of(token: str, graph: str):
    def request(n):
        if n % 7 == 0:  # a runaway update: stopped at the query limit, the lock freed
            body = (f"INSERT {{ GRAPH <{graph}> {{ <http://x/r> <http://x/n> ?n }} }} WHERE {{ SELECT (COUNT(*) AS ?n) {{ "
                    + " ".join(f"GRAPH ?g{i} {{ ?s{i} ?p{i} ?o{i} }}" for i in range(6)) + " } }")
        else:
            body = f"INSERT DATA {{ GRAPH <{graph}> {{ <http://x/item-{n}-{random.random()}> <http://x/n> {n} }} }}"
        return post("/update", body.encode(), "application/sparql-update", f"Authorization: Bearer {token}\r\n")
    return _repeat(request)


#: mix name -> (one client?, [(abuser, sockets or threads at once)]). A one-client mix sends everything
#: from one address, as the issue's "no single client" means; the last read-only mix is six clients
#: at once (each abuse from its own address), beyond that scope: its target is p99 < 1 s only.
MIXES = {
    "idle": (True, []),
    "slowloris-2": (True, [(slowloris, 2)]),
    "slowloris-20": (True, [(slowloris, 20)]),
    "runaway queries x8": (True, [(runaway, 8)]),
    "pathological texts x4": (True, [(pathological, 4)]),
    "deep nesting x4": (True, [(deep, 4)]),
    "memory hogs x2": (True, [(hungry, 2)]),
    "oversized bodies x4": (True, [(oversized, 4)]),
    "everything from one client": (True, [(slowloris, 10), (runaway, 4), (pathological, 2), (deep, 2), (hungry, 2),
                                      (oversized, 2)]),
    "six clients at once": (False, [(slowloris, 20), (runaway, 8), (pathological, 2), (deep, 2), (hungry, 2),
                                    (oversized, 2)]),
    "concurrent writers x3": (True, "writers"),
}


# -- the server and what it does -------------------------------------------------------------------------------
class Server:
    def __init__(self, args: list[str], log: Path):
        self.port = free_port()
        self.log = log
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "server.py"), "--bind", f"127.0.0.1:{self.port}",
                                      "--no-dump-warmup", "--log-level", "warning", "--query-memory-mb", str(MEMORY_MB),
                                      *args], cwd=ROOT, stdout=open(log, "wb"), stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                workers = [pid for pid, fields in process_group(self.proc.pid) if int(fields[1]) == self.proc.pid]
                if len(workers) >= (os.cpu_count() or 2) and exchange(self.port, get("/healthz"), timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        else:
            raise RuntimeError(f"server did not start: {log.read_text()[-2000:]}")
        self.warm()

    def warm(self) -> None:
        """Queries from several threads until every worker has started its query processes."""
        def ask():
            for i in range(10):
                exchange(self.port, get("/sparql?query=" + urllib.parse.quote(f"ASK {{}} # warm {i} {random.random()}")))
        threads = [threading.Thread(target=ask) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    def stop(self) -> None:
        os.killpg(self.proc.pid, 15)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, 9)
            self.proc.wait()


class Monitor:
    """Samples the server's processes every 50 ms: peak RSS by role, worker and query-process churn."""

    def __init__(self, master: int):
        self.master, self.stop = master, threading.Event()
        self.peak: dict[str, float] = {}
        self.base: dict[int, float] = {}
        self.grown: dict[str, float] = {}
        self.workers: set[int] = set()
        self.executors: set[int] = set()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def sample(self):
        procs = process_group(self.master)
        parent = {pid: int(fields[1]) for pid, fields in procs}
        for pid, _ in procs:
            role = "master" if pid == self.master else "worker" if parent[pid] == self.master else "query process"
            if role == "worker":
                self.workers.add(pid)
            elif role == "query process":
                self.executors.add(pid)
            try:
                status = Path(f"/proc/{pid}/status").read_text()
                rss = int(status.split("VmRSS:")[1].split()[0]) / 1024
            except (OSError, IndexError):
                continue
            self.peak[role] = max(self.peak.get(role, 0), rss)
            self.base.setdefault(pid, rss)
            self.grown[role] = max(self.grown.get(role, 0), rss - self.base[pid])

    def run(self):
        while not self.stop.wait(0.05):
            self.sample()

    def __enter__(self):
        self.sample()
        self.workers0, self.executors0 = set(self.workers), set(self.executors)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def probe(port: int, stop: threading.Event, out: list, errors: list) -> None:
    """The trivial query, a new text each time, one after the other (10 ms apart)."""
    n = 0
    while not stop.is_set():
        n += 1
        q = urllib.parse.quote(f"ASK {{ ?s ?p ?o }} # probe {n} {random.random()}")
        t0 = time.perf_counter()
        try:
            status, _ = exchange(port, get(f"/sparql?query={q}"), "127.0.0.1", timeout=30)
        except OSError as exc:
            status = -1
            errors.append(str(exc))
        out.append(((time.perf_counter() - t0) * 1000, status))
        stop.wait(0.01)


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] if xs else float("nan")


def run_mix(server: Server, name: str, mix, seconds: float, token: str | None) -> dict:
    one_client, spec = mix
    stop, counters, threads = threading.Event(), {}, []
    if spec == "writers":
        spec = [(writer_of(token, "https://w3id.org/deepseek-kg/graph/abuse"), 3)]
    for i, (abuser, count) in enumerate(spec):
        address = 2 if one_client else 2 + i
        c = counters.setdefault(address, Counter())
        for _ in range(count):
            threads.append(threading.Thread(target=abuser, args=(server.port, f"127.0.0.{address}", stop, c), daemon=True))
    log_before = server.log.stat().st_size
    samples, errors = [], []
    with Monitor(server.proc.pid) as mon:
        for t in threads:
            t.start()
        time.sleep(min(1.0, seconds / 4))  # let the abuse start
        pstop = threading.Event()
        p = threading.Thread(target=probe, args=(server.port, pstop, samples, errors))
        p.start()
        time.sleep(seconds)
        pstop.set()
        p.join()
        stop.set()
        for t in threads:
            t.join(40)
        time.sleep(0.3)
    log = server.log.read_bytes()[log_before:].decode(errors="replace")
    lat = [ms for ms, status in samples if status == 200]
    abuse = {}
    for c in counters.values():
        for status, n in c.by_status.items():
            abuse[status] = abuse.get(status, 0) + n
    return {
        "mix": name, "one_client": one_client, "seconds": seconds, "probes": len(samples),
        "probe_not_200": sum(1 for _, s in samples if s != 200),
        "p50_ms": round(pct(lat, 50), 2), "p99_ms": round(pct(lat, 99), 2), "max_ms": round(max(lat, default=0), 1),
        "abuser_answers": {str(k): v for k, v in sorted(abuse.items())},
        "http_500": sum(v for k, v in abuse.items() if k == 500) + sum(1 for _, s in samples if s == 500),
        "other_5xx": sum(v for k, v in abuse.items() if 500 < k < 600 and k != 503),
        "worker_restarts": len(mon.workers - mon.workers0),
        "workers_alive": server.proc.poll() is None,
        "query_processes_replaced": len(mon.executors - mon.executors0),
        "crash_lines": len(re.findall(r"SIGSEGV|SIGBUS|Worker .* (was sent|exited)|Traceback|\[kg\] a query process died",
                                      log)),
        "peak_rss_mb": {k: round(v, 1) for k, v in mon.peak.items()},
        "max_growth_mb": {k: round(v, 1) for k, v in mon.grown.items()},
    }


def judge(results: list[dict]) -> list[tuple[str, bool, str]]:
    idle = next(r for r in results if r["mix"] == "idle")
    out = []
    for r in results:
        if r["mix"] == "idle":
            continue
        bound = min(1000.0, 10 * max(idle["p99_ms"], 1.0)) if r["one_client"] else 1000.0
        what = f"< 1 s and <= 10x idle ({bound:.0f} ms)" if r["one_client"] else "< 1 s (several clients)"
        out.append((f"{r['mix']}: trivial p99 {what}", r["p99_ms"] <= bound and r["probe_not_200"] == 0,
                    f"{r['p99_ms']} ms"))
    out.append(("no 500 answer anywhere", all(r["http_500"] == 0 for r in results),
                str(sum(r["http_500"] for r in results))))
    out.append(("no worker crash or restart", all(r["worker_restarts"] == 0 and r["crash_lines"] == 0 and r["workers_alive"]
                                                  for r in results),
                f"restarts {sum(r['worker_restarts'] for r in results)}, crash lines {sum(r['crash_lines'] for r in results)}"))
    worst = max(r["max_growth_mb"].get("query process", 0) for r in results)
    out.append((f"a query process grows at most QUERY_MEMORY_MB ({MEMORY_MB} MB)", worst <= MEMORY_MB + 16,
                f"{worst:.0f} MB"))
    worst_worker = max(r["max_growth_mb"].get("worker", 0) for r in results)
    out.append(("a web worker grows at most 64 MB under abuse", worst_worker <= 64, f"{worst_worker:.0f} MB"))
    return out


def table(results: list[dict], verdicts) -> str:
    lines = ["| mix | trivial p50 | trivial p99 | p99 / idle | abusers' answers | 500s | other 5xx | worker restarts "
             "| query processes replaced | peak RSS MB (worker / query process) |", "|---|---|---|---|---|---|---|---|---|---|"]
    idle = next(r for r in results if r["mix"] == "idle")
    for r in results:
        answers = ", ".join(f"{k}: {v}" for k, v in r["abuser_answers"].items()) or "-"
        rss = f"{r['peak_rss_mb'].get('worker', 0):.0f} / {r['peak_rss_mb'].get('query process', 0):.0f}"
        lines.append(f"| {r['mix']} | {r['p50_ms']:.1f} ms | {r['p99_ms']:.1f} ms | {r['p99_ms'] / max(idle['p99_ms'], 0.01):.1f}x "
                     f"| {answers} | {r['http_500']} | {r['other_5xx']} | {r['worker_restarts']} "
                     f"| {r['query_processes_replaced']} | {rss} |")
    lines += ["", "| target | result | |", "|---|---|---|"]
    lines += [f"| {name} | {got} | {'pass' if ok else 'FAIL'} |" for name, ok, got in verdicts]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=8.0, help="how long each mix runs (default 8)")
    p.add_argument("--mixes", default=",".join(MIXES), help="comma-separated mix names (default: all)")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "abuse.json")
    args = p.parse_args(argv)
    names = [m for m in args.mixes.split(",") if m]
    if "idle" not in names:
        names.insert(0, "idle")
    work = Path(tempfile.mkdtemp(prefix="kg-abuse-"))
    results = []
    server = Server([], work / "read-only.log")
    try:
        for name in names:
            if MIXES[name][1] == "writers":
                continue
            results.append(run_mix(server, name, MIXES[name], args.seconds, None))
            print(f"  {name}: p50 {results[-1]['p50_ms']} ms, p99 {results[-1]['p99_ms']} ms", file=sys.stderr)
    finally:
        server.stop()
    if any(MIXES[n][1] == "writers" for n in names):
        from kg.auth import add_token
        token = add_token(work / "tokens.json", "abuser")
        server = Server(["--allow-update", "--state-dir", str(work / "state"), "--tokens", str(work / "tokens.json")],
                        work / "writable.log")
        try:
            idle_w = run_mix(server, "idle (writes on)", (True, []), args.seconds, token)
            results.append(idle_w)
            for name in names:
                if MIXES[name][1] == "writers":
                    r = run_mix(server, name, MIXES[name], args.seconds, token)
                    results.append(r)
                    print(f"  {name}: p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms", file=sys.stderr)
        finally:
            server.stop()
    verdicts = judge(results)
    print(f"## Abuse mixes, {args.seconds:g} s each (server.py defaults: 2 workers x 8 threads, "
          f"QUERY_TIMEOUT 5 s, QUERY_MEMORY_MB {MEMORY_MB}, CLIENT_QUERIES 2, CLIENT_REQUESTS 1)\n")
    print(table(results, verdicts))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"config": {"seconds": args.seconds, "query_memory_mb": MEMORY_MB,
                                               "cpus": os.cpu_count()},
                                    "mixes": results, "targets": [{"target": n, "pass": ok, "result": g}
                                                                  for n, ok, g in verdicts]}, indent=2) + "\n")
    print(f"\nfigures: {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 0 if all(ok for _, ok, _ in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
