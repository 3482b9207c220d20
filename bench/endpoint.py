"""Benchmark the SPARQL endpoint against its peers on the same data, and on synthetic graphs.

    python bench/endpoint.py [--duration 10] [--connections 8] [--sizes 100000,1000000]
                             [--servers kg-nocache,oxigraph] [--repeat 3] [--before ../other-checkout]

Needs wrk (Debian package ``wrk``) and ``pip install -e '.[bench]'`` (rdflib-endpoint, uvicorn, and
the Oxigraph server: PyPI ``oxigraph``). All traffic stays on 127.0.0.1. Prints figures; asserts
nothing (not part of the test suite).

1. Start-up: time from launching ``server.py`` to its first answer, on the bundled data.
2. Throughput and latency on the competency-query mix (queries/*.rq, or a built-in mix when
   that folder is empty), every server driven by the same wrk run (same connections, same
   duration, the queries taken in turn): this endpoint (2 gunicorn workers, with and without
   the result cache and the time limit, threaded), the Oxigraph server (the Rust server over the
   same engine, ``serve-read-only --union-default-graph`` on a store loaded with the same quads),
   rdflib-endpoint (uvicorn, 1 worker: ``--workers 2`` is slower, see shared/FACTS.md) and a
   minimal Flask + rdflib app (gunicorn, 2 workers). ``--repeat N`` runs N rounds and prints each
   round's ratio against the Oxigraph server of the same round (min and median), with the load
   average before each round; ``--before DIR`` adds another checkout's server as "before" peers.
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


def wait_ready(url: str, proc: subprocess.Popen, timeout: float = 120, endpoint: str = "/sparql") -> float:
    t0 = time.perf_counter()
    probe = url + endpoint + "?query=" + urllib.parse.quote("ASK { ?s ?p ?o }")
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
    def __init__(self, name: str, cmd: list[str], env: dict | None = None, endpoint: str = "/sparql"):
        self.name, self.port, self.endpoint = name, free_port(), endpoint
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [c.replace("{port}", str(self.port)) for c in cmd]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **(env or {})},
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self.ready_s = wait_ready(self.url, self.proc, endpoint=endpoint)

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
        req = urllib.request.Request(server.url + getattr(server, "endpoint", "/sparql") + "?query=" + urllib.parse.quote(q),
                                     headers={"Accept": ACCEPT})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                r.read()
        except OSError as exc:
            bad.append(f"{name}: {exc}")
    return bad


def drive(server: Server, queries: dict[str, str], duration: int, connections: int, workdir: Path) -> dict:
    paths = workdir / "paths.txt"
    endpoint = getattr(server, "endpoint", "/sparql")
    paths.write_text("\n".join(endpoint + "?query=" + urllib.parse.quote(q) for q in queries.values()) + "\n")
    lua = workdir / "mix.lua"
    lua.write_text(WRK_LUA)
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "60s", "--latency", "-s", str(lua),
                          server.url, "--", str(paths)], capture_output=True, text=True).stdout
    return parse_wrk(out)


def parse_wrk(out: str) -> dict:
    """wrk's figures; a server that finished no request has rps 0 and no latencies (None), not an error."""
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    requests = re.search(r"(\d+) requests in", out)
    n = int(requests.group(1)) if requests else 0
    lat = {m.group(1): _ms(m.group(2)) for m in re.finditer(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.M)} if n else {}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": float(rps.group(1)) if rps else 0.0, "requests": n, "p50": lat.get("50"), "p99": lat.get("99"),
            "non2xx": int(errors.group(1)) if errors else 0, "socket_errors": socket_errors.group(1) if socket_errors else ""}


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


def oxigraph_binary() -> str | None:
    """The Oxigraph server (PyPI ``oxigraph``, the bench extra): next to this Python, else on PATH."""
    exe = Path(sys.executable).with_name("oxigraph")
    return str(exe) if exe.exists() else shutil.which("oxigraph")


