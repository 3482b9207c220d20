"""Bounded load test of the write path: readers alone, then readers and writers together.

    python bench/curation_load.py [--data fixture|bundled] [--duration 10] [--readers 4]
                                  [--writers 2] [--writes 25] [--max-requests 20000] [--workers 2]

Starts a real server (``server.py --allow-update``, gunicorn) on a fresh state directory, on
127.0.0.1 only, and drives it with Python threads (``http.client``; gunicorn's sync workers close
every connection, so each request opens one):

A. read-only: ``--readers`` threads run a read mix (SPARQL SELECT/ASK and Graph Store GETs) for
   ``--duration`` seconds or until ``--max-requests`` requests, whichever comes first;
B. the same readers plus ``--writers`` threads, each doing ``--writes`` writes (SPARQL Update
   INSERT DATA and DELETE/INSERT, Graph Store POST and PUT, and some writes the shapes must
   refuse with 422), until the writers are done, ``--duration`` seconds pass or the request cap
   is reached.

Then it checks: every response had an expected status (reads 200; good writes 200/201; bad
writes 422); the reads' p99 in B is within 2x of A (printed as PASS/FAIL); and the served graph
equals the base graph with the acknowledged writes applied in the order of the ``seq`` each
acknowledgement returned (replayed here on a local pyoxigraph store; the writes include
order-dependent ones: PUT replaces a graph, DELETE/INSERT keeps only the last value), the rest of
the store is unchanged and the change log has one PROV activity per acknowledged write; and,
after the server is killed with SIGKILL, the state directory holds the same graph.

``--data fixture`` (default): the test suite's small fixture graph and a two-shape shapes file,
so a write costs ~0.1-0.2 s. ``--data bundled``: the bundled data with the project's shapes
(shapes/deepseek-shapes.ttl), ~5 s of validation per write, so use few writes (``--writes 2``).

Prints a table and writes bench/results/curation_load.json. Asserts nothing (not part of the
test suite; tests/curation/test_load.py runs a small, untimed version of the same run).
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from bench.endpoint import process_group  # noqa: E402
from kg.curated import CHANGES_GRAPH, read_state  # noqa: E402
from kg.auth import add_token  # noqa: E402

EX = "http://example.org/"
PREFIX = "https://w3id.org/deepseek-kg/graph/curated/"   # the writable graphs
TIME = "http://www.w3.org/2006/time#"
PROV = "http://www.w3.org/ns/prov#"
ITEM_GRAPHS = [PREFIX + f"items-{i}" for i in range(3)]
SHARED_GRAPH, PUT_GRAPH = PREFIX + "shared", PREFIX + "put"
WRITER_GRAPHS = ITEM_GRAPHS + [SHARED_GRAPH, PUT_GRAPH]

#: the small shapes file of the fixture configuration: people need a label; an item has exactly
#: one integer ex:n (so ``ex:n "x"`` is refused)
TINY_SHAPES = f"""@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <{EX}> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:PersonShape a sh:NodeShape ; sh:targetClass ex:Person ;
    sh:property [ sh:path rdfs:label ; sh:minCount 1 ] .
ex:ItemShape a sh:NodeShape ; sh:targetClass ex:Item ;
    sh:property [ sh:path ex:n ; sh:minCount 1 ; sh:maxCount 1 ; sh:datatype xsd:integer ] .
"""


# -- the server ---------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fixture_data(directory: Path) -> list[str]:
    """The test suite's fixture graph (tests/conftest.py) as ``--data PATH=GRAPH`` values."""
    sys.path.insert(0, str(ROOT))
    from testkit.data import FIXTURE_TTL, GRAPHS
    directory.mkdir(parents=True, exist_ok=True)
    out = []
    for name, text in FIXTURE_TTL.items():
        (directory / name).write_text(text, encoding="utf-8")
        out.append(f"{directory / name}={GRAPHS[name]}")
    return out


def make_token(tokens_file: Path, name: str = "loadtester") -> str:
    return add_token(tokens_file, name, "write")


