"""How N workers share one store, and how fast a large store restarts (issue 14, items 4 and 6).

    python bench/sharing.py [--size 1M] [--workers 4] [--duration 10] [--skip load-after-fork,...]

On a corpus of essay-shaped graphs (bench/corpus.py, cached in bench/.corpus/), each way of
serving it with ``--workers`` workers is started in turn and driven by the same wrk run over the
corpus query mix (bench/scale.py): start-up to the first answer (a restart: the corpus or store is
already on disk), throughput, latency, and the memory of all the server's processes as PSS (from
/proc/PID/smaps_rollup: pages shared between processes are counted once, split between them)
after the run. The ways:

- ``preload-fork``: the in-memory store loaded once in gunicorn's master, workers forked from it
  (copy-on-write); how the server ran before;
- ``load-after-fork``: every worker loads its own in-memory store (gunicorn without preload);
- ``threads``: one worker process with ``--workers`` threads, queries in killable query
  processes forked from it (the time limit needs a process to kill);
- ``threads-no-limit``: the same with queries run in the worker's threads (pyoxigraph releases
  the GIL while it evaluates), no time limit: one copy, but a runaway query cannot be stopped;
- ``on-disk``: the store written once to disk (``kg load --to DIR``, timed) and opened read-only
  by every process (``--store DIR``): the operating system's page cache is the one shared copy;
- ``snapshot``: ``--data`` with ``--snapshot-dir``: the server makes that on-disk store itself on
  its first start and reuses it on every restart (what the targets are measured on).

"One store" is the memory of one process holding the in-memory store (the Python process after
loading: interpreter, libraries and store). Targets: total PSS with ``--workers`` workers at most
1.5x one store; a restart ready in at most 3 s. Prints a table and writes bench/results/sharing.json.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from bench.corpus import corpus  # noqa: E402
from bench.endpoint import Server, drive  # noqa: E402
from bench.scale import busy_cores, du_mb, group_pids, parse_size, pss_mb, query_mix, run_json  # noqa: E402
from kg.sources import ONTOLOGY_FILE, ONTOLOGY_GRAPH  # noqa: E402

WAYS = ["preload-fork", "load-after-fork", "threads", "threads-no-limit", "on-disk", "snapshot"]


def one_store(paths: list[tuple[str, str]]) -> dict:
    """A fresh process that loads the in-memory store and runs a query over it: its memory."""
    code = f"""
import json, re, sys, time
sys.path.insert(0, {str(ROOT / 'src')!r})
from kg.store import OxigraphStore
from kg.sources import SourceFile
import kg.web  # what a server process imports besides the store
def pss():
    return int(re.search(r"^Pss:\\s+(\\d+)", open('/proc/self/smaps_rollup').read(), re.M).group(1)) / 1024
