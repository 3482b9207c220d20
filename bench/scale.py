"""Corpus-scale benchmark: the endpoint on 100 thousand to 10 million triples of essay-shaped data.

    python bench/scale.py                                  # 100k, 1M and 10M triples, every store
    python bench/scale.py --sizes 100k,1M --duration 5 --skip virtuoso

Needs wrk (Debian package ``wrk``), Virtuoso 7 for the reference (``virtuoso-opensource-7``;
skipped with a note when absent) and ``pip install -e '.[bench]'`` (matplotlib, for the chart).
All traffic stays on 127.0.0.1. Prints figures and asserts nothing (not part of the test suite).

For each size, one corpus of synthetic essays (bench/corpus.py: one named graph per essay, each
validating with the project's shapes) plus the ontology is served by

- ``embedded``: ``server.py --data corpus.nq`` (the in-memory pyoxigraph store, loaded at start-up);
- ``on-disk``: ``server.py --store DIR`` after ``OnDiskStore.create(DIR, sources)`` (RocksDB);
- ``kg -> virtuoso``: ``server.py --store http://…/sparql`` in front of a throwaway Virtuoso 7
  (``testkit.virtuoso``), loaded with its bulk loader;
- ``virtuoso``: Virtuoso's own ``/sparql``, the reference;

and measured the same way: load time, memory (PSS of the serving processes: memory shared
copy-on-write between gunicorn's master and workers is counted once), disk size, then a
sequential pass over the query mix (row counts compared between stores, latency per query
kind), then wrk on the mix (p50/p99 latency, throughput). Our servers run 2 workers with the
result cache off (``--result-cache-mb 0``): what is measured is the store, not the cache.

The query mix: essay-shaped versions of the competency queries (queries/*.rq), each
instantiated with several essays or actors picked from the corpus manifest (``TEMPLATES``).

Writes bench/results/scale.json and docs/img/scale.png. See docs/benchmark-scale.md.
"""
from __future__ import annotations

import argparse
import http.client
import importlib.util
import json
import os
import platform
import random
import re
import shutil
import signal
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

from bench.corpus import SYN, corpus  # noqa: E402
from bench.endpoint import Server, drive, free_port, process_group, wait_ready  # noqa: E402
from kg.sources import ONTOLOGY_FILE, ONTOLOGY_GRAPH, SourceFile  # noqa: E402

ACCEPT = "application/sparql-results+json"
PREFIXES = """PREFIX dsk: <https://w3id.org/deepseek-kg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX time: <http://www.w3.org/2006/time#>
"""
STORES = ("embedded", "on-disk", "kg -> virtuoso", "virtuoso")


def actor(k: int) -> str:
    return f"<{SYN}actor/{k}>"


# ---------------------------------------------------------------------------------------------
# The query mix. Each template: (competency queries it stands for, what it asks, scope, builder).
# A builder gets one essay's manifest entry and a seeded Random and returns the query, or None
# when that essay has nothing to ask it about. "essay" queries ask the original question of one
# essay: its pattern, with that essay's IRIs and offsets, runs inside the essay's named graph
# (query_mix wraps it in GRAPH <…/graph/synthetic/N> { }), as the originals run on the one-essay
# dataset. Unscoped, a join through a node that every essay describes (a concept's skos:inScheme,
# an actor's label) meets one copy per essay in the union default graph (neither pyoxigraph nor
# Virtuoso merges them), and the query slows down with the corpus for no reason the question
# has. "corpus" queries range over every essay, so their answers grow with the corpus.
# ---------------------------------------------------------------------------------------------
def _q01(e, r):
    return f"""SELECT DISTINCT ?claim ?claimant ?claimantName ?direct ?stance WHERE {{
  ?claim a dsk:Claim ; dsk:viewpoint <{r.choice(e['viewpoints'])}> ; dsk:claimant ?claimant ;
         dsk:isDirectQuote ?direct ; dsk:authorStance ?stance .
  ?claimant rdfs:label ?claimantName .
  ?claim dsk:anchor/oa:hasSelector/oa:end ?end . FILTER(?end <= {e['half']})
}} ORDER BY ?claim"""


def _q02(e, r):
    if not e["actor_event_types"]:
        return None
    a, t = r.choice(e["actor_event_types"])
    # The OPTIONAL repeats the actor: pyoxigraph evaluates an OPTIONAL's right side on its own, so
    # as written ({ ?event dsk:when/dsk:dateText ?dateText }) it reads every dated event of the corpus
    # (33 ms at 1M triples, median; restricted: 2.6 ms; same answers).
    return f"""SELECT ?event ?measure ?value ?unit ?comparator ?dateText ?cause ?assertedBy ?modality WHERE {{
  ?event dsk:eventType <{SYN}event-type/{t}> ; dsk:participation [ dsk:participant {actor(a)} ] ; dsk:quantity ?q .
  ?q dsk:value ?value ; dsk:unit ?unit ; dsk:comparator ?comparator ; dsk:measures ?measure .
  ?causal dsk:effect ?event ; dsk:cause ?cause ; dsk:assertedBy ?assertedBy ; dsk:modality ?modality .
  OPTIONAL {{ ?event dsk:participation/dsk:participant {actor(a)} ; dsk:when/dsk:dateText ?dateText }}
}} ORDER BY ?measure ?cause"""


def _q03(e, r):
    return f"""SELECT DISTINCT ?event ?quantity ?value ?unit ?comparator ?measure WHERE {{
  ?event dsk:quantity ?quantity ; dsk:anchor ?a .
  ?a oa:hasSource <{e['essay']}> ; oa:hasSelector/oa:end ?end . FILTER(?end <= {e['half']})
  ?quantity dsk:value ?value ; dsk:unit ?unit ; dsk:comparator ?comparator ; dsk:measures ?measure .
}} ORDER BY ?event ?quantity"""


