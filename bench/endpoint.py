"""Benchmark the SPARQL endpoint against two baselines on the same data, and on synthetic graphs.

    python bench/endpoint.py [--duration 10] [--connections 8] [--sizes 100000,1000000]

Needs wrk (Debian package ``wrk``) and ``pip install -e '.[bench]'`` (rdflib-endpoint, uvicorn).
All traffic stays on 127.0.0.1. Prints figures; asserts nothing (not part of the test suite).

1. Start-up: time from launching ``server.py`` to its first answer, on the bundled data.
2. Throughput and latency on the competency-query mix (queries/*.rq, or a built-in mix when
   that folder is empty), every server driven by the same wrk run (same connections, same
   duration, the queries taken in turn): this endpoint (2 gunicorn workers, with and without
   the killable query processes), rdflib-endpoint (uvicorn, 1 worker: ``--workers 2`` is slower,
   see shared/FACTS.md) and a minimal Flask + rdflib app (gunicorn, 2 workers).
3. Synthetic essay-shaped graphs: load time, memory and query latency, in-process and over HTTP.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from bench.synthetic import QUERIES as SYNTHETIC_QUERIES, write as write_synthetic  # noqa: E402
from kg.sources import QUERIES_DIR, default_sources  # noqa: E402

ACCEPT = "application/sparql-results+json, text/turtle;q=0.9"
FALLBACK_MIX = {
    "class counts": "SELECT ?c (COUNT(?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c ORDER BY DESC(?n)",
    "labels": "SELECT ?s ?l WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l } LIMIT 50",
    "property counts": "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p ORDER BY DESC(?n) LIMIT 20",
    "2-hop join": "SELECT ?s ?p2 ?o2 WHERE { ?s a ?c . ?s ?p ?o . ?o ?p2 ?o2 } LIMIT 100",
    "text filter": 'SELECT ?s ?l WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l FILTER(REGEX(STR(?l), "deep", "i")) }',
    "ask": "ASK { ?s a ?c }",
    "construct": "CONSTRUCT { ?s ?p ?o } WHERE { ?s a ?c ; ?p ?o } LIMIT 100",
}
WRK_LUA = """
local paths = {}
local i = 0
init = function(args)
  for line in io.lines(args[1]) do table.insert(paths, line) end
end
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1], {["Accept"] = "ACCEPT"})
end
""".replace("ACCEPT", ACCEPT)


def process_group(pgid: int) -> list[tuple[int, list[str]]]:
    """(pid, /proc/PID/stat fields after the command name) of each process in group ``pgid``."""
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:
            out.append((int(pid), fields))
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def mix() -> dict[str, str]:
    files = sorted(QUERIES_DIR.glob("*.rq"))
    return {f.stem: f.read_text(encoding="utf-8") for f in files} or FALLBACK_MIX


def wait_ready(url: str, proc: subprocess.Popen, timeout: float = 120) -> float:
    t0 = time.perf_counter()
    probe = url + "/sparql?query=" + urllib.parse.quote("ASK { ?s ?p ?o }")
    while time.perf_counter() - t0 < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            req = urllib.request.Request(probe, headers={"Accept": "application/sparql-results+json"})
            with urllib.request.urlopen(req, timeout=2) as r:
                if r.status == 200:
                    return time.perf_counter() - t0
        except OSError:
            time.sleep(0.02)
    raise RuntimeError("server not ready in time")


class Server:
    def __init__(self, name: str, cmd: list[str], env: dict | None = None):
        self.name, self.port = name, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [c.replace("{port}", str(self.port)) for c in cmd]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **(env or {})},
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self.ready_s = wait_ready(self.url, self.proc)

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait()

    def cpu_seconds(self) -> float:
        """CPU time used so far by the server's process group (live processes and reaped children)."""
        total = sum(sum(int(x) for x in fields[11:15]) for _, fields in process_group(self.proc.pid))  # utime..cstime
        return total / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        """Proportional set size (PSS) of the server's process group: memory shared copy-on-write
        between the master, the workers and the query processes is counted once."""
        total = 0
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                if int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[2]) != self.proc.pid:
                    continue
                rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
            except OSError:
                continue
            total += int(re.search(r"^Pss:\s+(\d+)", rollup, re.M).group(1))
        return total / 1024


