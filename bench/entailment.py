"""What keeping the inferred graph current costs a curated write, on the bundled graph (issue 17).

    python bench/entailment.py [--repeat 20]

In one run: the full closure of the bundled graph (the baseline: what every write would cost if
the inferred graph were recomputed), then :func:`kg.entailment.update` after each kind of write a
curator makes, applied to the same in-memory store and undone again, and a whole
``CuratedStore.write`` of the first kind without its shapes check (the rest of the write path).
Prints medians in milliseconds and each as a share of the full closure. Asserts nothing.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from kg import entailment as E  # noqa: E402
from kg.changes import ChangeSet, Update  # noqa: E402
from kg.curated import CuratedStore  # noqa: E402
from kg.sources import ESSAY_GRAPH, ONTOLOGY_GRAPH  # noqa: E402
from kg.store import OxigraphStore  # noqa: E402

DS, DSK = "https://w3id.org/deepseek-kg/id/", "https://w3id.org/deepseek-kg/ontology#"
RDF_TYPE, RDFS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", "http://www.w3.org/2000/01/rdf-schema#"
N = ox.NamedNode
ESSAY, ONTO = N(ESSAY_GRAPH), N(ONTOLOGY_GRAPH)


def q(s, p, o, g=ESSAY) -> ox.Quad:
    return ox.Quad(N(s), N(p), o if not isinstance(o, str) else N(o), g)


def writes(store: ox.Store) -> dict[str, tuple[list, list]]:
    """Kinds of write, each as (removed, added) quads that apply to ``store``."""
    claim = DS + "claim-bench"
    new_claim = [q(claim, RDF_TYPE, DSK + "Claim"), q(claim, DSK + "claimant", DS + "author"),
                 q(claim, DSK + "about", DS + "deepseek"), q(claim, DSK + "about", DS + "nvidia"),
                 q(claim, DSK + "authorStance", DSK + "endorses"), q(claim, DSK + "statement", ox.Literal("x")),
                 q(claim, RDFS + "label", ox.Literal("a claim", language="en"))]
    actor_type = [x for x in store.quads_for_pattern(N(DS + "deepseek"), N(RDF_TYPE), None, ESSAY)]
    participation = next(iter(store.quads_for_pattern(None, N(DSK + "participant"), None, ESSAY)))
    rnd = random.Random(17)
    essay = sorted(store.quads_for_pattern(None, None, None, ESSAY), key=str)
    axiom = q(DSK + "Company", RDFS + "subClassOf", DSK + "Organization", ONTO)
    return {
        "add a claim (7 triples: type, claimant, 2x about, stance, statement, label)": ([], new_claim),
        "remove an actor's type (DeepSeek a dsk:Company)": (actor_type, []),
        "remove a participant (the property chain's second link)": ([participation], []),
        "remove 20 random essay triples": (rnd.sample(essay, 20), []),
        "remove an axiom (Company subClassOf Organization): full recompute": ([axiom], []),
    }


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=20)
    args = p.parse_args(argv)
    base = OxigraphStore.from_sources()
    store = base.store
    schema = E.Schema.from_store(store)
    inferred = store.quads_for_pattern(None, None, None, N(E.INFERRED_GRAPH))
    print(f"bundled graph: {len(store):,} quads, inferred graph {sum(1 for _ in inferred):,} triples")
    full = timed(lambda: E.materialize(store), max(3, args.repeat // 4))
    print(f"\n{'write':<78} {'ms':>8} {'of full':>8}  inferred -/+")
    print(f"{'full closure (the baseline: recompute the inferred graph)':<78} {full:8.2f} {1:8.1%}")
    for name, (removed, added) in writes(store).items():
        counts = []

        def once():
            for x in removed:
                store.remove(x)
            store.extend(added)
            out = E.update(store, schema, removed, added)
            counts.append((len(out.removed), len(out.added)))
            for x in added:  # undo, outside the timing of the next round's update but inside this one's
                store.remove(x)
            store.extend(removed)
            E.update(store, out.schema, added, removed)
        ms = timed(once, args.repeat) / 2  # each round runs update() twice (the write and its undo)
        print(f"{name:<78} {ms:8.2f} {ms / full:8.1%}  {counts[0][0]}/{counts[0][1]}")
    with tempfile.TemporaryDirectory() as tmp:  # the rest of a write, shapes check left out
        cur = CuratedStore(Path(tmp) / "state", writable_prefix="")
        text = "PREFIX ds: <%s> PREFIX dsk: <%s> INSERT DATA { GRAPH <%s> { ds:claim-bench-%%d a dsk:Claim ; " \
               "dsk:claimant ds:author ; dsk:about ds:deepseek } }" % (DS, DSK, ESSAY_GRAPH)
        n, spent = [0], []

        def write():
            n[0] += 1
            update = text % n[0]
            cur.write(ChangeSet("SPARQL Update", update, [Update(update, None)]), agent="bench")
            spent.append(cur.last_entailment.seconds * 1000)
        whole = timed(write, args.repeat)
        print(f"\nCuratedStore.write of a 3-triple claim, no shapes check: {whole:.1f} ms, of which the inferred "
              f"graph {statistics.median(spent):.2f} ms ({statistics.median(spent) / whole:.1%})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
