"""The query UI (YASGUI with the competency queries as tabs) and the causal map (cytoscape.js)."""
from __future__ import annotations

from flask import jsonify, request, url_for

from ...queries import named_queries
from .base import bp, cat, href, render, store
from .model import rows

YASGUI = "yasgui-4.6.2"
CYTOSCAPE = "cytoscape-3.35.0"
DAGRE = "cytoscape-dagre-4.0.1"     # the layout: deterministic, layered (bundles @dagrejs/dagre)


@bp.route("/query")
def query_ui():
    """YASGUI with one tab and the competency queries in a menu (``?example=slug`` opens one);
    ``?q=`` (a link with a query in it) opens as "Your query"."""
    tabs = [{"name": q.title, "query": q.text, "slug": q.slug} for q in named_queries()]
    given = request.args.get("q", "").strip()
    if given:
        tabs.insert(0, {"name": "Your query", "query": given, "slug": "given"})
    chosen = request.args.get("example", "")
    chosen = chosen if any(t["slug"] == chosen for t in tabs) else (tabs[0]["slug"] if tabs else "")
    tabs.sort(key=lambda t: t["slug"] != chosen)     # the chosen query first (also the no-JS form's)
    return render("query.html", tabs=tabs, chosen=chosen, endpoint=url_for("sparql.sparql").rstrip("/") or "/sparql", yasgui=YASGUI,
                  twins=[(url_for("sparql.sparql", format="turtle"), "text/turtle", "service description")])


def map_data() -> dict:
    """Nodes and edges of the causal map: causal assertions and argument relations."""
    c = cat()
    nodes: dict[str, dict] = {}
    edges = []

    def node(iri: str) -> str:
        if iri not in nodes:
            group, name = node_kind(c, iri)
            nodes[iri] = {"id": iri, "label": c.label(iri), "href": href(iri), "kind": name, "group": group}
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
    seen, unique = {}, []
    for e in edges:  # a node with two viewpoints comes back twice: one edge, both viewpoints
        if e["id"] in seen:
            seen[e["id"]]["viewpoints"] = sorted(set(seen[e["id"]]["viewpoints"]) | set(e["viewpoints"]))
            continue
        seen[e["id"]] = e
        unique.append(e)
    for e in unique:   # an argument bears on the viewpoints its conclusion is said within
        if e["kind"] != "causal":
            e["viewpoints"] = sorted(set(e["viewpoints"]) | set(c.viewpoints_of.get(e["target"], []))
                                     | ({e["target"]} if nodes[e["target"]]["group"] == "viewpoint" else set()))
    unique.sort(key=lambda e: e["id"])
    return {"nodes": sorted(nodes.values(), key=lambda n: n["id"]), "edges": unique}


#: node groups on the map, by ontology class (first that fits); colours and shapes live in map.js
MAP_GROUPS = [("ThesisPoint", "thesis"), ("Viewpoint", "viewpoint"), ("Claim", "claim"), ("Event", "event"),
              *((cls, "actor") for cls in ("Agent", "Person", "Organization", "Company", "InvestmentFund", "MediaOutlet",
                                           "GovernmentBody", "AcademicInstitution", "State", "Group"))]


def node_kind(c, iri: str) -> tuple[str, str]:
    """(group, reader's name) of a map node: claim, viewpoint, event, actor, concept or other."""
    from ...namespaces import DSK
    types = c.kind(iri)
    name = c.label(types[0]) if types else ""
    for cls, group in MAP_GROUPS:
        if str(DSK) + cls in types:
            return group, name
    if "http://www.w3.org/2004/02/skos/core#Concept" in types:
        return "concept", name or "concept"
    return "other", name


def _edge(c, kind, iri, source, target, r, polarity_key) -> dict:
    anchors = c.by_node.get(iri, [])
    pol = r[polarity_key].value.rsplit("#", 1)[-1] if polarity_key and polarity_key in r else kind
    return {"id": iri, "source": source, "target": target, "kind": kind, "polarity": pol,
            "label": c.label(iri), "href": href(iri),
            "by": r["by"].value if "by" in r else "", "byLabel": c.label(r["by"].value) if "by" in r else "",
            "viewpoint": r["viewpoint"].value if "viewpoint" in r else "",
            "viewpointLabel": c.label(r["viewpoint"].value) if "viewpoint" in r else "",
            "viewpoints": [r["viewpoint"].value] if "viewpoint" in r else [],
            "modality": r["modality"].value.rsplit("#", 1)[-1] if "modality" in r else "",
            "quote": anchors[0].exact if anchors else "",
            "reader": url_for("pages.reader") + "#" + anchors[0].key if anchors else ""}


@bp.route("/map.json")
def map_json():
    return jsonify(map_data())


@bp.route("/map")
def causal_map():
    """The map opens on one viewpoint (``?viewpoint=IRI``, else the first the essay discusses)."""
    c = cat()
    data = map_data()
    asserters = sorted({(e["by"], e["byLabel"]) for e in data["edges"] if e["by"]}, key=lambda x: x[1].casefold())
    first = {}
    for a in c.anchors:
        first.setdefault(a.node, a.start)
    vps = sorted({v for e in data["edges"] for v in e["viewpoints"]}, key=lambda v: (first.get(v, 10 ** 9), v))
    viewpoints = [(v, c.label(v), sum(1 for e in data["edges"] if v in e["viewpoints"])) for v in vps]
    want = request.args.get("viewpoint", "")
    chosen = want if want in vps or want == "all" else (vps[0] if vps else "all")
    return render("map.html", data=data, asserters=asserters, viewpoints=viewpoints, chosen=chosen,
                  cytoscape=CYTOSCAPE, dagre=DAGRE, groups=GROUP_NAMES,
                  twins=[(url_for("pages.map_json"), "application/json", "json")])


GROUP_NAMES = [("viewpoint", "viewpoint"), ("thesis", "thesis point"), ("claim", "claim"), ("actor", "actor"),
               ("concept", "concept"), ("event", "event"), ("other", "other")]


__all__ = ["map_data", "node_kind", "YASGUI", "CYTOSCAPE", "DAGRE"]
