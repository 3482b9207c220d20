"""The property-graph exports opened with the tools people use, reading back their numbers:
GEXF in graphology-gexf (the reader of Gephi Lite and Sigma.js) and networkx, GraphML in igraph,
the Cytoscape.js JSON in cytoscape.js itself, the Neo4j CSVs in Kuzu with its default options.
Each import step is the one docs/exports.md shows (``testkit.docs``). Expected numbers come from
the RDF, by SPARQL, not from the property-graph view."""
from __future__ import annotations

import os
from collections import defaultdict

import networkx as nx
import pytest

from kg.export import FORMATS
from kg.namespaces import DSK, OA
from kg.store import OxigraphStore
from testkit import node
from testkit.docs import snippet

from conftest import REPO

FILES = ("gexf", "graphml", "cytoscape", "networkx", "neo4j-nodes", "neo4j-relationships")
CYTOSCAPE_JS = REPO / "src" / "kg" / "static" / "vendor" / "cytoscape-3.35.0.min.js"


@pytest.fixture(scope="module")
def files(shipped, tmp_path_factory):
    d = tmp_path_factory.mktemp("tool-dumps")
    for name in FILES:
        (d / FORMATS[name].filename).write_bytes(FORMATS[name].writer(shipped))
    return d


@pytest.fixture(scope="module")
def numbers() -> dict[str, dict]:
    """IRI -> {quote, quote_start, quote_end (the first anchor in text order), value}, from the RDF."""
    store = OxigraphStore.from_sources()
    anchors = defaultdict(list)
    for r in store.query(f"""SELECT ?n ?start ?end ?exact WHERE {{ ?n <{DSK.anchor}> ?a .
            ?a <{OA.hasSelector}> ?p, ?q . ?p <{OA.start}> ?start ; <{OA['end']}> ?end . ?q <{OA.exact}> ?exact }}"""):
        anchors[r["n"].value].append((int(r["start"].value), int(r["end"].value), r["exact"].value))
    out = {n: dict(zip(("quote_start", "quote_end", "quote"), min(a))) for n, a in anchors.items()}
    for r in store.query(f"SELECT ?n ?v WHERE {{ ?n <{DSK.value}> ?v }}"):
        out.setdefault(r["n"].value, {})["value"] = float(r["v"].value)
    assert len(out) > 200 and sum("value" in d for d in out.values()) > 10
    return out


def same_numbers(nodes: dict[str, dict], numbers: dict[str, dict], keys=("quote_start", "quote_end", "value")):
    """Every expected number is on its node, as a number."""
    wrong = [(n, k, nodes.get(n, {}).get(k), v) for n, want in numbers.items() for k, v in want.items()
             if k in keys and not (isinstance(nodes.get(n, {}).get(k), (int, float)) and nodes[n][k] == v)]
    assert not wrong, f"{len(wrong)} numbers differ, e.g. {wrong[:3]}"


@pytest.fixture(scope="module")
def js(tmp_path_factory):
    why = node.missing()
    if why:
        pytest.skip(f"{why}: the JavaScript readers are skipped")
    try:
        return node.Tools(os.environ.get("TMPDIR") or tmp_path_factory.getbasetemp())
    except RuntimeError as exc:  # no npm registry: say so, as for a missing tool
        pytest.skip(f"the JavaScript readers could not be installed: {exc}")


@pytest.fixture(scope="module")
def graphml_edge_ids(files) -> set[str]:
    G = nx.read_graphml(files / "deepseek-kg.graphml")
    return {k for _, _, k in G.edges(keys=True)}


