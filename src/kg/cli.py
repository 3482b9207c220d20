"""The ``kg`` command: one sub-command per module in ``kg.commands``.

Each command module exposes ``add_arguments(parser)`` and ``run(args) -> int`` (the exit
code). Add a command by adding one row to COMMANDS. Only the chosen command's module is
imported, so `kg stats` does not pay for the reasoner's or the web server's imports.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from .load import LoadError

#: name -> (module, one-line help)
COMMANDS = {
    "validate": ("kg.commands.validate", "Check the graph against the SHACL shapes (exit 0 only when it conforms)."),
    "reason": ("kg.commands.reason", "Check ontology + data with HermiT: consistency, unsatisfiable classes, inferred types."),
    "stats": ("kg.commands.stats", "Count the graph's nodes by class and its triples by property."),
    "coverage": ("kg.commands.coverage", "Show which sentences of the essay are anchored by at least one node."),
    "owl": ("kg.commands.owl", "Write the ontology's RDF/XML rendering (ontology/deepseek.owl) for owlready2 and Protégé."),
    "source": ("kg.commands.source", "Store the essay text (NFC, page chrome removed) as data/essay.txt and data/source.ttl."),
    "serve": ("kg.commands.serve", "Serve the graph over a SPARQL 1.1 endpoint (gunicorn; time-limited; read-only unless --allow-update)."),
    "token": ("kg.commands.token", "Make, remove or list curators' bearer tokens (the file keeps only their SHA-256)."),
    "diff": ("kg.commands.diff", "Show how a curated state (server --state-dir) differs from the source files."),
    "load": ("kg.commands.load", "Load the graph into an on-disk store (directory) or a remote SPARQL engine (http(s) URL)."),
    "export": ("kg.commands.export", "Write the graph as RDF, GraphML, GEXF, Cytoscape.js, NetworkX or Neo4j import files."),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kg", description="Tools for the deepseek-kg knowledge graph.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module_name, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == command:
            module = importlib.import_module(module_name)
            module.add_arguments(p)
            p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    args = build_parser(command if command in COMMANDS else None).parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except LoadError as exc:
        print(f"kg {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `kg stats | head`: the reader left; say nothing more
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
