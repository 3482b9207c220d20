"""Full-text search in SPARQL at corpus scale: the index against brute-force scans, in one run (issue 17).

    python bench/text_search.py [--size 1000000] [--repeat 7]

Loads the synthetic corpus of ``bench/corpus.py`` (``--size`` triples) into the in-memory store,
builds the full-text index (:mod:`kg.search`: time and the process's memory before and after), then
runs each query through the endpoint's own path (``create_app`` on that store, Flask test client,
no HTTP, result cache off) four ways:

- ``text:search``: the magic property, answered from the index (rewritten into VALUES), ranked;
- ``text:matches``: the per-row function in a FILTER over every label, statement and quote;
- ``REGEX``: the brute-force baseline, a case-insensitive whole-word regular expression per literal;
- ``CONTAINS``: the cheapest brute force, ``CONTAINS(LCASE(?v), "word")`` (substrings: not words).

Each prints its median latency over ``--repeat`` runs, the rows it found and its ratio to
``text:search``. The machine is shared: compare ratios, not times across runs. Asserts nothing.
"""
from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from bench.corpus import corpus  # noqa: E402
from kg import search  # noqa: E402
from kg.store import OxigraphStore  # noqa: E402
from kg.web import create_app  # noqa: E402

P = ("PREFIX text: <https://w3id.org/deepseek-kg/text#> PREFIX dsk: <https://w3id.org/deepseek-kg/ontology#> "
     "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> PREFIX oa: <http://www.w3.org/ns/oa#> "
     "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> PREFIX dcterms: <http://purl.org/dc/terms/> ")
#: the literals the index holds (kg.search.SOURCES), for the brute-force scans to read the same
FIELDS = " | ".join(f"({p})" for p in search.SOURCES.values())
#: (query words, why this query)
QUERIES = [("distillation", "one word, in about a tenth of the essays"),
           ("benchmark gaming", "two words, often together"),
           ("Genovia ministry", "two words, rarely together"),
           ("inevitable", "a common word"),
           ("quokka", "no hits")]


def rss_mb() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4096 / 2**20


def ways(words: str) -> dict[str, str]:
    first = words.split()[0].lower()
    where = f"?s {FIELDS} ?v FILTER(isIRI(?s) && isLiteral(?v)"
    return {
        "text:search (index)": f'SELECT ?s ?score {{ (?s ?score) text:search "{words}" }} ORDER BY DESC(?score) LIMIT 10',
        "text:matches (per row)": f'SELECT DISTINCT ?s {{ {where} && text:matches(?v, "{words}")) }}',
        "REGEX (brute force)": "SELECT DISTINCT ?s { " + where + " && " + " && ".join(
            f'REGEX(?v, "\\\\b{w}\\\\b", "i")' for w in words.split()) + ") }",
        "CONTAINS (brute force)": "SELECT DISTINCT ?s { " + where + " && " + " && ".join(
            f'CONTAINS(LCASE(?v), "{w.lower()}")' for w in words.split()) + ") }",
        "text:search, all hits": f'SELECT ?s ?score {{ (?s ?score) text:search "{words}" }}',
    } if first else {}


def run(client, query: str) -> tuple[float, int]:
    t0 = time.perf_counter()
    r = client.get("/sparql", query_string={"query": P + query}, headers={"Accept": "application/sparql-results+json"})
    took = time.perf_counter() - t0
    if r.status_code != 200:
        raise RuntimeError(f"{r.status_code}: {r.data[:300]!r}")
    return took, len(r.get_json()["results"]["bindings"])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=1_000_000)
    p.add_argument("--repeat", type=int, default=7)
    args = p.parse_args(argv)
    path, manifest = corpus(args.size)
    t0 = time.perf_counter()
    store = OxigraphStore()  # the corpus alone: no ontology graph, so no inferred graph either
    store.store.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS)
    print(f"corpus: {len(store.store):,} quads, {len(manifest['essays'])} essays, loaded in {time.perf_counter() - t0:.1f} s")
    app = create_app({"STORE": store, "QUERY_TIMEOUT": 0, "RESULT_CACHE_MB": 0, "TESTING": True,
                      "TEXT_MAX_HITS": 1000})
    state = app.extensions["kg"]
    gc.collect()
    before = rss_mb()
    t0 = time.perf_counter()
    index = state.search_index()
    built = time.perf_counter() - t0
    gc.collect()
    postings = sum(x.docs.nbytes + x.weight.nbytes + x.best.nbytes for x in index.postings.values())
    print(f"index: {len(index):,} documents, {len(index.postings):,} words, built in {built:.1f} s; "
          f"process memory +{rss_mb() - before:.0f} MB (postings {postings / 2**20:.1f} MB)")
    client = app.test_client()
    print(f"\n{'query':<22} {'way':<24} {'median ms':>10} {'rows':>7} {'x text:search':>14}")
    for words, why in QUERIES:
        base = None
        for name, q in ways(words).items():
            times, rows = [], 0
            for _ in range(args.repeat if "brute" not in name and "per row" not in name else max(3, args.repeat // 2)):
                took, rows = run(client, q)
                times.append(took * 1000)
            ms = statistics.median(times)
            base = base or ms
            print(f"{words:<22} {name:<24} {ms:10.1f} {rows:7,} {ms / base:14.1f}")
        print(f"{'':<22} ({why})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
