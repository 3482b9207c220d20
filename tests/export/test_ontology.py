"""The RDF/XML ontology loads in owlready2 and HermiT finds it consistent; the materialised graph
holds every asserted triple plus the entailed types."""
from __future__ import annotations

import shutil

import pytest
from rdflib import BNode, Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from kg.cli import main
from kg.export import FORMATS, export

pytestmark = pytest.mark.skipif(shutil.which("java") is None, reason="HermiT needs Java")


def test_rdfxml_ontology_loads_in_owlready2_and_is_consistent(shipped, tmp_path):
    import owlready2
    path = tmp_path / FORMATS["ontology-rdfxml"].filename
    path.write_bytes(export("ontology-rdfxml", shipped))
    world = owlready2.World()
    onto = world.get_ontology(path.as_uri()).load()
    assert len(list(onto.classes())) > 10
    with onto:
        owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)  # raises if inconsistent
    assert list(world.inconsistent_classes()) == []
    world.close()


@pytest.fixture(scope="module")
def inferred(tmp_path_factory) -> Graph:
    """`kg reason --materialize --out FILE`, run once (HermiT takes seconds on the whole graph)."""
    out = tmp_path_factory.mktemp("inferred") / "inferred.ttl"
    assert main(["reason", "--materialize", "--out", str(out)]) == 0
    return Graph().parse(out, format="turtle")


def _is_bnode(t) -> bool:
    return isinstance(t, BNode)


def test_materialized_graph_adds_entailed_types(shipped, inferred):
    g = shipped.union
    assert len(inferred) > len(g)
    assert {t for t in g if not any(map(_is_bnode, t))} <= set(inferred)
    # every named superclass of an asserted type is now asserted too
    for ind, cls in g.subject_objects(RDF.type):
        if not isinstance(ind, URIRef) or (cls, RDF.type, OWL.Class) not in g:
            continue
        for sup in g.transitive_objects(cls, RDFS.subClassOf):
            if isinstance(sup, URIRef) and sup != OWL.Thing:
                assert (ind, RDF.type, sup) in inferred, (ind, sup)