class CurationServer:
    """``server.py --allow-update`` in a process group of its own (so the whole server, gunicorn
    master and workers and their shapes-check children, can be killed at once)."""

    def __init__(self, state_dir: Path, tokens: Path, data: list[str] | None, shapes: str | None,
                 workers: int = 2, log: Path | None = None, ready_timeout: float = 120, root: Path = ROOT,
                 extra_env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [sys.executable, str(Path(root) / "server.py"), "--bind", f"127.0.0.1:{self.port}",
                "--workers", str(workers), "--allow-update", "--state-dir", str(state_dir),
                "--tokens", str(tokens), "--writable-graphs", PREFIX, "--no-dump-warmup",
                "--log-level", "warning", "--client-queries", "0", "--client-requests", "0"]  # all readers share one address here
        for d in data or []:
            args += ["--data", d]
        env = {k: v for k, v in os.environ.items() if not k.startswith("KG_")}
        if shapes:
            env["KG_SHAPES"] = str(shapes)   # create_app(from_env=True) reads KG_* settings
        env.update(extra_env or {})
        self.log = open(log, "ab") if log else subprocess.DEVNULL
        self.proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.pgid = self.proc.pid
        deadline = time.monotonic() + ready_timeout
        while True:
            try:
                status, _ = request(self.url, "GET", "/healthz", timeout=2)
                if status == 200:
                    break
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.kill()
                tail = Path(log).read_bytes()[-3000:].decode(errors="replace") if log else ""
                raise RuntimeError(f"server did not start (exit {self.proc.returncode}): {tail}")
            time.sleep(0.03)

    def group(self) -> list[tuple[int, int, str]]:
        """(pid, ppid, state) of the live processes of the server's process group."""
        return [(pid, int(f[1]), f[0]) for pid, f in process_group(self.pgid) if f[0] != "Z"]

    def workers(self) -> list[int]:
        return [pid for pid, ppid, _ in self.group() if ppid == self.proc.pid]

    def checking_workers(self) -> list[int]:
        """Workers that are inside a write right now (they have a forked shapes-check child)."""
        procs = self.group()
        workers = {pid for pid, ppid, _ in procs if ppid == self.proc.pid}
        return sorted({ppid for _, ppid, _ in procs if ppid in workers})

    def kill(self) -> None:
        """SIGKILL the whole server at once, and wait until none of it is left."""
        try:
            os.killpg(self.pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        deadline = time.monotonic() + 10
        while self.group() and time.monotonic() < deadline:
            time.sleep(0.01)
        self._close_log()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)   # graceful: finish what is in flight
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
        self.kill()

    def _close_log(self) -> None:
        if self.log not in (None, subprocess.DEVNULL) and not self.log.closed:
            self.log.close()


def request(base: str, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
            timeout: float = 60) -> tuple[int, bytes]:
    """One request on a fresh connection; raises OSError / http.client.HTTPException when the
    server goes away before answering."""
    u = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


# -- writes -------------------------------------------------------------------------------------
@dataclass
class Write:
    """One write a client sends, with what it must do to the graph."""
    n: int
    kind: str                  # update | form | gsp-post | gsp-put | last | bad-update | bad-gsp
    graph: str
    method: str
    path: str
    body: bytes
    headers: dict
    triples: list[tuple] = field(default_factory=list)   # what it adds (items: all-or-nothing)
    outcome: str = ""          # ack | refused | unacked | undelivered | unexpected
    status: int = 0
    seq: int | None = None
    detail: str = ""

    @property
    def bad(self) -> bool:
        return self.kind.startswith("bad")

    @property
    def subject(self) -> str:
        return f"{EX}{'bad' if self.bad else 'item'}-{self.n}"


def _nt(t) -> str:
    s, p, o = t
    return f"<{s}> <{p}> {o} ."


def item_triples(n: int, tag: int, bad: bool = False) -> list[tuple]:
    s = f"{EX}{'bad' if bad else 'item'}-{n}"
    if bad:  # breaks both the tiny shapes (ex:n not an integer) and the project's (an instant with no date)
        return [(s, "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", f"<{EX}Item>"),
                (s, "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", f"<{TIME}Instant>"),
                (s, f"{EX}n", '"x"')]
    return [(s, "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", f"<{EX}Item>"),
            (s, f"{EX}n", f'"{n}"^^<http://www.w3.org/2001/XMLSchema#integer>'),
            (s, f"{EX}tag", f'"{tag}"^^<http://www.w3.org/2001/XMLSchema#integer>')]


def make_write(n: int, kind: str, token: str, tag: int = 0) -> Write:
    """A unique, checkable write: items add three triples (all or nothing); ``last`` and
    ``gsp-put`` are order-dependent; ``bad-*`` must be refused with 422."""
    auth = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    graph = ITEM_GRAPHS[n % len(ITEM_GRAPHS)]
    bad = kind.startswith("bad")
    triples = item_triples(n, tag, bad)
    data = "\n".join(_nt(t) for t in triples)
    gsp_path = "/rdf-graph-store?graph=" + urllib.parse.quote(graph, safe="")
    if kind in ("update", "bad-update"):
        text = f"INSERT DATA {{ GRAPH <{graph}> {{\n{data}\n}} }}"
        return Write(n, kind, graph, "POST", "/update", text.encode(),
                     {**auth, "Content-Type": "application/sparql-update"}, triples)
    if kind == "form":
        text = f"INSERT DATA {{ GRAPH <{graph}> {{\n{data}\n}} }}"
        return Write(n, kind, graph, "POST", "/sparql", urllib.parse.urlencode({"update": text}).encode(),
                     {**auth, "Content-Type": "application/x-www-form-urlencoded"}, triples)
    if kind in ("gsp-post", "bad-gsp"):
        return Write(n, kind, graph, "POST", gsp_path, (data + "\n").encode(),
                     {**auth, "Content-Type": "application/n-triples"}, triples)
    if kind == "gsp-put":  # replaces the whole graph: only the last PUT (by seq) survives
        triples = [(f"{EX}put", f"{EX}last", f'"{n}"^^<http://www.w3.org/2001/XMLSchema#integer>'),
                   (f"{EX}put-{n}", f"{EX}n", f'"{n}"^^<http://www.w3.org/2001/XMLSchema#integer>')]
        body = "\n".join(_nt(t) for t in triples) + "\n"
        return Write(n, kind, PUT_GRAPH, "PUT", "/rdf-graph-store?graph=" + urllib.parse.quote(PUT_GRAPH, safe=""),
                     body.encode(), {**auth, "Content-Type": "application/n-triples"}, triples)
    if kind == "last":  # keeps one value: the last write's (by seq)
        text = (f"DELETE WHERE {{ GRAPH <{SHARED_GRAPH}> {{ <{EX}shared> <{EX}last> ?o }} }} ;\n"
                f"INSERT DATA {{ GRAPH <{SHARED_GRAPH}> {{ <{EX}shared> <{EX}last> {n} . "
                f"<{EX}shared> <{EX}seen> {n} }} }}")
        return Write(n, kind, SHARED_GRAPH, "POST", "/update", text.encode(),
                     {**auth, "Content-Type": "application/sparql-update"})
    raise ValueError(kind)


def send(base: str, w: Write, timeout: float = 300) -> Write:
    """Send ``w`` and record its outcome (never raises for a server that went away)."""
    try:
        status, body = request(base, w.method, w.path, w.body, w.headers, timeout=timeout)
    except ConnectionRefusedError as exc:
        w.outcome, w.detail = "undelivered", str(exc)       # never reached the server
        return w
    except (OSError, http.client.HTTPException) as exc:
        w.outcome, w.detail = "unacked", f"{type(exc).__name__}: {exc}"  # sent, no answer
        return w
    w.status = status
    if w.bad:
        w.outcome = "refused" if status == 422 else "unexpected"
    elif status in (200, 201):
        try:
            w.seq = json.loads(body)["seq"]
            w.outcome = "ack"
        except (ValueError, KeyError):
            w.outcome = "unexpected"
    else:
        w.outcome = "unexpected"
    if w.outcome == "unexpected":
        w.detail = body[:300].decode(errors="replace")
    return w


def replay(writes: list[Write]) -> ox.Store:
    """The writable graphs as the acknowledged writes make them, applied in ``seq`` order."""
    st = ox.Store()
    for w in sorted((w for w in writes if w.outcome == "ack"), key=lambda w: w.seq):
        if w.kind in ("update", "last"):
            st.update(w.body.decode())
        elif w.kind == "form":
            st.update(urllib.parse.parse_qs(w.body.decode())["update"][0])
        elif w.kind in ("gsp-post", "gsp-put"):
            g = ox.NamedNode(w.graph)
            if w.kind == "gsp-put":
                for q in list(st.quads_for_pattern(None, None, None, g)):
                    st.remove(q)
            st.extend(ox.Quad(t.subject, t.predicate, t.object, g)
                      for t in ox.parse(w.body, format=ox.RdfFormat.N_TRIPLES))
    return st


def quad_set(quads) -> set[str]:
    return {str(q) for q in quads}


def served_graphs(base: str, graphs: list[str]) -> set[str]:
    """The named graphs ``graphs`` as the server serves them (Graph Store GET), as quad strings."""
    out = set()
    for g in graphs:
        status, body = request(base, "GET", "/rdf-graph-store?graph=" + urllib.parse.quote(g, safe=""),
                               headers={"Accept": "application/n-triples"})
        if status == 404:
            continue
        if status != 200:
            raise RuntimeError(f"GET graph {g}: {status} {body[:200]!r}")
        node = ox.NamedNode(g)
        out |= {str(ox.Quad(t.subject, t.predicate, t.object, node))
                for t in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)}
    return out