def _q04(e, r):
    return f"""SELECT DISTINCT ?causal ?cause ?polarity ?effect ?modality WHERE {{
  ?causal a dsk:CausalAssertion ; dsk:assertedBy <{e['author']}> ;
          dsk:cause ?cause ; dsk:effect ?effect ; dsk:polarity ?polarity ; dsk:modality ?modality .
  ?cause skos:inScheme <{SYN}scheme/concepts> .
  ?effect skos:inScheme <{SYN}scheme/concepts> .
  ?causal dsk:anchor/oa:hasSelector/oa:end ?end . FILTER(?end <= {e['half']})
}} ORDER BY ?causal"""


def _q05(e, r):
    v1, v2 = e["viewpoints"]
    return f"""SELECT DISTINCT ?arg ?premise ?conclusion ?view WHERE {{
  ?arg a dsk:Attack ; dsk:arguedBy <{e['author']}> ; dsk:premise ?premise ; dsk:conclusion ?conclusion .
  ?premise dsk:claimant <{e['author']}> .
  {{ ?conclusion dsk:viewpoint ?view }} UNION {{ ?conclusion a dsk:Viewpoint . BIND(?conclusion AS ?view) }}
  VALUES ?view {{ <{v1}> <{v2}> }}
}} ORDER BY ?arg"""


def _q06(e, r):
    types = " ".join(f"<{SYN}event-type/{t}>" for t in r.sample(e["event_types"], min(6, len(e["event_types"]))))
    return f"""SELECT DISTINCT ?event ?label ?dateText ?year WHERE {{
  ?event a dsk:Event ; rdfs:label ?label ; dsk:when ?t ; dsk:eventType ?type ; dsk:anchor/oa:hasSource <{e['essay']}> .
  VALUES ?type {{ {types} }}
  ?t (time:hasBeginning|time:hasEnd)? ?i .
  ?i time:inXSDgYear ?year ; dsk:dateText ?dateText .
}} ORDER BY ?year ?event"""


def _q07(e, r):
    # FILTER EXISTS, not the original's join, inside the OPTIONAL: pyoxigraph evaluates an OPTIONAL's
    # right side on its own, and the join meets every essay's copy of "?concept a skos:Concept"
    # (for the most-discussed actor at 1M triples: 592 ms as written, 68 ms so; at 10M > 60 s as written)
    return f"""SELECT DISTINCT ?claim ?label ?claimant ?concept WHERE {{
  ?claim a dsk:Claim ; dsk:about {actor(r.choice(e['actors']))} ; rdfs:label ?label ; dsk:claimant ?claimant .
  OPTIONAL {{ ?claim dsk:about ?concept . FILTER EXISTS {{ ?concept a skos:Concept }} }}
}} ORDER BY ?claim ?concept"""


def _q08(e, r):
    return f"""SELECT ?direction ?other ?otherLabel WHERE {{
  {{ ?arg a dsk:Support ; dsk:conclusion <{e['thesis']}> ; dsk:premise ?other . BIND("supported by" AS ?direction) }}
  UNION
  {{ ?arg a dsk:Support ; dsk:premise <{e['thesis']}> ; dsk:conclusion ?other . BIND("supports" AS ?direction) }}
  ?other rdfs:label ?otherLabel .
}} ORDER BY ?direction ?other"""


def _q09(e, r):
    return f"""SELECT DISTINCT ?viewpoint ?holder ?holderName WHERE {{
  ?viewpoint a dsk:Viewpoint ; dsk:authorStance dsk:rejects ; dsk:heldBy ?holder ;
             dsk:anchor/oa:hasSource <{e['essay']}> .
  ?holder rdfs:label ?holderName .
}} ORDER BY ?viewpoint ?holder"""


def _q10(e, r):
    return f"""SELECT ?claim ?claimant ?stance ?quote WHERE {{
  ?claim a dsk:Claim ; dsk:isDirectQuote true ; dsk:claimant ?claimant ; dsk:authorStance ?stance ; dsk:anchor ?a .
  ?a oa:hasSource <{e['essay']}> ; oa:hasSelector/oa:exact ?quote ; oa:hasSelector/oa:end ?end .
  FILTER(?end <= {e['half']})
}} ORDER BY ?claim"""


def _q12(e, r):
    return f"""SELECT ?claim ?statement ?start WHERE {{
  ?claim a dsk:Claim ; dsk:about {actor(r.choice(e['author_about']))} ; dsk:claimant <{e['author']}> ;
         dsk:statement ?statement ; dsk:anchor/oa:hasSelector/oa:start ?start .
}} ORDER BY ?start"""


def _q13(e, r):
    pq = e.get("pull_quote")
    if not pq:
        return None
    # The original matches anchors by start offset alone, which is right for one essay only: on a
    # corpus the offset must be read in the same text, so the anchors are pinned to this essay.
    return f"""SELECT ?exact ?displayStart ?bodyStart ?node ?kind WHERE {{
  <{pq}> dsk:anchor/oa:hasSelector/oa:start ?displayStart ;
         dsk:repeats/oa:hasSelector ?b .
  ?b oa:start ?bodyStart .
  <{pq}> dsk:repeats/oa:hasSelector/oa:exact ?exact .
  ?na oa:hasSource <{e['essay']}> ; oa:hasSelector/oa:start ?bodyStart .
  ?node dsk:anchor ?na ; a ?kind .
  VALUES ?kind {{ dsk:Claim dsk:CausalAssertion dsk:Support dsk:Attack }}
}} ORDER BY ?node"""