def oxigraph_location(workdir: Path) -> Path:
    """An Oxigraph server store holding the same quads as ours (the bundled sources, each in its graph)."""
    import pyoxigraph as ox
    from kg.store import OxigraphStore
    loc = workdir / "oxigraph-store"
    if not (loc / "CURRENT").exists():
        nq = workdir / "bundled.nq"
        nq.write_bytes(OxigraphStore.from_sources([s for s in default_sources() if s.path.exists()])
                       .dump(ox.RdfFormat.N_QUADS))
        subprocess.run([oxigraph_binary(), "load", "--location", str(loc), "--file", str(nq)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return loc


def ratio(a: float | None, b: float | None) -> float | None:
    """a / b, or None when it cannot be said (a baseline that answered nothing under load: b = 0)."""
    if a is None or not b:
        return None
    return a / b


def fmt(value, spec: str = ".2f", none: str = "n/a") -> str:
    return none if value is None else format(value, spec)


#: key -> (label, command, env, endpoint path); "{py}", "{root}" and "{port}" are filled in per run
# dumps are not what is measured; wrk's connections all come from one address (no per-client limits)
KG = ["{py}", "{root}/server.py", "--bind", "127.0.0.1:{port}", "--workers", "2", "--no-dump-warmup",
      "--client-queries", "0", "--client-requests", "0"]
SERVERS = {
    "kg": ("kg endpoint (2 workers, time limit, result cache)", KG, None, "/sparql"),
    "kg-nocache": ("kg endpoint, result cache off", KG + ["--result-cache-mb", "0"], None, "/sparql"),
    "kg-nolimit": ("kg endpoint, result cache off, no time limit (in-process)",
                   KG + ["--result-cache-mb", "0", "--query-timeout", "0"], None, "/sparql"),
    "kg-threads": ("kg endpoint, 2 workers x 4 threads, result cache off",
                   KG + ["--threads", "4", "--result-cache-mb", "0"], None, "/sparql"),
    "kg-inworker": ("kg endpoint, result cache off, queries in the worker (QUERY_ISOLATION=worker)",
                    KG + ["--result-cache-mb", "0"], {"KG_QUERY_ISOLATION": "worker"}, "/sparql"),
    "oxigraph": ("Oxigraph server 0.5 (serve-read-only, --union-default-graph)",
                 ["{oxigraph}", "serve-read-only", "--location", "{oxstore}", "--bind", "127.0.0.1:{port}",
                  "--union-default-graph"], None, "/query"),
    "rdflib-endpoint": ("rdflib-endpoint 0.6 (uvicorn, 1 worker)",
                        ["{py}", "-m", "uvicorn", "--factory", "bench.baselines:rdflib_endpoint_app", "--host",
                         "127.0.0.1", "--port", "{port}", "--workers", "1", "--log-level", "warning",
                         "--no-access-log"], "data", "/sparql"),
    "flask-rdflib": ("Flask + rdflib engine (gunicorn 2 sync workers)",
                     ["{py}", "-m", "gunicorn", "-w", "2", "-b", "127.0.0.1:{port}", "--preload", "--log-level",
                      "warning", "bench.baselines:flask_rdflib_app()"], "data", "/sparql"),
}
DEFAULT_SERVERS = "kg,kg-nocache,kg-nolimit,kg-threads,oxigraph,rdflib-endpoint,flask-rdflib"


def answers(server: "Server", queries: dict[str, str]) -> dict[str, object]:
    """What each query answers (rows for SELECT, the boolean for ASK, the size in triples for a graph),
    to check that two servers answer the mix alike."""
    import pyoxigraph as ox
    out = {}
    for name, q in queries.items():
        url = server.url + server.endpoint + "?query=" + urllib.parse.quote(q)
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers={"Accept": ACCEPT}), timeout=60) as r:
                body, ctype = r.read(), r.headers.get("Content-Type", "")
        except OSError as exc:
            out[name] = f"error: {exc}"
            continue
        if "json" in ctype:
            doc = json.loads(body)
            out[name] = doc["boolean"] if "boolean" in doc else len(doc["results"]["bindings"])
        else:
            out[name] = sum(1 for _ in ox.parse(body, format=ox.RdfFormat.TURTLE))
    return out


