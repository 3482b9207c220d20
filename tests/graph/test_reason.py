"""HermiT finds the shipped graph consistent and catches what disjointness forbids."""
from __future__ import annotations

import shutil

import pytest
from rdflib.namespace import OWL, RDF

from kg.namespaces import DS, DSK
from kg.reason import reason

pytestmark = pytest.mark.skipif(shutil.which("java") is None, reason="HermiT needs Java (apt-get install default-jre-headless)")


def test_shipped_graph_is_consistent(shipped_graph):
    result = reason(shipped_graph)
    assert result.error is None
    assert result.consistent
    assert result.unsatisfiable == []


def test_person_typed_as_organisation_is_inconsistent(tiny_graph):
    tiny_graph.add((DS["sam-altman"], RDF.type, DSK.Company))
    result = reason(tiny_graph)
    assert not result.consistent
    assert any("ds:sam-altman" in c and "dsk:Person" in c for c in result.clashes)


def test_claim_typed_as_event_is_inconsistent(tiny_graph):
    tiny_graph.add((DS["claim-altman"], RDF.type, DSK.Event))
    assert not reason(tiny_graph).consistent


def test_two_stances_break_functionality(tiny_graph):
    # dsk:authorStance is functional and the stances are distinct closed values
    tiny_graph.add((DS["claim-altman"], DSK.authorStance, DSK.endorses))
    assert not reason(tiny_graph).consistent


def test_inferred_types_are_listed(tiny_graph):
    # the claimant's range makes an untyped claimant an agent; HermiT reports the inferred type
    tiny_graph.add((DS["someone"], RDF.type, OWL.NamedIndividual))
    tiny_graph.add((DS["claim-altman"], DSK.claimant, DS["someone"]))
    result = reason(tiny_graph, infer_types=True)
    assert result.consistent
    assert (str(DS["someone"]), str(DSK.Agent)) in result.inferred_types