def _q16(e, r):
    return f"""SELECT ?viewpoint ?holder ?opposes ?stance WHERE {{
  ?viewpoint a dsk:Viewpoint ; dsk:about <{SYN}concept/{e['view_concepts'][0]}> ; dsk:heldBy ?holder ;
             dsk:opposes ?opposes ; dsk:authorStance ?stance .
}} ORDER BY ?viewpoint"""


def _q17(e, r):
    v1, v2 = e["viewpoints"]
    return f"""SELECT ?viewpoint ?causal ?cause ?polarity ?effect ?assertedBy ?modality ?stance WHERE {{
  VALUES ?viewpoint {{ <{v1}> <{v2}> }}
  ?causal a dsk:CausalAssertion ; dsk:viewpoint ?viewpoint ;
          dsk:cause ?cause ; dsk:effect ?effect ; dsk:polarity ?polarity ;
          dsk:assertedBy ?assertedBy ; dsk:modality ?modality ; dsk:authorStance ?stance .
}} ORDER BY ?viewpoint ?causal"""


def _q23(e, r):
    if not e["author_causes"]:
        return None
    return f"""SELECT ?effect ?next WHERE {{
  ?c1 dsk:cause <{SYN}concept/{r.choice(e['author_causes'])}> ; dsk:effect ?effect ;
      dsk:polarity dsk:promotes ; dsk:assertedBy <{e['author']}> .
  OPTIONAL {{ ?c2 dsk:cause ?effect ; dsk:effect ?next ; dsk:assertedBy <{e['author']}> . }}
}} ORDER BY ?effect ?next"""


def _q26(e, r):
    return f"""SELECT ?claim ?person ?description ?channel ?stance WHERE {{
  ?claim a dsk:Claim ; dsk:claimant ?person ; dsk:isDirectQuote true ; dsk:authorStance ?stance ;
         dsk:anchor/oa:hasSource <{e['essay']}> .
  ?person a dsk:Person ; dsk:anonymous true ; dsk:description ?description .
  OPTIONAL {{ ?claim dsk:citedSource ?channel }}
}} ORDER BY ?claim"""


def _c1(e, r):
    return f"""SELECT ?essay (COUNT(DISTINCT ?claim) AS ?claims) WHERE {{
  ?claim dsk:about {actor(r.choice(e['actors']))} ; dsk:anchor/oa:hasSource ?essay .
}} GROUP BY ?essay ORDER BY DESC(?claims) ?essay LIMIT 20"""


TEMPLATES = {
    "q01 claims within a view": ("01, 09", "essay", _q01),
    "q02 what happened to an actor": ("02, 19", "corpus", _q02),
    "q03 quantities, first half": ("03, 15", "essay", _q03),
    "q04 author's causal links": ("04, 11, 25", "essay", _q04),
    "q05 attacks on the views": ("05, 20", "essay", _q05),
    "q06 timeline": ("06", "essay", _q06),
    "q07 claims about an actor": ("07, 22", "corpus", _q07),
    "q08 support around the thesis": ("08, 21, 24", "essay", _q08),
    "q09 rejected views": ("09", "essay", _q09),
    "q10 direct quotes": ("10, 18", "essay", _q10),
    "q12 author on an actor": ("12", "essay", _q12),
    "q13 pull quote": ("13, 27", "essay", _q13),
    "q16 opposing views on a concept": ("16", "corpus", _q16),
    "q17 causal links within views": ("17", "essay", _q17),
    "q23 what a concept leads to": ("23", "essay", _q23),
    "q26 anonymous sources": ("26", "essay", _q26),
    "c01 essays about an actor": ("(corpus only)", "corpus", _c1),
}


def query_mix(manifest: dict, instances: int, seed: int = 7) -> list[tuple[str, str]]:
    """(template name, query) pairs: ``instances`` per template, essays picked with a fixed seed."""
    r = random.Random(seed)
    essays = manifest["essays"]
    out = []
    for name, (_, scope, build) in TEMPLATES.items():
        got, tries = 0, 0
        while got < instances and tries < instances * 20:
            tries += 1
            essay = r.choice(essays)
            q = build(essay, r)
            if q:
                if scope == "essay":  # the WHERE block's braces: the first "WHERE {" and the last "}"
                    i, j = q.index("WHERE {") + len("WHERE {"), q.rindex("}")
                    q = q[:i] + f" GRAPH <{essay['graph']}> {{" + q[i:j].rstrip() + "\n} " + q[j:]
                out.append((name, PREFIXES + q))
                got += 1
    return out


# ---------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------
def log(msg: str) -> None:
    print(msg, flush=True)


def parse_size(text: str) -> int:
    m = re.fullmatch(r"([\d.]+)\s*([kKmM]?)", text.strip())
    if not m:
        raise argparse.ArgumentTypeError(f"not a size: {text!r}")
    return int(float(m.group(1)) * {"": 1, "k": 10**3, "m": 10**6}[m.group(2).lower()])


def size_name(n: int) -> str:
    return f"{n // 10**6}M" if n % 10**6 == 0 else f"{n // 10**3}k" if n % 10**3 == 0 else str(n)


def busy_cores(seconds: float = 2.0) -> float:
    """Cores kept busy by other processes, measured before a size starts (this machine is shared)."""
    def snap():
        f = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        return sum(f), f[3] + f[4]  # total, idle + iowait
    t0, i0 = snap()
    time.sleep(seconds)
    t1, i1 = snap()
    return round((1 - (i1 - i0) / max(1, t1 - t0)) * (os.cpu_count() or 1), 2)


