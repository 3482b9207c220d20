"""The ``kg`` command: one sub-command per module in ``kg.commands``.

Each command module exposes ``HELP`` (one line), ``add_arguments(parser)`` and
``run(args) -> int`` (the exit code). Add a command by adding one row to COMMANDS.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from .load import LoadError

COMMANDS = {
    "validate": "kg.commands.validate",
    "reason": "kg.commands.reason",
    "stats": "kg.commands.stats",
    "coverage": "kg.commands.coverage",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kg", description="Tools for the deepseek-kg knowledge graph.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except LoadError as exc:
        print(f"kg {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
