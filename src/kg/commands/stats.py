"""`kg stats`: counts by class and by property (the essay data; --all adds the ontology)."""
from __future__ import annotations

import argparse
import json

from ..load import load_graph
from ..sources import ONTOLOGY_GRAPH, default_sources
from ..stats import class_counts, property_counts


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--all", action="store_true", help="count the ontology's triples too")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace) -> int:
    sources = [s for s in default_sources() if args.all or s.graph != ONTOLOGY_GRAPH]
    g = load_graph(sources)
    classes, props = class_counts(g), property_counts(g)
    if args.json:
        print(json.dumps({"triples": len(g), "classes": dict(classes.most_common()),
                          "properties": dict(props.most_common())}, indent=2))
        return 0
    print(f"{len(g)} triples")
    for title, counts in (("Instances by class", classes), ("Triples by property", props)):
        print(f"\n{title}:")
        width = max((len(k) for k in counts), default=0)
        for k, n in counts.most_common():
            print(f"  {k:<{width}}  {n:>6}")
    return 0
