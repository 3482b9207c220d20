"""Apache Jena's riot (Debian's Jena 4.5) parses every RDF dump, without a warning, and counts
what we count: the dumps are valid for the tool people check RDF with, not only for ours."""
from __future__ import annotations

import re

import pyoxigraph as ox
import pytest

from kg.export import FORMATS
from testkit.jena import command_line

RDF_DUMPS = [f for f in FORMATS.values() if f.kind in ("rdf", "ontology")]
#: Debian's Jena has no JSON-LD 1.1 reader (titanium-json-ld is not packaged): its 1.0 reader, named
RIOT_SYNTAX = {"jsonld": "jsonld10"}


def riot_command(fmt, path) -> list[str]:
    """What a user types (docs/exports.md): ``riot --count FILE``."""
    syntax = [f"--syntax={RIOT_SYNTAX[fmt.name]}"] if fmt.name in RIOT_SYNTAX else []
    return ["riot", *syntax, "--count", str(path)]


def our_count(fmt, path, dump_files) -> int:
    if fmt.name == "jsonld":  # the same graph as the N-Triples dump
        return our_count(FORMATS["ntriples"], dump_files / FORMATS["ntriples"].filename, dump_files)
    return sum(1 for _ in ox.parse(path=path, format=ox.RdfFormat.from_media_type(fmt.media_type)))


def test_riot_parses_every_dump_and_counts_what_we_count(dump_files, jena_tools):
    present = [f for f in RDF_DUMPS if (dump_files / f.filename).exists()]
    assert {f.name for f in present} >= {f.name for f in RDF_DUMPS} - {"inferred"}
    results = jena_tools.run([riot_command(f, dump_files / f.filename) for f in present])
    counts = {}
    for fmt, r in zip(present, results):
        line = command_line(r.command)
        assert r.code == 0, f"{line}: {r.err[-800:]}"
        assert not re.search(r"\b(WARN|ERROR)\b", r.err), f"{line}: {r.err[-800:]}"
        m = re.search(r": (?:Triples|Quads) = ([\d,]+)", r.err)
        assert m, f"{line}: no count in {r.err[-300:]}"
        counts[fmt.name] = int(m[1].replace(",", ""))
        assert counts[fmt.name] == our_count(fmt, dump_files / fmt.filename, dump_files), fmt.name
    assert counts["turtle"] == counts["ntriples"] == counts["jsonld"]
    assert counts["rdfxml"] > counts["turtle"]  # the same graph with its OWL 2 DL declarations (kg.export.owl)
    assert counts["nquads"] == counts["trig"] > counts["turtle"]
    if "inferred" not in counts:
        pytest.skip("HermiT could not run (no Java): the inferred dump was not written, the others parsed")
