"""GraphML, GEXF, Cytoscape.js and node-link JSON, read back by networkx, hold the expected
nodes, edges and labels; expectations are computed here from the RDF, independently of the view."""
from __future__ import annotations

import io
import json

import networkx as nx
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD

from kg.export import FORMATS
from kg.export.property_graph import build
from kg.namespaces import BASE, DS, DSK, OA, TIME

META = (str(OWL), str(RDFS), str(RDF))
FOLDED_AWAY = {RDF.type, OA.hasSource, TIME.unitType, DSK.role}  # become attributes, not edges


def expected(g: Graph) -> tuple[set[str], int]:
    """(node IRIs, edge count): subjects outside the ontology, what they point to (through blank
    nodes too); one edge per IRI-valued statement of such a subject, through blank nodes included."""
    def schema(s):
        return (str(s).startswith(str(DSK)) or str(s) == BASE + "ontology" or any(
            str(t).startswith(META) and t != OWL.NamedIndividual for t in g.objects(s, RDF.type)))
    roots = {s for s in g.subjects() if isinstance(s, URIRef) and not schema(s)}
    nodes, edges = set(roots), 0
    for s in roots:
        todo = [(p, o) for p, o in g.predicate_objects(s) if p != RDF.type]
        while todo:
            p, o = todo.pop()
            if isinstance(o, URIRef) and p not in FOLDED_AWAY:
                nodes.add(o)
                edges += 1
            elif isinstance(o, BNode):
                todo.extend(g.predicate_objects(o))
    return {str(n) for n in nodes}, edges


def english_label(g: Graph, n: str) -> str | None:
    labels = [lit for lit in g.objects(URIRef(n), RDFS.label) if lit.language in ("en", None)]
    return str(sorted(labels)[0]) if labels else None


def read(fmt: str, data: bytes) -> nx.Graph:
    if fmt == "graphml":
        return nx.read_graphml(io.BytesIO(data))
    if fmt == "gexf":
        return nx.read_gexf(io.BytesIO(data))
    if fmt == "cytoscape":  # the elements JSON: nodes by id, edges by id (cytoscape.js itself: test_tools.py)
        G = nx.MultiDiGraph()
        elements = json.loads(data)["elements"]
        for n in elements["nodes"]:
            G.add_node(n["data"]["id"], **n["data"])
        for e in elements["edges"]:
            d = e["data"]
            G.add_edge(d["source"], d["target"], key=d["id"], **d)
        return G
    return nx.node_link_graph(json.loads(data), edges="edges")


@pytest.mark.parametrize("fmt", ["graphml", "gexf", "cytoscape", "networkx"])
def test_read_back_has_expected_nodes_edges_and_labels(fmt, source, dumps):
    G = read(fmt, dumps[fmt])
    nodes, n_edges = expected(source.union)
    assert set(G.nodes) == nodes  # IRIs only: no literal and no blank node became a node
    assert G.number_of_edges() == n_edges
    assert G.is_directed()
    for n, d in G.nodes(data=True):
        want = english_label(source.union, n)
        if want is not None:
            assert d["label"] == want, n
        assert d["type"]
    for _, _, d in G.edges(data=True):
        kind = d["relation"] if fmt == "gexf" else d["type"]  # GEXF reserves an edge's "type"
        assert kind and " " not in kind and d["label"] == kind
        assert d["predicate"].startswith("http")


def test_blank_nodes_are_folded(tiny):
    G = tiny.property_graph
    claim = G.nodes[str(DS["claim-altman"])]
    assert (claim["quote"], claim["quote_start"], claim["quote_end"]) == (
        "OpenAI’s Sam Altman called DeepSeek “state-controlled,”", 1094, 1149)
    assert claim["isDirectQuote"] is True and claim["type"] == "Claim"
    event = G.nodes[str(DS["event-nvidia-fall"])]
    assert (event["date"], event["date_unit"], event["date_text"]) == ("2025", "unitYear", "earlier this year")
    assert (event["quote"], event["quote_start"], event["quote_end"], event["quote_2_start"], event["quote_2_end"]) \
        == ("789", 7, 10, 643, 706)
    decade = G.nodes[str(DS["event-decade"])]
    assert (decade["date_start"], decade["date_end"]) == ("2010", "2019")
    pull = G.nodes[str(DS["pull-quote-1"])]
    assert (pull["quote"], pull["repeats_quote"], pull["repeats_quote_start"]) == ("0123", "456", 4)
    part = [d for _, v, d in G.out_edges(str(DS["event-nvidia-fall"]), data=True) if d["type"] == "participant"]
    assert part == [{"label": "participant", "type": "participant", "predicate": str(DSK.participant),
                     "role": "affected party", "role_iri": str(DS["role-affected"])}]
    assert G.nodes[str(DS["quantity-fall"])]["value"] == 17.0
    assert G.nodes[str(DS["sam-altman"])]["label"] == "Sam Altman"  # the English label
    # the essay's full text is on the essay node and nowhere else
    holders = [n for n, d in G.nodes(data=True) if any(isinstance(v, str) and "whole text of the essay" in v for v in d.values())]
    assert holders == [str(DS.essay)]
    # claims and causal assertions stay nodes, with their provenance as edges
    causal = {d["type"]: v for _, v, d in G.out_edges(str(DS["causal-feat-nvidia"]), data=True)}
    assert causal["assertedBy"] == str(DS["sam-altman"]) and causal["authorStance"] == str(DSK.endorses)


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_literal_types_survive_graphml_and_gexf(fmt, tiny):
    G = read(fmt, FORMATS[fmt].writer(tiny))
    claim = G.nodes[str(DS["claim-altman"])]
    assert claim["quote_start"] == 1094 and claim["isDirectQuote"] is True
    assert G.nodes[str(DS["quantity-fall"])]["value"] == 17.0


def test_gexf_has_no_date_stamp(dumps):
    assert b"lastmodifieddate" not in dumps["gexf"]


def test_xsd_values_keep_their_types(tiny):
    g = Graph()
    g.add((DS.x, RDFS.label, Literal("x", lang="en")))
    g.add((DS.x, DSK.value, Literal("2.5", datatype=XSD.decimal)))
    g.add((DS.x, DSK["count"], Literal("3", datatype=XSD.integer)))
    d = build(g).nodes[str(DS.x)]
    assert d["value"] == 2.5 and d["count"] == 3 and d["label"] == "x"
