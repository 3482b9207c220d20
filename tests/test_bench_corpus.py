"""The synthetic corpus of bench/corpus.py has the real data's shapes: each essay validates with
the project's SHACL shapes (ontology + that essay's graph, as kg validate checks the real one),
and every anchor's quote is the stored text at its offsets. Not a benchmark: nothing is timed."""
from __future__ import annotations

import json
import sys

import pyoxigraph as ox
import pytest
from rdflib import Graph

from kg.load import parse_file
from kg.sources import ONTOLOGY_FILE, project_root
from kg.validate import validate

sys.path.insert(0, str(project_root()))
from bench.corpus import generate  # noqa: E402

DSK = "https://w3id.org/deepseek-kg/ontology#"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("corpus") / "two.nq"
    manifest = generate(2, out, essays=True, paragraphs=5, progress=False)
    store = ox.Store()
    store.bulk_load(path=str(out), format=ox.RdfFormat.N_QUADS)
    return out, manifest, store


def test_one_named_graph_per_essay_and_a_manifest(corpus):
    out, manifest, store = corpus
    graphs = sorted(g.value for g in store.named_graphs())
    assert graphs == [e["graph"] for e in manifest["essays"]] == [
        "https://w3id.org/deepseek-kg/graph/synthetic/0", "https://w3id.org/deepseek-kg/graph/synthetic/1"]
    assert len(store) == manifest["triples"]
    assert json.loads(out.with_suffix(".json").read_text())["triples"] == manifest["triples"]


def test_same_output_for_same_seed(tmp_path):
    a = generate(1, tmp_path / "a.nq", essays=True, paragraphs=3, progress=False)
    b = generate(1, tmp_path / "b.nq", essays=True, paragraphs=3, progress=False)
    assert (tmp_path / "a.nq").read_bytes() == (tmp_path / "b.nq").read_bytes()
    assert a["triples"] == b["triples"]


def test_every_quote_is_the_text_at_its_offsets(corpus):
    _, manifest, store = corpus
    rows = list(store.query(f"""
        PREFIX oa: <http://www.w3.org/ns/oa#>
        SELECT ?g ?text ?exact ?start ?end WHERE {{ GRAPH ?g {{
            ?doc <{DSK}fullText> ?text .
            ?span oa:hasSource ?doc ; oa:hasSelector/oa:exact ?exact ;
                  oa:hasSelector/oa:start ?start ; oa:hasSelector/oa:end ?end . }} }}"""))
    per_graph = {}
    for r in rows:
        text, exact = r["text"].value, r["exact"].value
        start, end = int(r["start"].value), int(r["end"].value)
        assert text[start:end] == exact, (r["g"].value, start, end, exact)
        per_graph[r["g"].value] = per_graph.get(r["g"].value, 0) + 1
    assert set(per_graph) == {e["graph"] for e in manifest["essays"]}
    assert min(per_graph.values()) > 30
    # code points, not bytes: the texts contain non-ASCII punctuation before most anchors
    assert any("“" in r["exact"].value for r in rows)


def test_each_essay_validates_with_the_project_shapes(corpus):
    _, manifest, store = corpus
    ontology = parse_file(ONTOLOGY_FILE)
    for essay in manifest["essays"]:
        g = Graph()
        for t in ontology:
            g.add(t)
        data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(essay["graph"]))
        g.parse(data=data, format="nt")
        kinds = {str(o) for o in g.objects(None, None) if str(o).startswith(DSK)}
        # the essay has every kind of node the shapes check (so conforming is not vacuous)
        for cls in ("Document", "Claim", "Event", "Quantity", "CausalAssertion", "Support", "Attack",
                    "Viewpoint", "PullQuote", "Participation"):
            assert DSK + cls in kinds, cls
        report = validate(g)
        assert report.conforms, report.text()
