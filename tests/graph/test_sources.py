"""The source files: they parse everywhere, the stored text is the essay's, generated files are fresh."""
from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from kg.commands.owl import render
from kg.commands.source import source_graph
from kg.load import parse_file
from kg.namespaces import DS, DSK
from kg.sources import ESSAY_TEXT, ONTOLOGY_FILE, ONTOLOGY_RDFXML, SOURCE_TEXT_FILE, project_root
from kg.text import essay_text, normalise_source

ROOT = project_root()
SEED = ROOT.parent / "shared" / "seed" / "deepseeking-the-truth.txt"
RDF_FILES = sorted(p for d in ("ontology", "data", "shapes") for p in (ROOT / d).rglob("*")
                   if p.suffix in (".ttl", ".owl"))
OX_FORMAT = {".ttl": ox.RdfFormat.TURTLE, ".owl": ox.RdfFormat.RDF_XML}


@pytest.mark.parametrize("path", RDF_FILES, ids=[str(p.relative_to(ROOT)) for p in RDF_FILES])
def test_file_parses_in_rdflib_and_pyoxigraph(path: Path):
    g = parse_file(path)
    assert len(g) > 0
    triples = list(ox.parse(path=str(path), format=OX_FORMAT[path.suffix]))
    assert len(triples) == len(g)


@pytest.mark.skipif(not SEED.exists(), reason="the shared seed text is not beside the repo")
def test_stored_text_is_the_normalised_seed():
    assert essay_text() == normalise_source(SEED.read_text(encoding="utf-8"))


def test_stored_text_has_no_page_chrome_and_is_nfc():
    import unicodedata
    text = essay_text()
    assert text.startswith("DeepSeeking the Truth\n")
    assert "Skip to content" not in text
    assert unicodedata.is_normalized("NFC", text)


def test_source_ttl_holds_the_stored_text():
    g = parse_file(SOURCE_TEXT_FILE)
    assert str(g.value(DS.essay, DSK.fullText)) == essay_text(ESSAY_TEXT)
    assert isomorphic(g, source_graph(essay_text(ESSAY_TEXT)))


def test_rdfxml_ontology_is_up_to_date_and_equivalent():
    assert ONTOLOGY_RDFXML.read_text(encoding="utf-8") == render(), "run `kg owl`"
    from kg.export.owl import declared
    assert isomorphic(Graph().parse(ONTOLOGY_RDFXML, format="xml"), declared(parse_file(ONTOLOGY_FILE)))


def test_rdfxml_ontology_loads_in_owlready2():
    import owlready2
    world = owlready2.World()
    onto = world.get_ontology(ONTOLOGY_RDFXML.as_uri()).load()
    names = {c.name for c in onto.classes()}
    assert {"Claim", "Event", "CausalAssertion", "Person", "Organization"} <= names
    world.close()