def check_mix(server: Server, queries: dict[str, str]) -> list[str]:
    bad = []
    for name, q in queries.items():
        req = urllib.request.Request(server.url + "/sparql?query=" + urllib.parse.quote(q), headers={"Accept": ACCEPT})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                r.read()
        except OSError as exc:
            bad.append(f"{name}: {exc}")
    return bad


def drive(server: Server, queries: dict[str, str], duration: int, connections: int, workdir: Path) -> dict:
    paths = workdir / "paths.txt"
    paths.write_text("\n".join("/sparql?query=" + urllib.parse.quote(q) for q in queries.values()) + "\n")
    lua = workdir / "mix.lua"
    lua.write_text(WRK_LUA)
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "60s", "--latency", "-s", str(lua),
                          server.url, "--", str(paths)], capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    lat = {m.group(1): _ms(m.group(2)) for m in re.finditer(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.M)}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "requests": requests, "p50": lat.get("50"), "p99": lat.get("99"), "non2xx": int(errors.group(1)) if errors else 0,
            "socket_errors": socket_errors.group(1) if socket_errors else ""}


def _ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]


def bundled_data_args() -> tuple[list[str], str]:
    srcs = [s for s in default_sources() if s.path.exists()]
    return [a for s in srcs for a in ("--data", f"{s.path}={s.graph}")], ",".join(f"{s.path}={s.graph}" for s in srcs)


def startup(runs: int = 3) -> list[float]:
    times = []
    for _ in range(runs):
        port = free_port()
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "server.py", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
                                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            wait_ready(f"http://127.0.0.1:{port}", proc)
            times.append(time.perf_counter() - t0)
        finally:
            os.killpg(proc.pid, 15)
            proc.wait(15)
    return times


def throughput(duration: int, connections: int, workdir: Path) -> None:
    queries = mix()
    data_args, data_env = bundled_data_args()
    py = sys.executable
    kg = [py, "server.py", "--bind", "127.0.0.1:{port}", "--workers", "2", "--no-dump-warmup"]  # dumps are not what is measured
    servers = [
        ("kg endpoint (2 sync workers, worker watchdog, result cache)", kg, None),
        ("kg endpoint, result cache off", kg + ["--result-cache-mb", "0"], None),
        ("kg endpoint, result cache off, in-process queries (no time limit)",
         kg + ["--result-cache-mb", "0", "--query-timeout", "0"], None),
        ("kg endpoint, 2 workers x 4 threads (gthread, query processes), result cache off",
         kg + ["--threads", "4", "--result-cache-mb", "0"], None),
        ("rdflib-endpoint 0.6 (uvicorn, 1 worker)",
         [py, "-m", "uvicorn", "--factory", "bench.baselines:rdflib_endpoint_app", "--host", "127.0.0.1",
          "--port", "{port}", "--workers", "1", "--log-level", "warning", "--no-access-log"], {"KG_BENCH_DATA": data_env}),
        ("Flask + rdflib engine (gunicorn 2 sync workers)",
         [py, "-m", "gunicorn", "-w", "2", "-b", "127.0.0.1:{port}", "--preload", "--log-level", "warning",
          "bench.baselines:flask_rdflib_app()"], {"KG_BENCH_DATA": data_env}),
    ]
    print(f"\n## Throughput: competency mix of {len(queries)} queries ({'queries/*.rq' if list(QUERIES_DIR.glob('*.rq')) else 'built-in fallback mix'}), "
          f"wrk -t2 -c{connections} -d{duration}s, loopback, {os.cpu_count()} cores")
    results = {}
    for name, cmd, env in servers:
        s = Server(name, cmd + (data_args if "server.py" in cmd else []), env)
        try:
            bad = check_mix(s, queries)
            if bad:
                print(f"  {name}: errors before the run: {bad}")
            cpu0 = s.cpu_seconds()
            r = drive(s, queries, duration, connections, workdir)
            r["cpu_ms"] = (s.cpu_seconds() - cpu0) * 1000 / max(1, r["requests"])
            r["rss"] = s.rss_mb()
            results[name] = r
            print(f"  {name:70s} {r['rps']:8.1f} req/s  p50 {r['p50']:6.2f} ms  p99 {r['p99']:7.2f} ms  "
                  f"server CPU {r['cpu_ms']:6.2f} ms/req  PSS {r['rss']:5.0f} MB  non-2xx {r['non2xx']} {r['socket_errors']}")
        finally:
            s.stop()
    baselines = [name for name, _, _ in servers if not name.startswith("kg ")]
    for ours_name in (servers[0][0], servers[1][0]):
        ours = results[ours_name]
        for name in baselines:
            other = results[name]
            print(f"  ratio [{ours_name}] / [{name}]: throughput x{ours['rps'] / other['rps']:.1f}, "
                  f"server CPU per request x{other['cpu_ms'] / ours['cpu_ms']:.1f} less, "
                  f"p99 {ours['p99']:.2f} vs {other['p99']:.2f} ms")
    a, b = results[servers[1][0]], results[servers[2][0]]
    c = results[servers[3][0]]
    print(f"  time limit by worker watchdog: {a['cpu_ms']:.2f} ms CPU/req vs {b['cpu_ms']:.2f} with no limit; "
          f"by query processes (gthread): {c['cpu_ms']:.2f}")
    return results


