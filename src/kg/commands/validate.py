"""`kg validate`: SHACL report, human-readable by default; exit 0 only when the graph conforms."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..load import load_graph, parse_file
from ..sources import DATA_FILE, default_sources
from ..validate import validate


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=("text", "json", "turtle"), default="text",
                   help="text (default) for people; json or turtle (the SHACL report graph) for machines")
    p.add_argument("--data", type=Path, nargs="+", metavar="FILE",
                   help="validate these RDF files (plus the ontology and stored text) instead of data/deepseek.ttl")
    p.add_argument("--state", type=Path, metavar="DIR",
                   help="validate the curated graph kept in this server --state-dir instead of the source files")
    p.add_argument("--shapes", type=Path, help="shapes file (default: shapes/deepseek-shapes.ttl)")


def run(args: argparse.Namespace) -> int:
    if args.state:  # what the server serves: everything but the shapes and the change log
        from ..canonical import graph_from_quads
        from ..curated import data_quads, read_state
        g = graph_from_quads(data_quads(read_state(args.state)))
    elif args.data:  # the given files, with the ontology and stored text they rely on
        g = load_graph([src for src in default_sources() if src.path != DATA_FILE])
        for f in args.data:
            parse_file(f, g)
    else:
        g = load_graph()
    started = time.perf_counter()
    print(f"Validating {len(g):,} triples against the SHACL shapes (a few seconds) ...",
          file=sys.stderr, flush=True)
    report = validate(g, shapes=args.shapes)
    print(f"done in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    if args.format == "json":
        print(report.json())
    elif args.format == "turtle":
        sys.stdout.write(report.graph.serialize(format="turtle"))
    else:
        print(report.text())
    return 0 if report.conforms else 1