before = pss()
t0 = time.perf_counter()
s = OxigraphStore.from_sources([SourceFile(p, g) for p, g in {paths!r}])
load = time.perf_counter() - t0
list(s.query("SELECT (COUNT(*) AS ?n) {{ ?s ?p ?o }}"))
print(json.dumps({{"load_s": load, "process_mb": pss(), "store_mb": pss() - before, "quads": len(s.store)}}))
"""
    return run_json(code)


def worker_app():
    """gunicorn without preload: each worker builds its app, so each loads its own store."""
    from kg.sources import SourceFile
    from kg.web import create_app
    paths = json.loads(os.environ["KG_BENCH_SHARING_DATA"])
    return create_app({"SOURCES": [SourceFile(p, g) for p, g in paths], "RESULT_CACHE_MB": 0, "SNAPSHOT_DIR": "none",
                       "QUERY_TIMEOUT": 30, "QUERY_PROCESSES": 1, "QUERY_ISOLATION": "worker"})


def serve(way: str, data_args: list[str], workers: int, paths, work: Path) -> Server:
    py = sys.executable
    common = ["--bind", "127.0.0.1:{port}", "--no-dump-warmup", "--result-cache-mb", "0", "--query-timeout", "30",
              "--log-level", "warning"]
    kg = [py, str(ROOT / "server.py")] + common
    memory = ["--snapshot-dir", "none"]  # the in-memory store, whatever the size
    if way == "preload-fork":
        cmd = kg + memory + ["--workers", str(workers)] + data_args
    elif way == "threads":
        cmd = kg + memory + ["--workers", "1", "--threads", str(workers)] + data_args
    elif way == "threads-no-limit":
        cmd = [c if c != "30" else "0" for c in kg] + memory + ["--workers", "1", "--threads", str(workers)] + data_args
    elif way == "on-disk":
        cmd = kg + ["--workers", str(workers), "--store", str(work / "ondisk")]
    elif way == "snapshot":
        cmd = kg + ["--workers", str(workers), "--snapshot-dir", str(work / "snapshots")] + data_args
    elif way == "load-after-fork":
        cmd = [py, "-m", "gunicorn", "-w", str(workers), "-k", "sync", "-b", "127.0.0.1:{port}", "--timeout", "600",
               "--log-level", "warning", "bench.sharing:worker_app()"]
        os.environ["KG_BENCH_SHARING_DATA"] = json.dumps(paths)
    else:
        raise ValueError(way)
    t0 = time.perf_counter()
    s = Server(way, cmd)
    s.wall_ready_s = time.perf_counter() - t0
    return s


def measure(way: str, data_args, workers: int, paths, mix: dict, args, work: Path) -> dict:
    if way == "snapshot":  # the first start makes the snapshot; the one measured is a restart
        first = serve(way, data_args, workers, paths, work)
        first_s = first.wall_ready_s
        first.stop()
    s = serve(way, data_args, workers, paths, work)
    try:
        r = drive(s, mix, args.duration, args.connections, work)
        procs = group_pids(s.proc.pid)
        r["pss_mb"] = sum(pss_mb(p) for p in procs)
        r["processes"] = len(procs)
        r["ready_s"] = round(s.wall_ready_s, 2)
        if way == "snapshot":
            r["first_start_s"] = round(first_s, 2)
    finally:
        s.stop()
    return r


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--size", type=parse_size, default=parse_size("1M"))
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--duration", type=int, default=10)
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--instances", type=int, default=3, help="queries per template in the mix")
    p.add_argument("--seed", type=int, default=2025)
    p.add_argument("--skip", default="", help=f"comma list of: {', '.join(WAYS)}")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "sharing.json")
    args = p.parse_args(argv)
    path, manifest = corpus(args.size, seed=args.seed)
    paths = [(str(path), ""), (str(ONTOLOGY_FILE), ONTOLOGY_GRAPH)]
    data_args = ["--data", str(path), "--data", f"{ONTOLOGY_FILE}={ONTOLOGY_GRAPH}"]
    mix = {f"{i}": q for i, (_, q) in enumerate(query_mix(manifest, args.instances))}
    work = Path(tempfile.mkdtemp(prefix="kg-sharing-"))
    out = {"triples": manifest["triples"], "workers": args.workers, "busy_cores_before": busy_cores(),
           "load_average": os.getloadavg()[0], "ways": {}}
    try:
        base = one_store(paths)
        out["one_store"] = base
        print(f"{manifest['triples']:,} triples; one store: a process of {base['process_mb']:.0f} MB "
              f"(the store itself {base['store_mb']:.0f} MB), loaded in {base['load_s']:.1f} s; "
              f"{out['busy_cores_before']:.1f} cores busy before, load average {out['load_average']:.1f}", flush=True)
        if "on-disk" not in args.skip:
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "kg.cli", "load", "--to", str(work / "ondisk")] +
                           [a for a in data_args], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
            out["ondisk_write_s"], out["ondisk_mb"] = round(time.perf_counter() - t0, 1), round(du_mb(work / "ondisk"))
            print(f"on-disk store written in {out['ondisk_write_s']} s, {out['ondisk_mb']} MB", flush=True)
        for way in [w for w in WAYS if w not in args.skip.split(",")]:
            r = measure(way, data_args, args.workers, paths, mix, args, work)
            r["vs_one_store"] = round(r["pss_mb"] / base["process_mb"], 2)
            out["ways"][way] = r
            print(f"{way:17s} ready {r['ready_s']:6.2f} s  {r['rps']:7.1f} req/s  p50 {r['p50']} ms  p99 {r['p99']} ms  "
                  f"PSS {r['pss_mb']:6.0f} MB in {r['processes']} processes = {r['vs_one_store']:.2f}x one store  "
                  f"non-2xx {r['non2xx']}" + (f"  (first start {r['first_start_s']} s)" if "first_start_s" in r else ""),
                  flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for way, r in out["ways"].items():
        print(f"  {way:17s} memory {'PASS' if r['vs_one_store'] <= 1.5 else 'FAIL'} (<= 1.5x one store), "
              f"restart {'PASS' if r['ready_s'] <= 3 else 'FAIL'} (<= 3 s)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