def synthetic(sizes: list[int], workdir: Path) -> None:
    print("\n## Synthetic essay-shaped graphs (fresh process per size; medians of 20 runs)")
    for n in sizes:
        path = write_synthetic(n, workdir / f"synthetic-{n}.nt")
        code = f"""
import json, resource, statistics, sys, time
sys.path.insert(0, {str(ROOT / 'src')!r}); sys.path.insert(0, {str(ROOT)!r})
def rss():
    return int(open('/proc/self/status').read().split('VmRSS:')[1].split()[0]) / 1024
from kg.store import OxigraphStore
from kg.sources import SourceFile
from bench.synthetic import QUERIES
base = rss()
t0 = time.perf_counter()
s = OxigraphStore.from_sources([SourceFile({str(path)!r}, 'https://w3id.org/deepseek-kg/graph/synthetic')])
load = time.perf_counter() - t0
out = {{'load_s': load, 'rss_mb': rss() - base, 'quads': s.triple_count(), 'q': {{}}}}
for name, q in QUERIES.items():
    ts = []
    for _ in range(20):
        t = time.perf_counter(); r = s.query(q); rows = list(r) if not isinstance(r, bool) else r; ts.append(time.perf_counter() - t)
    out['q'][name] = statistics.median(ts) * 1000
print(json.dumps(out))
"""
        res = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
        srv = Server(f"synthetic {n}", [sys.executable, "server.py", "--bind", "127.0.0.1:{port}", "--workers", "2", "--no-dump-warmup",
                                         "--data", f"{path}=https://w3id.org/deepseek-kg/graph/synthetic",
                                         "--query-timeout", "30", "--result-cache-mb", "0"])
        http = {}
        try:
            for name, q in SYNTHETIC_QUERIES.items():
                url = srv.url + "/sparql?query=" + urllib.parse.quote(q)
                ts = []
                for _ in range(20):
                    t = time.perf_counter()
                    with urllib.request.urlopen(urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"}), timeout=120) as r:
                        r.read()
                    ts.append(time.perf_counter() - t)
                http[name] = statistics.median(ts) * 1000
            server_rss = srv.rss_mb()
        finally:
            srv.stop()
        print(f"  {res['quads']:>9,} triples: load {res['load_s']:.2f} s, store memory +{res['rss_mb']:.0f} MB "
              f"(server, all processes: {server_rss:.0f} MB PSS), server ready in {srv.ready_s:.2f} s")
        for name in SYNTHETIC_QUERIES:
            print(f"      {name:28s} in-process {res['q'][name]:9.2f} ms   over HTTP (no result cache) {http[name]:9.2f} ms")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--duration", type=int, default=10)
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--sizes", default="100000,1000000")
    p.add_argument("--skip", default="", help="comma list of: startup,throughput,synthetic")
    args = p.parse_args(argv)
    if not shutil.which("wrk"):
        print("needs wrk: apt-get install wrk", file=sys.stderr)
        return 2
    skip = set(args.skip.split(","))
    with tempfile.TemporaryDirectory(prefix="kg-bench-") as tmp:
        work = Path(tmp)
        if "startup" not in skip:
            ts = startup()
            print(f"## Start-up to first answer on the bundled data (python server.py, 2 workers): "
                  f"median {statistics.median(ts):.2f} s over {len(ts)} runs ({', '.join(f'{t:.2f}' for t in ts)})")
        if "throughput" not in skip:
            throughput(args.duration, args.connections, work)
        if "synthetic" not in skip:
            synthetic([int(x) for x in args.sizes.split(",") if x], work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