def select(base: str, query: str) -> list[dict]:
    status, body = request(base, "GET", "/sparql?query=" + urllib.parse.quote(query),
                           headers={"Accept": "application/sparql-results+json"})
    if status != 200:
        raise RuntimeError(f"query failed: {status} {body[:300]!r}")
    return json.loads(body)["results"]["bindings"]


def count_outside(base: str) -> int:
    """Quads in graphs that are neither writable nor the change log (must not change)."""
    rows = select(base, f"""SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }}
        FILTER(!STRSTARTS(STR(?g), "{PREFIX}") && ?g != <{CHANGES_GRAPH}>) }}""")
    return int(rows[0]["n"]["value"])


def activities(base: str) -> int:
    rows = select(base, f"SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE {{ GRAPH <{CHANGES_GRAPH}> {{ ?a a <{PROV}Activity> }} }}")
    return int(rows[0]["n"]["value"])


# -- readers ------------------------------------------------------------------------------------
def read_mix(gsp_graph: str) -> list[tuple[str, str, dict]]:
    rj = {"Accept": "application/sparql-results+json"}
    q = lambda s: "/sparql?query=" + urllib.parse.quote(s)  # noqa: E731
    return [
        ("select labels", q("SELECT ?s ?l WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l } LIMIT 50"), rj),
        ("select class counts", q("SELECT ?c (COUNT(?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c ORDER BY DESC(?n)"), rj),
        ("ask", q("ASK { ?s a ?c }"), rj),
        ("select curated items", q(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s <{EX}n> ?o }} }}"), rj),
        ("gsp get", "/rdf-graph-store?graph=" + urllib.parse.quote(gsp_graph, safe=""), {"Accept": "text/turtle"}),
        ("gsp get curated", "/rdf-graph-store?graph=" + urllib.parse.quote(SHARED_GRAPH, safe=""),
         {"Accept": "application/n-triples"}),
    ]