def du_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file()) / 1e6


def pss_mb(pid: int) -> float:
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0.0
    return int(re.search(r"^Pss:\s+(\d+)", rollup, re.M).group(1)) / 1024


def run_json(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def embedded_load(sources: list[SourceFile]) -> dict:
    """Load time and memory of the in-memory store, in a fresh process (what server start-up costs)."""
    code = f"""
import json, resource, sys, time
sys.path.insert(0, {str(ROOT / 'src')!r})
def rss():
    return int(open('/proc/self/status').read().split('VmRSS:')[1].split()[0]) / 1024
from kg.store import OxigraphStore
from kg.sources import SourceFile
base = rss()
t0 = time.perf_counter()
s = OxigraphStore.from_sources([SourceFile(p, g) for p, g in {[(str(s.path), s.graph) for s in sources]!r}])
load = time.perf_counter() - t0
print(json.dumps({{'load_s': load, 'rss_growth_mb': rss() - base,
                  'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 'quads': len(s.store)}}))
"""
    return run_json(code)


def ondisk_write(sources: list[SourceFile], path: Path) -> dict:
    code = f"""
import json, resource, sys, time
sys.path.insert(0, {str(ROOT / 'src')!r})
from kg.store import OnDiskStore
from kg.sources import SourceFile
t0 = time.perf_counter()
OnDiskStore.create({str(path)!r}, [SourceFile(p, g) for p, g in {[(str(s.path), s.graph) for s in sources]!r}], replace=True)
print(json.dumps({{'load_s': time.perf_counter() - t0, 'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""
    return run_json(code)


class Endpoint:
    """Something answering SPARQL at ``url + /sparql`` (what bench.endpoint.drive needs)."""

    def __init__(self, url: str, pids):
        self.url, self._pids = url, pids

    def pss_mb(self) -> float:
        return sum(pss_mb(p) for p in self._pids())


def group_pids(leader: int) -> list[int]:
    return [pid for pid, _ in process_group(leader)]


def sequential(ep: Endpoint, mix: list[tuple[str, str]], timeout: float = 120, budget: float = 180) -> list[dict]:
    """One pass over the mix, one request at a time: rows and latency per query (stops after ``budget`` s)."""
    out = []
    t_end = time.perf_counter() + budget
    for i, (name, q) in enumerate(mix):
        if time.perf_counter() > t_end:
            log(f"    sequential pass stopped after {budget:.0f} s, at query {i} of {len(mix)}")
            break
        url = ep.url + "/sparql?query=" + urllib.parse.quote(q)
        t = time.perf_counter()
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers={"Accept": ACCEPT}), timeout=timeout) as r:
                body = r.read()
            rows = len(json.loads(body)["results"]["bindings"])
            status = 200
        except urllib.error.HTTPError as exc:
            rows, status = None, exc.code
        except (OSError, ValueError, http.client.HTTPException) as exc:
            rows, status = None, str(exc)
        out.append({"template": name, "ms": (time.perf_counter() - t) * 1000, "rows": rows, "status": status})
    return out


def per_template(seq: list[dict]) -> dict:
    res = {}
    for name in TEMPLATES:
        ms = [x["ms"] for x in seq if x["template"] == name]
        if ms:
            res[name] = {"median_ms": statistics.median(ms), "max_ms": max(ms),
                         "rows": sum(x["rows"] or 0 for x in seq if x["template"] == name),
                         "errors": sum(1 for x in seq if x["template"] == name and x["status"] != 200)}
    return res


def measure_http(name: str, ep: Endpoint, mix, args, work: Path) -> dict:
    log(f"    {name}: sequential pass over {len(mix)} queries ...")
    seq = sequential(ep, mix)
    errors = [x for x in seq if x["status"] != 200]
    if errors:
        log(f"    {name}: {len(errors)} errors in the sequential pass, e.g. {errors[0]}")
    log(f"    {name}: wrk -t2 -c{args.connections} -d{args.duration}s ...")
    r = drive(ep, dict((f"{i}", q) for i, (_, q) in enumerate(mix)), args.duration, args.connections, work)
    r["pss_mb"] = ep.pss_mb()
    r["sequential"] = per_template(seq)
    r["seq_median_ms"] = statistics.median(x["ms"] for x in seq)
    r["rows"] = [x["rows"] for x in seq]
    r["seq_errors"] = len(errors)
    log(f"    {name}: {r['rps']:.0f} req/s, p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms, PSS {r['pss_mb']:.0f} MB, "
        f"non-2xx {r['non2xx']} {r['socket_errors']}")
    return r


class KgServer(Server):
    """``python server.py`` (gunicorn, 2 sync workers, result cache off, 30 s query limit), given up to 15 minutes to load."""

    def __init__(self, name: str, extra: list[str], env: dict | None = None):
        self.name, self.port = name, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [sys.executable, "server.py", "--bind", f"127.0.0.1:{self.port}", "--workers", "2", "--no-dump-warmup",
               "--result-cache-mb", "0", "--query-timeout", "30", "--log-level", "warning",
               "--client-queries", "0", "--client-requests", "0"] + extra  # the load comes from one address
        self.errlog = tempfile.TemporaryFile()
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=self.errlog, start_new_session=True,
                                     env={**os.environ, **(env or {})})
        try:
            wait_ready(self.url, self.proc, timeout=900)
        except RuntimeError as exc:
            self.stop()
            self.errlog.seek(0)
            raise RuntimeError(f"{exc}: {self.errlog.read().decode(errors='replace')[-800:]}") from None
        self.wall_ready_s = time.perf_counter() - t0


def kg_server(label: str, extra: list[str], env: dict | None = None) -> KgServer:
    return KgServer(label, extra, env)


def serve_and_measure(label: str, extra: list[str], mix, args, work: Path, ready_note: str = ""):
    """Start our server with ``extra`` flags, measure the mix through it, stop it: (figures, server)."""
    srv = kg_server(label, extra)
    try:
        log(f"    server ready in {srv.wall_ready_s:.2f} s {ready_note}".rstrip())
        r = measure_http(label, Endpoint(srv.url, lambda: group_pids(srv.proc.pid)), mix, args, work)
    finally:
        srv.stop()
    return r, srv


def run_size(size: int, args, work: Path) -> dict:
    log(f"\n## {size_name(size)} triples")
    path, manifest = corpus(size, seed=args.seed)
    sources = [SourceFile(path, ""), SourceFile(ONTOLOGY_FILE, ONTOLOGY_GRAPH)]
    mix = query_mix(manifest, args.instances)
    res = {"triples": manifest["triples"], "essays": len(manifest["essays"]), "corpus_mb": path.stat().st_size / 1e6,
           "queries": len(mix), "busy_cores_before": busy_cores(), "stores": {}}
    if res["busy_cores_before"] > 0.3:
        log(f"  note: {res['busy_cores_before']:.1f} of {os.cpu_count()} cores were busy with other processes before this size started")
    log(f"  corpus: {manifest['triples']:,} triples in {len(manifest['essays'])} essays ({res['corpus_mb']:.0f} MB N-Quads); "
        f"mix: {len(mix)} queries from {len(TEMPLATES)} templates")
    data_args = ["--data", str(path), "--data", f"{ONTOLOGY_FILE}={ONTOLOGY_GRAPH}"]

    if "embedded" not in args.skip:
        log("  embedded: loading in a fresh process ...")
        load = embedded_load(sources)
        log(f"    load {load['load_s']:.2f} s ({manifest['triples'] / load['load_s']:,.0f} triples/s), "
            f"RSS +{load['rss_growth_mb']:.0f} MB")
        r, srv = serve_and_measure("embedded", data_args + ["--snapshot-dir", "none"], mix, args, work, "(python start, load, fork)")
        r.update(load_s=load["load_s"], rss_growth_mb=load["rss_growth_mb"], ready_s=srv.wall_ready_s, disk_mb=None)
        res["stores"]["embedded"] = r

    if "ondisk" not in args.skip:
        d = work / f"ondisk-{size}"
        log("  on-disk: writing the RocksDB store ...")
        w = ondisk_write(sources, d)
        disk = du_mb(d)
        log(f"    written in {w['load_s']:.2f} s, {disk:.0f} MB on disk, writer peak RSS {w['peak_rss_mb']:.0f} MB")
        r, srv = serve_and_measure("on-disk", ["--store", str(d)], mix, args, work)
        r.update(load_s=w["load_s"], writer_peak_rss_mb=w["peak_rss_mb"], ready_s=srv.wall_ready_s, disk_mb=disk)
        res["stores"]["on-disk"] = r
        shutil.rmtree(d, ignore_errors=True)

    if "virtuoso" not in args.skip:
        res["stores"].update(run_virtuoso(size, manifest, sources, mix, args, work, res.setdefault("notes", [])))

    compare_rows(res)
    return res


def run_virtuoso(size: int, manifest: dict, sources, mix, args, work: Path, notes: list) -> dict:
    try:
        from testkit.virtuoso import Virtuoso, available
    except ImportError:
        log("  virtuoso: testkit.virtuoso is not there; skipped")
        return {}
    if not available():
        log("  virtuoso: not installed (apt-get install virtuoso-opensource-7); skipped")
        return {}
    out = {}
    buffers = max(20_000, min(400_000, manifest["triples"] // 25))  # 8 KiB pages: 160 MB .. 3.2 GB
    vdir = work / f"virtuoso-{size}"
    with Virtuoso(vdir, buffers=buffers) as v:
        log(f"  virtuoso: started in {v.start_seconds:.1f} s ({buffers:,} buffers = {buffers * 8 / 1024:.0f} MB); bulk loading ...")
        t0 = time.perf_counter()
        for s in sources:
            v.bulk_load(s.path, s.graph or "https://w3id.org/deepseek-kg/graph/synthetic")
        load_s = time.perf_counter() - t0
        v.bulk_load(write_load_record(manifest, work / f"load-record-{size}.nq"), "urn:x-kg:unused")
        disk = du_mb(vdir / "db")
        count = v.isql("SPARQL SELECT COUNT(*) WHERE { GRAPH ?g { ?s ?p ?o } };").split()
        log(f"    loaded in {load_s:.2f} s ({count[-1] if count else '?'} quads), {disk:.0f} MB on disk, "
            f"RSS {pss_mb(v.proc.pid):.0f} MB")
        vep = Endpoint(v.base, lambda: [v.proc.pid])
        wait_ready(v.base, v.proc)
        if importlib.util.find_spec("kg.remote") is None:
            log("    kg -> virtuoso: kg.remote is not there yet; skipped")
        else:
            # one graph per essay: name none of them in each request (union="engine", see docs/scaling.md)
            env = {"KG_STORE_OPTIONS": json.dumps({"union": "engine"})}
            try:
                srv = kg_server("kg -> virtuoso", ["--store", v.sparql_url], env)
            except RuntimeError as exc:
                log(f"    kg -> virtuoso: our server did not start ({exc}); skipped")
                last = [x for x in str(exc).strip().splitlines() if x.strip()][-1:] or ["?"]
                notes.append(f"kg -> virtuoso: our server did not start: {last[0].strip()[:300]}")
                srv = None
            if srv:
                try:
                    r = measure_http("kg -> virtuoso", Endpoint(srv.url, lambda: group_pids(srv.proc.pid)), mix, args, work)
                finally:
                    srv.stop()
                r.update(load_s=load_s, disk_mb=disk, ready_s=srv.wall_ready_s, virtuoso_pss_mb=vep.pss_mb(),
                         union="engine")
                out["kg -> virtuoso"] = r
        r = measure_http("virtuoso", vep, mix, args, work)
        r.update(load_s=load_s, disk_mb=disk, ready_s=v.start_seconds, buffers=buffers)
        out["virtuoso"] = r
    shutil.rmtree(vdir, ignore_errors=True)
    return out


def write_load_record(manifest: dict, path: Path) -> Path:
    """The load record ``kg load --to URL`` would write (kg.remote reads it to learn our graphs): the
    corpus is bulk-loaded with Virtuoso's own loader instead, 10M triples being too many for SPARQL Update."""
    from kg.remote import LOAD_RECORD
    sd, void = "http://www.w3.org/ns/sparql-service-description#", "http://rdfs.org/ns/void#"
    rec = f"<{LOAD_RECORD}>"
    lines = [f'{rec} <http://purl.org/dc/terms/modified> "{time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}"'
             f'^^<http://www.w3.org/2001/XMLSchema#dateTime> {rec} .']
    import pyoxigraph as ox
    ontology = sum(1 for _ in ox.parse(path=str(ONTOLOGY_FILE), format=ox.RdfFormat.TURTLE))
    graphs = [(e["graph"], e["triples"]) for e in manifest["essays"]] + [(ONTOLOGY_GRAPH, ontology)]
    for i, (g, n) in enumerate(graphs):
        lines.append(f"{rec} <{sd}namedGraph> _:ng{i} {rec} .")
        lines.append(f"_:ng{i} <{sd}name> <{g}> {rec} .")
        if n is not None:
            lines.append(f"_:ng{i} <{sd}graph> _:gd{i} {rec} .")
            lines.append(f'_:gd{i} <{void}triples> "{n}"^^<http://www.w3.org/2001/XMLSchema#integer> {rec} .')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def compare_rows(res: dict) -> None:
    """Do the stores give the same number of rows for each query? (Virtuoso as served and as proxied.)"""
    stores = res["stores"]
    names = list(stores)
    if len(names) < 2:
        return
    ref = names[0]
    for other in names[1:]:
        diff = [i for i, (a, b) in enumerate(zip(stores[ref]["rows"], stores[other]["rows"])) if a != b]
        stores[other]["rows_differ_from_" + ref] = len(diff)
        if diff:
            log(f"  rows: {other} differs from {ref} on {len(diff)} of {len(stores[ref]['rows'])} queries "
                f"(e.g. query #{diff[0]}: {stores[ref]['rows'][diff[0]]} vs {stores[other]['rows'][diff[0]]})")
        else:
            log(f"  rows: {other} gives the same row counts as {ref} on all {len(stores[ref]['rows'])} queries")


# ---------------------------------------------------------------------------------------------
# Reporting
# ---------------------------------------------------------------------------------------------
def fmt(v, spec=".1f", none="—"):
    return none if v is None else format(v, spec)


def report(results: dict) -> list[str]:
    lines = []
    sizes = sorted(results["sizes"], key=int)
    base = sizes[0]
    for size in sizes:
        r = results["sizes"][size]
        lines.append(f"\n### {size_name(int(size))} triples ({r['triples']:,} in {r['essays']} essays, {r['corpus_mb']:.0f} MB N-Quads; "
                     f"{r.get('busy_cores_before', 0):.1f} cores busy with other work before the size started)")
        lines.append("| store | load s | ready s | memory MB (PSS) | disk MB | req/s | p50 ms | p99 ms | non-2xx |")
        lines.append("|---|---|---|---|---|---|---|---|---|")
        for name in STORES:
            s = r["stores"].get(name)
            if not s:
                continue
            mem = s["pss_mb"] + (s.get("virtuoso_pss_mb") or 0) if name == "kg -> virtuoso" else s["pss_mb"]
            lines.append(f"| {name} | {fmt(s.get('load_s'), '.2f')} | {fmt(s.get('ready_s'), '.2f')} | {mem:,.0f} | "
                         f"{fmt(s.get('disk_mb'), ',.0f')} | {s['rps']:,.0f} | {s['p50']:.1f} | {s['p99']:.1f} | {s['non2xx']} |")
        for note in r.get("notes", []):
            lines.append(f"- note: {note}")
    lines.append(f"\n### Growth with size (ratio to the {size_name(int(base))} row of the same run)")
    lines.append("| store | size | triples | load | memory | p50 | p99 | req/s |")
    lines.append("|---|---|---|---|---|---|---|---|")
    for name in STORES:
        b = results["sizes"][base]["stores"].get(name)
        if not b:
            continue
        for size in sizes[1:]:
            s = results["sizes"][size]["stores"].get(name)
            if not s:
                continue
            tr = results["sizes"][size]["triples"] / results["sizes"][base]["triples"]
            lines.append(f"| {name} | {size_name(int(size))} | x{tr:.1f} | x{s['load_s'] / b['load_s']:.1f} | "
                         f"x{s['pss_mb'] / b['pss_mb']:.1f} | x{s['p50'] / b['p50']:.1f} | x{s['p99'] / b['p99']:.1f} | "
                         f"x{s['rps'] / b['rps']:.2f} |")
    lines.append("\n### Latency per query kind (median of the sequential pass, ms; one request at a time)")
    cols = [(size, name) for size in sizes for name in STORES if results["sizes"][size]["stores"].get(name)]
    lines.append("| query | scope | " + " | ".join(f"{n} {size_name(int(s))}" for s, n in cols) + " |")
    lines.append("|---|---|" + "---|" * len(cols))
    for t, (_, scope, _) in TEMPLATES.items():
        cells = []
        for s, n in cols:
            x = results["sizes"][s]["stores"][n]["sequential"].get(t)
            cells.append(fmt(x and x["median_ms"]))
        lines.append(f"| {t} | {scope} | " + " | ".join(cells) + " |")
    return lines


def targets(results: dict) -> list[str]:
    out = []
    one_m = next((s for s in results["sizes"] if 900_000 <= int(s) <= 1_100_000), None)
    r = results["sizes"].get(one_m, {}).get("stores", {}) if one_m else {}
    e = r.get("embedded")
    if e:
        out.append(f"{'PASS' if e['load_s'] < 10 else 'FAIL'}: 1M triples loaded into the embedded store in "
                   f"{e['load_s']:.2f} s (target < 10 s)")
        out.append(f"{'PASS' if e['p99'] < 100 else 'FAIL'}: competency mix at 1M triples on the embedded store, "
                   f"p99 {e['p99']:.1f} ms (target < 100 ms)")
    else:
        out.append("NOT RUN: the embedded-store targets need the 1M size")
    for s in sorted(results["sizes"], key=int):
        st = results["sizes"][s]["stores"]
        if "kg -> virtuoso" in st and "virtuoso" in st:
            d = st["kg -> virtuoso"]["p50"] - st["virtuoso"]["p50"]
            flag = ("PASS" if d < 5 else "FAIL") if s == one_m else "(info)"
            out.append(f"{flag}: at {size_name(int(s))}, our server in front of Virtuoso adds {d:+.1f} ms to Virtuoso's "
                       f"own p50 ({st['kg -> virtuoso']['p50']:.1f} vs {st['virtuoso']['p50']:.1f} ms; target < 5 ms)")
            if "seq_median_ms" in st["virtuoso"] and "seq_median_ms" in st["kg -> virtuoso"]:
                a, c = st["virtuoso"]["seq_median_ms"], st["kg -> virtuoso"]["seq_median_ms"]
                out.append(f"    one request at a time (median over the mix): Virtuoso {a:.1f} ms, through our server "
                           f"{c:.1f} ms ({c - a:+.1f} ms: our server's own share)")
    if not any("Virtuoso" in x for x in out):
        out.append("NOT RUN: our server in front of Virtuoso (needs kg.remote and Virtuoso)")
    return out


def _crossing(points: list[tuple[float, float]], limit: float) -> float | None:
    """The size where a measured figure first passes ``limit``, interpolated on log-log axes
    between the last size under it and the first over it (None if it never passes)."""
    import math
    for (n1, m1), (n2, m2) in zip(points, points[1:]):
        if m1 <= limit < m2:
            f = (math.log(limit) - math.log(m1)) / (math.log(m2) - math.log(m1))
            return n1 * (n2 / n1) ** f
    if points and points[0][1] > limit:
        return points[0][0]
    return None


def verdict(results: dict, ram_mb: float) -> list[str]:
    """Where the embedded store stops being the right choice, from the measurements."""
    rows = [(results["sizes"][s]["triples"], results["sizes"][s]["stores"]) for s in sorted(results["sizes"], key=int)]
    rows = [(n, st) for n, st in rows if "embedded" in st]
    nominal = {results["sizes"][s]["triples"]: size_name(int(s)) for s in results["sizes"]}
    if not rows:
        return []
    limits = {  # what makes the embedded store the wrong choice, and the limit
        "restart (server start to first answer)": ("ready_s", 10.0, "s"),
        "memory of the serving processes": ("pss_mb", ram_mb / 4, "MB"),
        "p99 of the mix under load": ("p99", 100.0, "ms"),
    }
    out, crossings = [], []
    for what, (key, limit, unit) in limits.items():
        pts = [(n, st["embedded"][key]) for n, st in rows]
        x = _crossing(pts, limit)
        seen = ", ".join(f"{v:,.1f} {unit} at {nominal[n]}" for n, v in pts)
        if x is None:
            out.append(f"  {what}: stays under {limit:,.0f} {unit} up to the largest size ({seen})")
        else:
            crossings.append((x, what, limit, unit))
            out.append(f"  {what}: passes {limit:,.0f} {unit} at about {x / 1e6:.1f}M triples ({seen})")
    for n, st in rows:
        e, d = st["embedded"], st.get("on-disk")
        if d:
            out.append(f"  at {nominal[n]}: on-disk store ready in "
                       f"{d['ready_s']:.1f} s vs {e['ready_s']:.1f} s, memory {d['pss_mb']:,.0f} vs {e['pss_mb']:,.0f} MB, "
                       f"p99 {d['p99']:,.0f} vs {e['p99']:,.0f} ms, {d['rps']:,.0f} vs {e['rps']:,.0f} req/s")
    if crossings:
        x, what, limit, unit = min(crossings)
        out.insert(0, f"VERDICT: the embedded store stops being the right choice at about {x / 1e6:.1f}M triples "
                      f"(about {x / (rows[-1][0] / max(1, results['sizes'][max(results['sizes'], key=int)]['essays'])):,.0f} "
                      f"essays of this shape), where its {what} passes {limit:,.0f} {unit}; the other limits follow:")
    else:
        out.insert(0, "VERDICT: the embedded store stays within every limit up to the largest size measured.")
    return out


def chart(results: dict, path: Path) -> None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("(no chart: pip install -e '.[bench]' for matplotlib)")
        return
    sizes = sorted(results["sizes"], key=int)
    colours = {"embedded": "#1f77b4", "on-disk": "#ff7f0e", "kg -> virtuoso": "#2ca02c", "virtuoso": "#7f7f7f"}
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.6))
    for name in STORES:
        xs = [results["sizes"][s]["triples"] for s in sizes if name in results["sizes"][s]["stores"]]
        if not xs:
            continue
        st = [results["sizes"][s]["stores"][name] for s in sizes if name in results["sizes"][s]["stores"]]
        c = colours[name]
        axes[0].plot(xs, [x["p50"] for x in st], "o-", color=c, label=f"{name} p50")
        axes[0].plot(xs, [x["p99"] for x in st], "s--", color=c, label=f"{name} p99")
        if name != "kg -> virtuoso":
            label = {"embedded": "embedded (parse into memory)", "on-disk": "on-disk (write RocksDB)",
                     "virtuoso": "Virtuoso (bulk load)"}[name]
            axes[1].plot(xs, [x["load_s"] for x in st], "o-", color=c, label=label)
            axes[1].plot(xs, [x["ready_s"] for x in st], "s--", color=c, label=f"{name}: server start to first answer")
            mem = [x["pss_mb"] for x in st]
            axes[2].plot(xs, mem, "o-", color=c, label=f"{name} (memory, PSS)")
            if name != "embedded":
                axes[2].plot(xs, [x["disk_mb"] for x in st], "^:", color=c, label=f"{name} (disk)")
    axes[0].axhline(100, color="red", lw=0.8, ls=":")
    axes[0].text(xs[0] if xs else 1e5, 105, "p99 target at 1M: 100 ms", color="red", fontsize=8)
    axes[1].axhline(10, color="red", lw=0.8, ls=":")
    axes[1].text(xs[0] if xs else 1e5, 10.5, "embedded target at 1M: 10 s", color="red", fontsize=8)
    titles = ("competency mix over HTTP (wrk, 8 connections)", "load (solid) and restart (dashed)", "memory of the serving processes / disk")
    ylabels = ("latency (ms)", "seconds", "MB")
    for ax, t, yl in zip(axes, titles, ylabels):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("triples")
        ax.set_ylabel(yl)
        ax.set_title(t, fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(f"deepseek-kg endpoint on a corpus of synthetic essays ({os.cpu_count()} cores; bench/scale.py)", fontsize=11)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    log(f"chart: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def versions() -> dict:
    import pyoxigraph
    out = {"python": platform.python_version(), "pyoxigraph": pyoxigraph.__version__, "cores": os.cpu_count()}
    try:
        out["wrk"] = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("\n")[0][:40]
    except OSError:
        pass
    try:
        v = subprocess.run(["virtuoso-t", "-?"], capture_output=True, text=True)
        m = re.search(r"Version (\S+)", v.stdout + v.stderr)
        out["virtuoso"] = m.group(1) if m else None
    except OSError:
        pass
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default="100k,1M,10M", help="comma list of triple counts, e.g. 100k,1M,10M")
    p.add_argument("--duration", type=int, default=8, help="seconds of wrk per store and size (default 8)")
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--instances", type=int, default=10, help="queries per template (different essays/actors)")
    p.add_argument("--skip", default="", help="comma list of: embedded,ondisk,virtuoso")
    p.add_argument("--seed", type=int, default=2025, help="corpus seed")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "scale.json")
    p.add_argument("--chart", type=Path, default=ROOT / "docs" / "img" / "scale.png")
    p.add_argument("--workdir", type=Path, help="for stores (default: a temporary directory)")
    args = p.parse_args(argv)
    args.skip = {x.strip() for x in args.skip.split(",") if x.strip()}

    def stop(signum, frame):  # SIGTERM/SIGINT: unwind, so the servers started so far are stopped
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if not shutil.which("wrk"):
        print("needs wrk: apt-get install wrk", file=sys.stderr)
        return 2
    sizes = [parse_size(x) for x in args.sizes.split(",") if x.strip()]
    ram_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20
    results = {"when": time.strftime("%Y-%m-%d %H:%M"), "versions": versions(), "ram_mb": round(ram_mb),
               "params": {"duration_s": args.duration, "connections": args.connections, "instances": args.instances,
                          "workers": 2, "result_cache": "off", "seed": args.seed},
               "templates": {k: {"competency": v[0], "scope": v[1]} for k, v in TEMPLATES.items()}, "sizes": {}}
    t_start = time.perf_counter()
    tmp = None
    if args.workdir:
        work = args.workdir
        work.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="kg-scale-")
        work = Path(tmp.name)
    try:
        for size in sizes:
            results["sizes"][str(size)] = run_size(size, args, work)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(results, indent=1))  # after each size: a crash keeps what was measured
    finally:
        if tmp:
            tmp.cleanup()
    results["seconds"] = round(time.perf_counter() - t_start)
    lines = report(results)
    lines += ["", "### Targets"] + targets(results)
    lines += ["", "### Where the embedded store stops being right"] + verdict(results, ram_mb)
    results["report"] = lines
    args.out.write_text(json.dumps(results, indent=1))
    print("\n".join(lines))
    log(f"\nresults: {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}; "
        f"total {results['seconds']} s")
    chart(results, args.chart)
    return 0


if __name__ == "__main__":
    sys.exit(main())