def throughput(duration: int, connections: int, workdir: Path, keys: list[str] | None = None,
               repeat: int = 1, before: Path | None = None) -> dict:
    """Every server of ``keys`` driven by the same wrk run, ``repeat`` rounds (each round starts each
    server afresh, in turn); ``before``: another checkout whose server.py runs as the "before" peer."""
    queries = mix()
    data_args, data_env = bundled_data_args()
    keys = keys or DEFAULT_SERVERS.split(",")
    if before is not None:  # the same kg configurations from the other checkout, first in each round
        keys = [f"before:{k}" for k in keys if k.startswith("kg")] + keys
    fill = {"{py}": sys.executable, "{root}": str(ROOT), "{oxigraph}": oxigraph_binary() or "oxigraph"}
    if "oxigraph" in keys:
        if not oxigraph_binary():
            print("  (no Oxigraph server: pip install -e '.[bench]'; skipped)")
            keys.remove("oxigraph")
        else:
            fill["{oxstore}"] = str(oxigraph_location(workdir))
    print(f"\n## Throughput: competency mix of {len(queries)} queries "
          f"({'queries/*.rq' if list(QUERIES_DIR.glob('*.rq')) else 'built-in fallback mix'}), "
          f"wrk -t2 -c{connections} -d{duration}s, loopback, {os.cpu_count()} cores, {repeat} round(s)")
    runs: dict[str, list[dict]] = {k: [] for k in keys}
    for rnd in range(repeat):
        load = os.getloadavg()
        print(f"  round {rnd + 1}: load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} before it")
        for key in keys:
            base_key = key.split(":", 1)[-1]
            label, cmd, env, endpoint = SERVERS[base_key]
            root = before if key.startswith("before:") else ROOT
            cmd = [fill.get(c, c).replace("{root}", str(root)) for c in cmd]
            if root != ROOT:  # an older checkout may not know the per-client limits (then it has none)
                cmd = _known_flags(cmd, root)
            if cmd[1:2] == [str(root / "server.py")]:
                cmd += data_args
            s = Server(("before: " if root != ROOT else "") + label, cmd,
                       {"KG_BENCH_DATA": data_env} if env == "data" else env, endpoint=endpoint)
            try:
                bad = check_mix(s, queries)
                if bad:
                    print(f"  {s.name}: errors before the run: {bad}")
                cpu0 = s.cpu_seconds()
                r = drive(s, queries, duration, connections, workdir)
                r["cpu_ms"] = (s.cpu_seconds() - cpu0) * 1000 / max(1, r["requests"])
                r["rss"] = s.rss_mb()
                r["load"] = load[0]
                runs[key].append(r)
                print(f"    {s.name:66s} {r['rps']:8.1f} req/s  p50 {fmt(r['p50'], '6.2f')} ms  "
                      f"p99 {fmt(r['p99'], '7.2f')} ms  server CPU {r['cpu_ms']:6.2f} ms/req  PSS {r['rss']:5.0f} MB  "
                      f"non-2xx {r['non2xx']} {r['socket_errors']}")
            finally:
                s.stop()
    results = {k: summary(v) for k, v in runs.items() if v}
    if "oxigraph" in runs and runs["oxigraph"]:
        print("  per round, against the Oxigraph server of the same round (throughput ratio; p99 ours vs its):")
        for key in [k for k in keys if k != "oxigraph" and k.split(":")[-1].startswith("kg")]:
            rs = [ratio(a["rps"], b["rps"]) for a, b in zip(runs[key], runs["oxigraph"])]
            ok = [r for r in rs if r is not None]
            p99 = [f"{fmt(a['p99'], '.1f')} vs {fmt(b['p99'], '.1f')}" for a, b in zip(runs[key], runs["oxigraph"])]
            results[key]["vs_oxigraph"] = rs
            line = ", ".join(fmt(r) for r in rs)
            if ok:
                line += f"; min {min(ok):.2f}, median {statistics.median(ok):.2f}"
            print(f"    {key:20s} x{line}  (p99 ms: {'; '.join(p99)})")
        nc = runs.get("kg-nocache")
        if nc:
            wins = [ratio(a["rps"], b["rps"]) for a, b in zip(nc, runs["oxigraph"])]
            p99ok = all(a["p99"] is not None and b["p99"] is not None and a["p99"] <= b["p99"]
                        for a, b in zip(nc, runs["oxigraph"]))
            med = statistics.median([w for w in wins if w is not None] or [0])
            print(f"  target (issue 14, item 5): result cache off, >= 1.0x the Oxigraph server's throughput "
                  f"with p99 <= its p99, same run: median x{med:.2f}, p99 "
                  f"{'<=' if p99ok else 'NOT <='} its in every round -> {'PASS' if med >= 1.0 and p99ok else 'FAIL'}")
        ours = next((k for k in ("kg-nocache", "kg") if runs.get(k)), None)
        if ours:
            a, b = answers_pair(ours, fill, data_args, queries)
            same = [n for n in queries if a.get(n) == b.get(n)]
            print(f"  same answers as the Oxigraph server (rows, booleans, triples): {len(same)} of {len(queries)}"
                  + ("" if len(same) == len(queries) else
                     f"; differ: {[(n, a.get(n), b.get(n)) for n in queries if n not in same]}"))
    baselines = [k for k in keys if k in ("rdflib-endpoint", "flask-rdflib")]
    for ours_key in [k for k in ("kg", "kg-nocache") if k in results]:
        for name in [b for b in baselines if b in results]:
            o, other = results[ours_key], results[name]
            print(f"  ratio [{ours_key}] / [{name}]: throughput x{fmt(ratio(o['rps'], other['rps']), '.1f')}, "
                  f"server CPU per request x{fmt(ratio(other['cpu_ms'], o['cpu_ms']), '.1f')} less, "
                  f"p99 {fmt(o['p99'])} vs {fmt(other['p99'])} ms")
    if all(k in results for k in ("kg-nocache", "kg-nolimit", "kg-threads")):
        a, b, c = results["kg-nocache"], results["kg-nolimit"], results["kg-threads"]
        print(f"  time limit by worker watchdog: {a['cpu_ms']:.2f} ms CPU/req vs {b['cpu_ms']:.2f} with no limit; "
              f"by query processes (gthread): {c['cpu_ms']:.2f}")
    return results