class Phase:
    """Counters of one phase, shared by its threads."""

    def __init__(self, max_requests: int):
        self.lock = threading.Lock()
        self.max_requests, self.requests = max_requests, 0
        self.latencies: list[float] = []
        self.by_name: dict[str, list[float]] = {}
        self.errors: list[str] = []
        self.stop = threading.Event()

    def take(self) -> bool:
        """Count one more request, or say the cap is reached."""
        with self.lock:
            if self.requests >= self.max_requests:
                self.stop.set()
                return False
            self.requests += 1
            return True


def reader(base: str, phase: Phase, mix, seed: int) -> None:
    rng = random.Random(seed)
    while not phase.stop.is_set() and phase.take():
        name, path, headers = mix[rng.randrange(len(mix))]
        t0 = time.perf_counter()
        try:
            status, _ = request(base, "GET", path, headers=headers, timeout=60)
        except (OSError, http.client.HTTPException) as exc:
            status, err = 0, f"{type(exc).__name__}: {exc}"
        else:
            err = None
        dt = time.perf_counter() - t0
        with phase.lock:
            # 404: the curated graph before its first write
            if status == 200 or (status == 404 and name == "gsp get curated"):
                phase.latencies.append(dt)
                phase.by_name.setdefault(name, []).append(dt)
            else:
                phase.errors.append(f"{name}: {status} {err or ''}")


