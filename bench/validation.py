"""Incremental validation against full validation: soundness and speed, on the bundled graph.

    python bench/validation.py [--writes 200] [--keep 1.0] [--seed 1] [--variants project,other-targets,extra-shapes] [--gate]

For each shapes variant (testkit.changes.SHAPE_VARIANTS: the project's shapes, other targets,
extra shapes), ``--writes`` random changes (testkit.changes.ChangeMaker) are checked by the
IncrementalValidator and by a full pySHACL validation of the graph after each; prints per variant
how many agreed (they must all), the kinds of change, and the median time of each, and writes
bench/results/validation.json. ``--keep 0.1`` runs on a smaller graph of the same shape (what the
test suite's short run uses); ``--gate`` keeps only the changes after which the graph conforms, as
the write path does (the bundled graph conforms: its verdicts then move between the two). Asserts
nothing; exit 1 if any verdict differs.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from kg.curated import data_quads  # noqa: E402
from kg.store import OxigraphStore  # noqa: E402
from testkit.changes import SHAPE_VARIANTS, differential, reduced, variant_shapes  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--writes", type=int, default=200)
    p.add_argument("--keep", type=float, default=1.0, help="share of the essay's nodes kept (1: the whole graph)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--variants", default=",".join(SHAPE_VARIANTS))
    p.add_argument("--gate", action="store_true",
                   help="keep only the changes after which the graph conforms, as the write path does")
    p.add_argument("--out", default=str(ROOT / "bench" / "results" / "validation.json"))
    args = p.parse_args(argv)
    store = OxigraphStore.from_sources().store
    quads = data_quads(store) if args.keep >= 1 else reduced(store, args.keep, args.seed)
    out, bad = {}, 0
    for name in args.variants.split(","):
        t0 = time.perf_counter()
        load = os.getloadavg()[0]
        fig = differential(quads, variant_shapes(name), args.writes, args.seed, gate=args.gate)
        fig["seconds"], fig["load_average"] = round(time.perf_counter() - t0, 1), load
        out[name] = fig
        bad += len(fig["mismatches"])
        print(f"{name:14s} {fig['quads']} quads, {fig['writes']} changes, {fig['compared']} compared with pySHACL: "
              f"{fig['compared'] - len(fig['mismatches'])} agree, {len(fig['mismatches'])} differ; "
              f"incremental median {fig['incremental_ms_median']} ms (max {fig['incremental_ms_max']}), "
              f"full {fig['reference_ms_median']} ms; verdicts {fig['verdicts']}; load average {load:.1f}")
        print(f"{'':14s} kinds: {fig['kinds']}")
    path = Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"args": vars(args), "results": out}, indent=2) + "\n")
    print(f"written to {path}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