def test_gephi_lite_reads_a_static_gexf_with_its_numbers(js, files, numbers, graphml_edge_ids):
    """Regression: anchor offsets were written as GEXF's start/end (Gephi saw a dynamic graph of
    lifetimes and graphology-gexf dropped them); networkx's edge key leaked as ``networkx_key``."""
    g = js.read("read-gexf.js", files / "deepseek-kg.gexf")
    assert (g["type"], g["multi"]) == ("directed", True)
    same_numbers(g["nodes"], numbers)
    assert all(g["nodes"][n]["quote"] == d["quote"] for n, d in numbers.items() if "quote" in d)
    assert set(g["edges"]) == graphml_edge_ids  # the same stable edge ids as the GraphML
    assert not any("networkx_key" in e for e in g["edges"].values())
    G = nx.read_gexf(files / "deepseek-kg.gexf")
    assert G.graph["mode"] == "static"  # what Gephi reads from the <graph> element


def test_igraph_reads_the_graphml_numbers(files, numbers, graphml_edge_ids, monkeypatch):
    monkeypatch.chdir(files)
    scope: dict = {}
    exec(snippet("igraph"), scope)
    g = scope["g"]
    nodes = {v["id"]: {k: v[k] for k in ("quote_start", "quote_end", "value") if v[k] == v[k]} for v in g.vs}
    same_numbers(nodes, numbers)
    assert g.is_directed() and g.ecount() == len(graphml_edge_ids)


def test_networkx_reads_node_link_and_graphml_alike(files, numbers, monkeypatch):
    monkeypatch.chdir(files)
    scope: dict = {}
    exec(snippet("networkx"), scope)
    G, H = scope["G"], scope["H"]
    same_numbers(dict(G.nodes(data=True)), numbers)
    assert set(G.edges(keys=True)) == set(H.edges(keys=True))  # the same stable edge ids


def test_cytoscape_js_keeps_numbers_and_edge_ids(js, files, numbers, graphml_edge_ids):
    """Regression: each quantity's ``value`` was overwritten by the node id, and edges had no id
    (cytoscape.js invented new ones at every load)."""
    cy = js.read("read-cytoscape.js", CYTOSCAPE_JS, files / "deepseek-kg.cyjs")
    same_numbers(cy["nodes"], numbers)
    assert cy["same_edge_ids"] and set(cy["edges"]) == graphml_edge_ids
    assert all(d["name"] for d in cy["nodes"].values())


def test_kuzu_imports_the_csvs_with_default_options(files, numbers, monkeypatch):
    """Regression: Kuzu's default (parallel) CSV reader refused the quoted line breaks of the
    essay's text; now no value spans lines and the offsets still index fullText."""
    kuzu = pytest.importorskip("kuzu")
    monkeypatch.chdir(files)
    scope: dict = {}
    exec(snippet("kuzu"), scope)  # raises if Kuzu refuses the files
    conn = scope["conn"]

    def rows(q):
        res = conn.execute(q)
        out = []
        while res.has_next():
            out.append(res.get_next())
        return out

    G = nx.read_graphml(files / "deepseek-kg.graphml")
    assert rows("MATCH (n:Resource) RETURN count(n)") == [[G.number_of_nodes()]]
    assert rows("MATCH ()-[l:Link]->() RETURN count(l)") == [[G.number_of_edges()]]
    got = {n: {"quote_start": s, "quote_end": e, "value": v} for n, s, e, v in
           rows("MATCH (n:Resource) RETURN n.uri, n.quote_start, n.quote_end, n.value")}
    same_numbers({n: {k: v for k, v in d.items() if v is not None} for n, d in got.items()}, numbers)
    # the quotes are the essay's text at their offsets, inside Kuzu (substring is 1-based)
    mismatched = rows("MATCH (e:Resource), (n:Resource) WHERE e.fullText IS NOT NULL AND n.quote IS NOT NULL "
                      "AND substring(e.fullText, n.quote_start + 1, n.quote_end - n.quote_start) <> n.quote "
                      "RETURN n.uri")
    assert mismatched == [] and rows("MATCH (n:Resource) WHERE n.quote IS NOT NULL RETURN count(n)")[0][0] > 200
    assert kuzu.__version__
