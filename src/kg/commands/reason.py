"""`kg reason`: HermiT consistency check and unsatisfiable classes; inferred types on request."""
from __future__ import annotations

import argparse
import time

from ..reason import reason


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--inferred", action="store_true", help="also list the types HermiT infers for individuals")


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    print("Running HermiT over ontology + data ...", flush=True)
    result = reason(infer_types=args.inferred)
    took = time.perf_counter() - started
    if result.error:
        print(result.error)
        return 2
    if not result.consistent:
        print(f"INCONSISTENT ({took:.1f} s): no model satisfies ontology + data.")
        for c in result.clashes:
            print(f"  - {c}")
        if not result.clashes:
            print("  (no disjoint-type clash found; look for functional properties with two values or a oneOf class)")
        return 1
    print(f"Consistent ({took:.1f} s).")
    if result.unsatisfiable:
        print(f"{len(result.unsatisfiable)} unsatisfiable class(es):")
        for c in result.unsatisfiable:
            print(f"  - {c}")
    else:
        print("No unsatisfiable classes.")
    if args.inferred:
        print(f"{len(result.inferred_types)} inferred type(s):")
        for ind, cls in result.inferred_types:
            print(f"  {ind}  a  {cls}")
    return 1 if result.unsatisfiable else 0