def writer(base: str, phase: Phase, writes: list[Write], done: list, interval: float = 0.0) -> None:
    """Send ``writes`` one after another, each ``interval`` seconds after the previous one started
    (0: back to back)."""
    nxt = time.perf_counter()
    for w in writes:
        if interval:
            if phase.stop.wait(max(0.0, nxt - time.perf_counter())):
                break
            nxt += interval
        if phase.stop.is_set() or not phase.take():
            break
        t0 = time.perf_counter()
        send(base, w)
        w.detail = w.detail or f"{time.perf_counter() - t0:.3f}"
        done.append(w)


def percentile(xs: list[float], p: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def summarize(phase: Phase, seconds: float) -> dict:
    lat = phase.latencies
    return {"reads": len(lat), "seconds": round(seconds, 2), "reads_per_s": round(len(lat) / seconds, 1) if seconds else 0,
            "p50_ms": round(percentile(lat, 50) * 1000, 2), "p99_ms": round(percentile(lat, 99) * 1000, 2),
            "mean_ms": round(statistics.fmean(lat) * 1000, 2) if lat else None, "read_errors": len(phase.errors),
            "p99_ms_by_read": {k: round(percentile(v, 99) * 1000, 1) for k, v in sorted(phase.by_name.items())}}


def write_figures(done: list[Write], seconds: float) -> dict:
    """Counts and latencies of a phase's writes, overall and per kind (the small write: 'update')."""
    lat = [float(w.detail) for w in done if w.outcome in ("ack", "refused")]
    by_kind = {}
    for kind in sorted({w.kind for w in done}):
        xs = [float(w.detail) for w in done if w.kind == kind and w.outcome in ("ack", "refused")]
        by_kind[kind] = {"n": len(xs), "p50_ms": round(percentile(xs, 50) * 1000, 1)}
    return {"writes_sent": len(done), "writes_acknowledged": sum(w.outcome == "ack" for w in done),
            "writes_refused_422": sum(w.outcome == "refused" for w in done),
            "write_errors": sum(w.outcome not in ("ack", "refused") for w in done),
            "writes_per_s": round(len(done) / seconds, 2) if seconds else 0,
            "write_p50_ms": round(percentile(lat, 50) * 1000, 1), "write_p99_ms": round(percentile(lat, 99) * 1000, 1),
            "by_kind": by_kind}


def _idle_kinds(n: int, seed: int) -> list[str]:
    """The idle phase's writes: the same kinds as under load, in the same proportions."""
    rng = random.Random(seed + 1)
    kinds = ["update"] * 3 + ["form", "gsp-post", "gsp-post", "gsp-put", "last", "last", "bad-update"]
    return [rng.choice(kinds) for _ in range(n)]


def write_plan(writers: int, writes: int, token: str, seed: int) -> list[list[Write]]:
    """Each writer's bounded list of writes: mostly item inserts (three ways), order-dependent
    PUT and DELETE/INSERT, and ~10% that the shapes must refuse."""
    rng = random.Random(seed)
    kinds = ["update"] * 3 + ["form", "gsp-post", "gsp-post", "gsp-put", "last", "last", "bad-update"]
    plans, n = [], 0
    for _ in range(writers):
        plan = []
        for _ in range(writes):
            n += 1
            kind = rng.choice(kinds)
            if kind == "bad-update" and rng.random() < 0.5:
                kind = "bad-gsp"
            plan.append(make_write(n, kind, token, tag=n))
        plans.append(plan)
    return plans


def run(*, data: str = "fixture", duration: float = 10, readers: int = 4, writers: int = 2, writes: int = 25,
        max_requests: int = 20000, workers: int = 2, seed: int = 1, workdir: Path | None = None,
        verbose: bool = True, idle_writes: int = 0, root: Path = ROOT, write_interval: float = 0.0,
        server_env: dict | None = None) -> dict:
    """Phases A and B against a fresh server, and the checks; the figures as a dict."""
    say = print if verbose else (lambda *a, **k: None)
    own = workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="kg-curation-load-")) if own else Path(workdir)
    state, tokens = workdir / "state", workdir / "tokens.json"
    token = make_token(tokens)
    if data == "fixture":
        shapes = workdir / "shapes.ttl"
        shapes.write_text(TINY_SHAPES, encoding="utf-8")
        sources, gsp_graph = fixture_data(workdir / "data"), "http://example.org/graph/people"
    elif data == "bundled":
        shapes, sources, gsp_graph = None, None, "https://w3id.org/deepseek-kg/graph/ontology"
    else:
        raise SystemExit(f"--data must be fixture or bundled, not {data!r}")
    t0 = time.perf_counter()
    server = CurationServer(state, tokens, sources, shapes, workers=workers, log=workdir / "server.log", root=root,
                            extra_env=server_env)
    out = {"config": {"data": data, "duration_s": duration, "readers": readers, "writers": writers,
                      "writes_per_writer": writes, "max_requests_per_phase": max_requests, "workers": workers,
                      "idle_writes": idle_writes, "write_interval_s": write_interval, "server_env": server_env or {},
                      "root": str(root), "load_average": round(os.getloadavg()[0], 2),
                      "shapes": "tiny (2 node shapes)" if shapes else "shapes/deepseek-shapes.ttl", "seed": seed},
           "start_s": round(time.perf_counter() - t0, 2)}
    try:
        mix = read_mix(gsp_graph)
        outside_before, activities_before = count_outside(server.url), activities(server.url)
        for _, path, headers in mix:  # warm each worker's caches, so phase A is not the cold start
            for _ in range(workers):
                request(server.url, "GET", path, headers=headers)

        # phase W: writers alone (the idle write latency), one at a time
        done: list[Write] = []
        if idle_writes:
            w = Phase(max_requests)
            plan = [make_write(100_000 + k, kind, token, tag=k)
                    for k, kind in enumerate(_idle_kinds(idle_writes, seed))]
            tw = time.perf_counter()
            writer(server.url, w, plan, done)
            out["W"] = write_figures(done, time.perf_counter() - tw)
            say(f"phase W (writes alone): {out['W']}")

        # phase A: readers only
        a = Phase(max_requests)
        threads = [threading.Thread(target=reader, args=(server.url, a, mix, seed * 100 + i)) for i in range(readers)]
        ta = time.perf_counter()
        for t in threads:
            t.start()
        a.stop.wait(duration)
        a.stop.set()
        for t in threads:
            t.join()
        out["A"] = summarize(a, time.perf_counter() - ta)
        say(f"phase A: {out['A']}")

        # phase B: the same readers, plus writers
        b = Phase(max_requests)
        plans = write_plan(writers, writes, token, seed)
        idle_done = list(done)
        rthreads = [threading.Thread(target=reader, args=(server.url, b, mix, seed * 200 + i)) for i in range(readers)]
        wthreads = [threading.Thread(target=writer, args=(server.url, b, plan, done, write_interval)) for plan in plans]
        tb = time.perf_counter()
        for t in rthreads + wthreads:
            t.start()
        deadline = tb + duration
        for t in wthreads:
            t.join(max(0.0, deadline - time.perf_counter()))
        b.stop.set()
        for t in rthreads + wthreads:
            t.join()
        secs = time.perf_counter() - tb
        out["B"] = summarize(b, secs)
        loaded = done[len(idle_done):]
        out["B"].update(write_figures(loaded, secs))
        acked = [w for w in done if w.outcome == "ack"]
        unexpected = [w for w in done if w.outcome not in ("ack", "refused")]
        say(f"phase B: {out['B']}")

        # checks
        seqs = sorted(w.seq for w in acked)
        expected = quad_set(replay(done))
        served = served_graphs(server.url, WRITER_GRAPHS)
        checks = {
            "unexpected_statuses": len(a.errors) + len(b.errors) + len(unexpected),
            "acked_seqs_contiguous": seqs == list(range(activities_before + 1, activities_before + len(acked) + 1)),
            "served_equals_replay": served == expected,
            "missing_from_served": len(expected - served), "extra_in_served": len(served - expected),
            "rest_of_store_unchanged": count_outside(server.url) == outside_before,
            "one_activity_per_acked_write": activities(server.url) - activities_before == len(acked),
        }
        server.kill()   # SIGKILL: what was acknowledged must be on disk without a clean shutdown
        on_disk = read_state(state)
        checks["state_dir_equals_replay"] = quad_set(
            q for q in on_disk if isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value in WRITER_GRAPHS) == expected
        ratio = out["B"]["p99_ms"] / out["A"]["p99_ms"] if out["A"]["p99_ms"] else float("inf")
        checks["p99_ratio_B_over_A"] = round(ratio, 2)
        checks["p99_within_2x"] = ratio <= 2.0
        checks["p99_within_1.5x"] = ratio <= 1.5
        if "W" in out and out["W"]["write_p50_ms"]:
            wr = out["B"]["write_p50_ms"] / out["W"]["write_p50_ms"]
            checks["write_p50_ratio_B_over_W"] = round(wr, 2)
            checks["write_within_5x"] = wr <= 5.0
        out["checks"] = checks
        out["errors_sample"] = (a.errors + b.errors)[:10] + [f"{w.kind} #{w.n}: {w.outcome} {w.status} {w.detail}"
                                                             for w in unexpected][:10]
        out["correct"] = (checks["unexpected_statuses"] == 0 and checks["acked_seqs_contiguous"]
                          and checks["served_equals_replay"] and checks["rest_of_store_unchanged"]
                          and checks["one_activity_per_acked_write"] and checks["state_dir_equals_replay"])
    finally:
        server.kill()
    return out


