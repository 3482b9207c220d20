"""`kg export --format F [--out PATH]`: one dump of the graph (to stdout unless --out)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..export import FORMATS, export


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
    if args.out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return 0
    try:
        args.out.write_bytes(data)
    except OSError as exc:
        print(f"kg export: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    f = FORMATS[args.format]
    print(f"wrote {args.out} ({len(data)} bytes, {f.media_type})", file=sys.stderr)
    return 0
