"""The query UI (YASGUI with the competency queries as tabs) and the causal map (cytoscape.js)."""
from __future__ import annotations

from flask import jsonify, request, url_for

from ...queries import named_queries
from .base import bp, cat, href, render, store
from .model import rows

YASGUI = "yasgui-4.6.2"
CYTOSCAPE = "cytoscape-3.35.0"


@bp.route("/query")
def query_ui():
    """YASGUI with a tab per competency query; ``?q=`` (a link with a query in it) opens as the first tab."""
    tabs = [{"name": q.title, "query": q.text, "slug": q.slug} for q in named_queries()]
    given = request.args.get("q", "").strip()
    if given:
        tabs.insert(0, {"name": "Your query", "query": given, "slug": "given"})
    return render("query.html", tabs=tabs, endpoint=url_for("sparql.sparql").rstrip("/") or "/sparql", yasgui=YASGUI,
                  twins=[(url_for("sparql.sparql", format="turtle"), "text/turtle", "service description")])


def map_data() -> dict:
    """Nodes and edges of the causal map: causal assertions and argument relations."""
    c = cat()
    nodes: dict[str, dict] = {}
    edges = []

    def node(iri: str) -> str:
        if iri not in nodes:
            kinds = c.kind(iri)
            nodes[iri] = {"id": iri, "label": c.label(iri), "href": href(iri),
                          "kind": c.label(kinds[0]) if kinds else ""}
        return iri

    for r in rows(store(), """SELECT ?c ?cause ?effect ?polarity ?by ?modality ?viewpoint WHERE {
            ?c a dsk:CausalAssertion ; dsk:cause ?cause ; dsk:effect ?effect .
            OPTIONAL { ?c dsk:polarity ?polarity } OPTIONAL { ?c dsk:assertedBy ?by }
            OPTIONAL { ?c dsk:modality ?modality } OPTIONAL { ?c dsk:viewpoint ?viewpoint } }"""):
        edges.append(_edge(c, "causal", r["c"].value, node(r["cause"].value), node(r["effect"].value), r,
                           "polarity"))
    for r in rows(store(), """SELECT ?c ?kind ?premise ?conclusion ?by ?viewpoint WHERE {
            ?c a ?kind ; dsk:premise ?premise ; dsk:conclusion ?conclusion . VALUES ?kind { dsk:Support dsk:Attack }
            OPTIONAL { ?c dsk:arguedBy ?by } OPTIONAL { ?c dsk:viewpoint ?viewpoint } }"""):
        edges.append(_edge(c, "support" if r["kind"].value.endswith("Support") else "attack", r["c"].value,
                           node(r["premise"].value), node(r["conclusion"].value), r, None))
    seen, unique = set(), []
    for e in edges:  # a node with two viewpoints comes back twice
        if e["id"] not in seen:
            seen.add(e["id"])
            unique.append(e)
    return {"nodes": list(nodes.values()), "edges": unique}


def _edge(c, kind, iri, source, target, r, polarity_key) -> dict:
    anchors = c.by_node.get(iri, [])
    pol = r[polarity_key].value.rsplit("#", 1)[-1] if polarity_key and polarity_key in r else kind
    return {"id": iri, "source": source, "target": target, "kind": kind, "polarity": pol,
            "label": c.label(iri), "href": href(iri),
            "by": r["by"].value if "by" in r else "", "byLabel": c.label(r["by"].value) if "by" in r else "",
            "viewpoint": r["viewpoint"].value if "viewpoint" in r else "",
            "viewpointLabel": c.label(r["viewpoint"].value) if "viewpoint" in r else "",
            "modality": r["modality"].value.rsplit("#", 1)[-1] if "modality" in r else "",
            "quote": anchors[0].exact if anchors else "",
            "reader": url_for("pages.reader") + "#" + anchors[0].key if anchors else ""}


@bp.route("/map.json")
def map_json():
    return jsonify(map_data())


@bp.route("/map")
def causal_map():
    data = map_data()
    asserters = sorted({(e["by"], e["byLabel"]) for e in data["edges"] if e["by"]}, key=lambda x: x[1].casefold())
    viewpoints = sorted({(e["viewpoint"], e["viewpointLabel"]) for e in data["edges"] if e["viewpoint"]},
                        key=lambda x: x[1].casefold())
    return render("map.html", data=data, asserters=asserters, viewpoints=viewpoints, cytoscape=CYTOSCAPE,
                  twins=[(url_for("pages.map_json"), "application/json", "json")])


__all__ = ["map_data", "YASGUI", "CYTOSCAPE"]