def table(out: dict) -> str:
    a, b, c = out["A"], out["B"], out["checks"]
    w = out.get("W")
    rows = [("", "W: writes alone", "A: reads only", "B: reads + writes"),
            ("reads", "", a["reads"], b["reads"]),
            ("reads/s", "", a["reads_per_s"], b["reads_per_s"]),
            ("read p50 (ms)", "", a["p50_ms"], b["p50_ms"]),
            ("read p99 (ms)", "", a["p99_ms"], b["p99_ms"]),
            ("read errors", "", a["read_errors"], b["read_errors"]),
            ("writes sent / acked / 422", f"{w['writes_sent']} / {w['writes_acknowledged']} / {w['writes_refused_422']}" if w else "",
             "", f"{b['writes_sent']} / {b['writes_acknowledged']} / {b['writes_refused_422']}"),
            ("writes/s", w["writes_per_s"] if w else "", "", b["writes_per_s"]),
            ("write p50 / p99 (ms)", f"{w['write_p50_ms']} / {w['write_p99_ms']}" if w else "", "",
             f"{b['write_p50_ms']} / {b['write_p99_ms']}"),
            ("INSERT DATA p50 (ms)", (w["by_kind"].get("update") or {}).get("p50_ms", "") if w else "", "",
             (b["by_kind"].get("update") or {}).get("p50_ms", "")),
            ("write errors", w["write_errors"] if w else "", "", b["write_errors"])]
    lines = [f"{r[0]:<28}{str(r[1]):>18}{str(r[2]):>16}{str(r[3]):>22}" for r in rows]
    lines.append("")
    lines.append(f"read p99 B/A = {c['p99_ratio_B_over_A']}  -> {'PASS' if c['p99_within_1.5x'] else 'FAIL'} (target <= 1.5x)")
    if "write_p50_ratio_B_over_W" in c:
        lines.append(f"write p50 B/W = {c['write_p50_ratio_B_over_W']}  -> {'PASS' if c['write_within_5x'] else 'FAIL'} "
                     f"(target <= 5x: a write under the read load against the same write alone)")
    lines.append(f"unexpected statuses = {c['unexpected_statuses']}  -> {'PASS' if c['unexpected_statuses'] == 0 else 'FAIL'}")
    lines.append(f"served graph == base + acked writes in seq order: {c['served_equals_replay']} "
                 f"(missing {c['missing_from_served']}, extra {c['extra_in_served']}); state dir: {c['state_dir_equals_replay']}; "
                 f"seqs contiguous: {c['acked_seqs_contiguous']}; rest unchanged: {c['rest_of_store_unchanged']}; "
                 f"one activity per write: {c['one_activity_per_acked_write']}")
    lines.append(f"correctness -> {'PASS' if out['correct'] else 'FAIL'}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", choices=["fixture", "bundled"], default="fixture",
                   help="fixture: the tests' small graph + a tiny shapes file (default); bundled: the bundled "
                        "data and shapes/deepseek-shapes.ttl (~5 s per write)")
    p.add_argument("--duration", type=float, default=10, help="seconds per phase at most (default 10)")
    p.add_argument("--readers", type=int, default=4)
    p.add_argument("--writers", type=int, default=2)
    p.add_argument("--writes", type=int, default=None, help="writes per writer (default 25 fixture, 2 bundled)")
    p.add_argument("--max-requests", type=int, default=20000, help="request cap per phase (default 20000)")
    p.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--idle-writes", type=int, default=20, help="writes sent alone first, one at a time (phase W)")
    p.add_argument("--write-interval", type=float, default=0.5,
                   help="seconds between the starts of one writer's writes in phase B (0: back to back)")
    p.add_argument("--root", type=Path, default=ROOT, help="the checkout whose server.py runs (to measure another version)")
    p.add_argument("--server-env", action="append", default=[], metavar="KG_NAME=VALUE",
                   help="a setting for the server, as its environment variable (repeatable)")
    p.add_argument("--out", default=str(ROOT / "bench" / "results" / "curation_load.json"))
    args = p.parse_args(argv)
    writes = args.writes if args.writes is not None else (25 if args.data == "fixture" else 2)
    out = run(data=args.data, duration=args.duration, readers=args.readers, writers=args.writers, writes=writes,
              max_requests=args.max_requests, workers=args.workers, seed=args.seed, idle_writes=args.idle_writes,
              root=args.root.resolve(), write_interval=args.write_interval,
              server_env=dict(kv.split("=", 1) for kv in args.server_env))
    print(table(out))
    path = Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    results = json.loads(path.read_text()) if path.exists() else {}
    results[f"{args.data} w{args.workers} r{args.readers} x{args.writers}"] = out
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written to {path}")
    return 0 if out["correct"] else 1


if __name__ == "__main__":
    sys.exit(main())