def _known_flags(cmd: list[str], root: Path) -> list[str]:
    """``cmd`` without the per-client flags (each with its value) that ``root``'s settings lack."""
    known = (root / "src" / "kg" / "settings.py").read_text(encoding="utf-8")
    out, skip = [], False
    for arg in cmd:
        if skip:
            skip = False
            continue
        if arg in ("--client-queries", "--client-requests") and f'"{arg}"' not in known:
            skip = True
            continue
        out.append(arg)
    return out


def summary(rs: list[dict]) -> dict:
    """Medians over the rounds of one server (and every round's figures)."""
    med = lambda k: statistics.median([r[k] for r in rs if r[k] is not None]) if any(r[k] is not None for r in rs) else None  # noqa: E731
    return {"rps": med("rps"), "p50": med("p50"), "p99": med("p99"), "cpu_ms": med("cpu_ms"), "rss": med("rss"),
            "rounds": rs}


def answers_pair(key: str, fill: dict, data_args: list[str], queries: dict[str, str]):
    """The mix's answers from our server (``key``) and from the Oxigraph server, side by side."""
    out = []
    for k in (key, "oxigraph"):
        label, cmd, _, endpoint = SERVERS[k]
        cmd = [fill.get(c, c).replace("{root}", str(ROOT)) for c in cmd] + (data_args if k != "oxigraph" else [])
        s = Server(label, cmd, endpoint=endpoint)
        try:
            out.append(answers(s, queries))
        finally:
            s.stop()
    return out


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
                                         "--data", f"{path}=https://w3id.org/deepseek-kg/graph/synthetic", "--snapshot-dir", "none",
                                         "--query-timeout", "30", "--result-cache-mb", "0", "--client-queries", "0",
                                         "--client-requests", "0"])
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
    p.add_argument("--servers", default=DEFAULT_SERVERS, help=f"comma list of: {', '.join(SERVERS)} (default: all)")
    p.add_argument("--repeat", type=int, default=1, help="rounds of the throughput run (each starts every server afresh)")
    p.add_argument("--before", type=Path, default=None,
                   help="another checkout: its server.py runs the same kg configurations as 'before' peers")
    p.add_argument("--out", type=Path, default=None, help="write the throughput figures as JSON here")
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
            res = throughput(args.duration, args.connections, work, args.servers.split(","), args.repeat,
                             args.before.resolve() if args.before else None)
            if args.out:
                args.out.write_text(json.dumps(res, indent=2) + "\n")
        if "synthetic" not in skip:
            synthetic([int(x) for x in args.sizes.split(",") if x], work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
