"""Synthetic essay-shaped graphs: actors, claims quoting the essay, events with dates and
quantities, and causal assertions in cyclic chains. ``python bench/synthetic.py N OUT.nt``."""
from __future__ import annotations

import random
import sys
from pathlib import Path

EX = "https://w3id.org/deepseek-kg/"
DSK, DS = EX + "ontology#", EX + "id/"
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
XSD = "http://www.w3.org/2001/XMLSchema#"
WORDS = ("model chip export control open weights price training compute lab market reasoning benchmark "
         "distillation data center energy policy censorship truth narrative investor hype scaling").split()


def generate(n_triples: int, seed: int = 7):
    """Yield N-Triples lines, about ``n_triples`` of them."""
    rnd = random.Random(seed)
    n_actors = max(10, n_triples // 100)
    count = 0
    for i in range(n_actors):
        a = f"<{DS}actor/{i}>"
        yield f'{a} {RDF_TYPE} <{DSK}{"Person" if i % 3 else "Organization"}> .'
        yield f'{a} {LABEL} "Actor {i}"@en .'
        count += 2
    i = 0
    while count < n_triples:
        c, e = f"<{DS}claim/{i}>", f"<{DS}event/{i}>"
        actor = f"<{DS}actor/{rnd.randrange(n_actors)}>"
        quote = " ".join(rnd.choice(WORDS) for _ in range(8))
        nxt = f"<{DS}event/{i + 1 if (i + 1) % 50 else i - 49}>"  # chains of 50 that loop back
        yield from (
            f"{c} {RDF_TYPE} <{DSK}Claim> .",
            f"{c} <{DSK}madeBy> {actor} .",
            f'{c} <{DSK}quote> "{quote}"@en .',
            f"{c} <{DSK}about> {e} .",
            f"{e} {RDF_TYPE} <{DSK}Event> .",
            f'{e} {LABEL} "Event {i} {rnd.choice(WORDS)}"@en .',
            f'{e} <{DSK}date> "20{20 + i % 6}-{1 + i % 12:02d}-{1 + i % 28:02d}"^^<{XSD}date> .',
            f'{e} <{DSK}amount> "{rnd.randrange(1, 10**6)}"^^<{XSD}integer> .',
            f"{e} <{DSK}causes> {nxt} .",
            f"{e} <{DSK}involves> {actor} .",
        )
        count += 10
        i += 1


def write(n_triples: int, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as f:
        for line in generate(n_triples):
            f.write(line + "\n")
    return out


QUERIES = {
    "label lookup": f'SELECT ?s WHERE {{ ?s {LABEL} "Actor 7"@en }}',
    "2-hop join": f"SELECT ?c ?x WHERE {{ ?c <{DSK}about> ?e . ?e <{DSK}causes> ?x . ?c <{DSK}madeBy> <{DS}actor/3> }}",
    "regex filter over quotes": f'SELECT ?c WHERE {{ ?c <{DSK}quote> ?q FILTER(REGEX(?q, "open weights")) }} LIMIT 100',
    "group by + order by": f"SELECT ?a (COUNT(?c) AS ?n) WHERE {{ ?c <{DSK}madeBy> ?a }} GROUP BY ?a ORDER BY DESC(?n) LIMIT 10",
    "cyclic path *": f"SELECT (COUNT(?x) AS ?n) WHERE {{ <{DS}event/0> <{DSK}causes>* ?x }}",
}


if __name__ == "__main__":
    write(int(sys.argv[1]), Path(sys.argv[2]))
