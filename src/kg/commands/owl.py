"""`kg owl`: render ontology/deepseek.ttl as RDF/XML, the form owlready2 and Protégé read, with its
OWL 2 DL declarations (kg.export.owl)."""
from __future__ import annotations

import argparse
from pathlib import Path

import pyoxigraph as ox

from ..canonical import serialize_canonical
from ..export.owl import declared
from ..load import parse_file
from ..sources import ONTOLOGY_FILE, ONTOLOGY_RDFXML

HEADER = "<!-- Generated from ontology/deepseek.ttl by `kg owl`; edit the Turtle, not this file. -->\n"


def render(src: Path = ONTOLOGY_FILE) -> str:
    """RDF/XML with canonical blank-node ids and sorted triples, so the same Turtle gives the same bytes."""
    xml = serialize_canonical(declared(parse_file(src)), ox.RdfFormat.RDF_XML).decode("utf-8")
    head, _, rest = xml.partition("\n")
    return head + "\n" + HEADER + rest


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, default=ONTOLOGY_RDFXML)
    p.add_argument("--check", action="store_true", help="exit 1 if the file on disk is out of date")


def run(args: argparse.Namespace) -> int:
    xml = render()
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != xml:
            print(f"{args.out} is out of date: run `kg owl`")
            return 1
        print(f"{args.out} is up to date")
        return 0
    args.out.write_text(xml, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0
