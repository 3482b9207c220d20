"""`kg diff --state DIR`: what curators changed, compared with the source files."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pyoxigraph as ox

from ..curated import CHANGES_GRAPH, read_state
from ..diff import graph_diff, summary
from ..store import OxigraphStore

HELP = "Show how a curated state (server --state-dir) differs from the source files."


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--state", type=Path, required=True, metavar="DIR", help="the server's --state-dir")
    p.add_argument("--format", choices=("summary", "patch", "json"), default="summary",
                   help="summary (per graph, default), patch (RDF Patch style: D/A lines) or json")
    p.add_argument("--data", action="append", metavar="PATH[=GRAPH]",
                   help="the source files the server was started with (default: the bundled ones), as for server.py --data")
    p.add_argument("--with-changes", action="store_true",
                   help="also show the change log graph (PROV records of each change), left out by default")


def run(args: argparse.Namespace) -> int:
    served = list(read_state(args.state))
    from ..sources import parse_sources
    sources = list(OxigraphStore.from_sources(parse_sources(args.data)).store)
    if not args.with_changes:
        served = [q for q in served if not (isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value == CHANGES_GRAPH)]
    removed, added = graph_diff(sources, served)
    if args.format == "patch":
        sys.stdout.write("".join(f"D {q} .\n" for q in removed) + "".join(f"A {q} .\n" for q in added))
    elif args.format == "json":
        print(json.dumps({"removed": [str(q) for q in removed], "added": [str(q) for q in added],
                          "graphs": [{"graph": g, "removed": r, "added": a} for g, r, a in summary(removed, added)]},
                         indent=2, ensure_ascii=False))
    elif not removed and not added:
        print("The curated graph is the same as the source files.")
    else:
        print(f"{len(removed)} quad(s) removed and {len(added)} added, compared with the source files:")
        for g, r, a in summary(removed, added):
            print(f"  {g}: -{r} +{a}")
        print("(--format patch lists them; kg export --state DIR -f turtle writes the curated graph)")
    return 0
