"""`kg reason`: HermiT consistency check and unsatisfiable classes; inferred types on request;
`--materialize` writes the graph with every entailed type added (the `inferred` dump)."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..reason import reason
from ._output import write_output


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--inferred", action="store_true", help="also list the types HermiT infers for individuals")
    p.add_argument("--materialize", action="store_true",
                   help="write ontology + data with every type HermiT entails added, as Turtle (the `inferred` dump)")
    p.add_argument("--out", type=Path, metavar="PATH", help="with --materialize: write here instead of stdout")


def _materialize(args: argparse.Namespace) -> int:
    from ..export import export
    from ..reason import ReasoningError
    try:
        data = export("inferred")
    except ReasoningError as exc:
        print(f"kg reason: {exc}", file=sys.stderr)
        return 2 if "could not run" in str(exc) else 1
    return write_output(data, args.out, prog="kg reason")


def run(args: argparse.Namespace) -> int:
    if args.materialize:
        return _materialize(args)
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
    if args.inferred and not result.inferred_types:
        print("HermiT infers no type beyond the ones the graph states.")
    elif args.inferred:
        print(f"{len(result.inferred_types)} inferred type(s), entailed but not stated "
              "(the inferred dump adds them: kg reason --materialize):")
        for ind, cls in result.inferred_types:
            print(f"  {ind}  a  {cls}")
    return 1 if result.unsatisfiable else 0
