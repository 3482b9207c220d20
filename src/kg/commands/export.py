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


def run(args: argparse.Namespace) -> int:
    from ..reason import ReasoningError
    try:
        data = export(args.format)
    except ReasoningError as exc:
        print(f"kg export: {exc}", file=sys.stderr)
        return 2
    return write_output(data, args.out, prog="kg export", what=FORMATS[args.format].media_type)
