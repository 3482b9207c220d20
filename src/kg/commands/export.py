"""`kg export --format F [--out PATH]`: one dump of the graph (to stdout unless --out)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..export import FORMATS, export
from ._output import write_output


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", "-f", required=True, choices=list(FORMATS), metavar="FORMAT",
                   help="one of: " + ", ".join(FORMATS))
    p.add_argument("--out", "-o", type=Path, metavar="PATH", help="write here (default: stdout)")
    p.add_argument("--state", type=Path, metavar="DIR",
                   help="export the curated graph kept in this server --state-dir (without its change log) "
                        "instead of the source files")


def curated_dataset(state: Path):
    """The curated graph as an rdflib Dataset, each graph by name, the change log left out."""
    from ..canonical import dataset_from_quads
    from ..curated import CHANGES_GRAPH, read_state
    return dataset_from_quads(q for q in read_state(state) if getattr(q.graph_name, "value", None) != CHANGES_GRAPH)


def run(args: argparse.Namespace) -> int:
    from ..reason import ReasoningError
    try:
        data = export(args.format, curated_dataset(args.state) if args.state else None)
    except ReasoningError as exc:
        print(f"kg export: {exc}", file=sys.stderr)
        return 2
    return write_output(data, args.out, prog="kg export", what=FORMATS[args.format].media_type)
