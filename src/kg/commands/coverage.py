"""`kg coverage`: the share of the essay's sentences anchored by at least one node."""
from __future__ import annotations

import argparse

from ..coverage import coverage
from ..load import load_graph


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--min", type=float, default=0.0, metavar="PERCENT",
                   help="exit 1 when coverage is below PERCENT (for CI)")
    p.add_argument("--verbose", "-v", action="store_true", help="also list each anchored sentence and its nodes")


def run(args: argparse.Namespace) -> int:
    cov = coverage(load_graph())
    print(f"{len(cov.anchored)} of {len(cov.sentences)} sentences anchored: {cov.percent:.1f}%")
    if cov.unanchored:
        print("Not anchored:")
        for s in cov.unanchored:
            print(f"  [{s.start}-{s.end}] {s.text}")
    if args.verbose:
        print("Anchored:")
        for s, nodes in cov.anchored:
            print(f"  [{s.start}-{s.end}] {s.text[:70]}{'...' if len(s.text) > 70 else ''}")
            for n in nodes:
                print(f"      {n}")
    return 1 if cov.percent < args.min else 0
