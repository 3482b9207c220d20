"""Every RDF dump, re-read by rdflib and by pyoxigraph, is isomorphic to the graph it came from."""
from __future__ import annotations

import json
import warnings

import pyoxigraph as ox
import pytest
from pyld import jsonld as pyld
from rdflib import Dataset, Graph
from rdflib.namespace import OWL, RDF

from kg.canonical import to_ox_term

from kg.export import CONTEXT_URL, FORMATS, build_context, context_bytes

TRIPLE_FORMATS = {"turtle": "turtle", "ntriples": "nt", "rdfxml": "xml"}
QUAD_FORMATS = {"nquads": "nquads", "trig": "trig"}
OX = {"turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES, "rdfxml": ox.RdfFormat.RDF_XML,
      "nquads": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG, "jsonld": ox.RdfFormat.JSON_LD,
      "ontology-turtle": ox.RdfFormat.TURTLE, "ontology-rdfxml": ox.RdfFormat.RDF_XML}


def canon(graph_or_quads) -> ox.Dataset:
    """RDFC-1.0 canonical form (pyoxigraph): equal datasets <=> isomorphic graphs. An algorithm
    independent of rdflib's, which wrote the dumps, and fast on the ontology's blank nodes."""
    d = ox.Dataset()
    for t in graph_or_quads:
        if isinstance(t, ox.Quad):
            d.add(t)
        else:
            d.add(ox.Quad(*map(to_ox_term, t[:3]), ox.DefaultGraph()))
    d.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return d


def isomorphic(a, b) -> bool:
    return canon(a) == canon(b)


def ox_graphs(data: bytes, fmt: str) -> dict[str, list]:
    """Parse with pyoxigraph; triples by graph name ('' = default graph)."""
    out: dict[str, list] = {}
    for q in ox.parse(data, format=OX[fmt]):
        name = q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else ""
        out.setdefault(name, []).append(ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph()))
    return out


@pytest.mark.parametrize("fmt", sorted(TRIPLE_FORMATS))
def test_triple_dumps_round_trip(fmt, source, dumps):
    """The graph exactly; RDF/XML, written for OWL tools, with its OWL 2 DL declarations and nothing else."""
    from kg.export.owl import declarations, declared
    assert len(source.union)
    want = declared(source.union) if fmt == "rdfxml" else source.union
    back = Graph().parse(data=dumps[fmt], format=TRIPLE_FORMATS[fmt])
    assert isomorphic(back, want)
    assert set(ox_graphs(dumps[fmt], fmt)) == {""}
    assert isomorphic(ox_graphs(dumps[fmt], fmt)[""], want)
    if fmt == "rdfxml":
        added = declarations(source.union)
        assert len(added) and all(p == RDF.type and str(o).startswith(str(OWL)) for _, p, o in added)


@pytest.mark.parametrize("fmt", sorted(QUAD_FORMATS))
def test_quad_dumps_keep_the_named_graphs(fmt, source, dumps):
    ds = Dataset()
    with warnings.catch_warnings():  # rdflib's quad parsers call its own deprecated API
        warnings.simplefilter("ignore", DeprecationWarning)
        ds.parse(data=dumps[fmt], format=QUAD_FORMATS[fmt])
    by_rdflib = {str(g.identifier): g for g in ds.graphs() if len(g)}
    by_ox = ox_graphs(dumps[fmt], fmt)
    assert set(by_rdflib) == set(by_ox) == set(source.graphs)
    for name, g in source.graphs.items():
        assert isomorphic(by_rdflib[name], g), name
        assert isomorphic(by_ox[name], g), name


@pytest.mark.parametrize("fmt", ["ontology-turtle", "ontology-rdfxml"])
def test_ontology_dumps_round_trip(fmt, shipped):
    """The ontology with its OWL 2 DL declarations (kg.export.owl)."""
    from kg.export.owl import declared
    source, dumps = shipped, {fmt: FORMATS[fmt].writer(shipped)}
    back = Graph().parse(data=dumps[fmt], format="turtle" if fmt.endswith("turtle") else "xml")
    assert isomorphic(back, declared(source.ontology))
    assert isomorphic(ox_graphs(dumps[fmt], fmt)[""], declared(source.ontology))


def _pyld_triples(data: bytes) -> Graph:
    nquads = pyld.to_rdf(pyld.expand(json.loads(data)), {"format": "application/n-quads"})
    return Graph().parse(data=nquads, format="nt")


def test_jsonld_expands_to_the_same_triples(source, dumps):
    assert isomorphic(_pyld_triples(dumps["jsonld"]), source.union)
    with warnings.catch_warnings():  # rdflib's JSON-LD parser uses its own deprecated ConjunctiveGraph
        warnings.simplefilter("ignore", DeprecationWarning)
        assert isomorphic(Graph().parse(data=dumps["jsonld"], format="json-ld"), source.union)
    assert isomorphic(ox_graphs(dumps["jsonld"], "jsonld")[""], source.union)


def test_jsonld_uses_the_published_context_and_friendly_keys(source, dumps):
    doc = json.loads(dumps["jsonld"])
    assert doc["@context"] == json.loads(context_bytes())["@context"]
    nodes = doc["@graph"]
    claims = [n for n in nodes if n.get("type") == "Claim" or "Claim" in (n.get("type") or [])]
    if claims:  # the shipped core may hold none yet; the tiny graph does
        c = claims[0]
        assert {"label", "claimant", "authorStance", "anchor"} <= set(c)
        assert c["authorStance"] in {"endorses", "rejects", "reports", "qualifies"}
        assert isinstance(c["isDirectQuote"], bool)
        selectors = c["anchor"]["hasSelector"]
        assert any(isinstance(s.get("start"), int) for s in selectors)  # nested, native numbers


def test_published_context_is_up_to_date(ontology):
    built = build_context(ontology)
    assert json.loads(context_bytes()) == built, (
        "src/kg/export/context.jsonld is behind the ontology: "
        "run `kg export --format context --out src/kg/export/context.jsonld`")
    assert FORMATS["context"].filename == CONTEXT_URL.rsplit("/", 1)[1]
