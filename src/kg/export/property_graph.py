"""The property-graph view, built once here and written by networkx (GraphML, GEXF, Cytoscape.js,
node-link JSON) and by :mod:`.neo4j` (CSV).

- **Nodes** are the graph's IRIs: every subject outside the ontology (``ds:``, the dataset, the
  essay...) and every IRI such a subject points to (controlled values like ``dsk:rejects``,
  concepts, licences). Attributes: ``iri``, ``label`` (the English ``rdfs:label``, else the IRI's
  local name), ``type`` (the most specific asserted class, ``dsk:`` first), ``labels`` (every
  asserted class, ``;``-separated) and one attribute per literal-valued predicate.
- **Literals are node attributes, never nodes**: typed numbers and booleans keep their type, other
  literals (dates, strings) are their lexical form; a predicate with several values on one node
  gives one string, the sorted values joined by `` | ``.
- **Predicates between IRIs are edges**; ``type`` (and ``label``) is the predicate's local name
  (``claimant``, ``authorStance``), ``predicate`` its IRI. Claims and causal assertions are IRIs,
  so they stay nodes and keep their claimant, stance and anchor.
- **Blank nodes are folded** into the node that points to them:
  anchors (``dsk:anchor``) become ``quote``, ``quote_start``, ``quote_end`` (a second anchor, in
  text order: ``quote_2``, ``quote_2_start``, ``quote_2_end``, ...; ``dsk:repeats``:
  ``repeats_quote``, ``repeats_quote_start``, ...; their ``oa:hasSource`` is always the essay and is
  left out; never bare ``start``/``end``, which GEXF reads as a node's lifetime); times (``dsk:when``) become
  ``date``, ``date_unit``, ``date_text`` (intervals: ``date_start``, ``date_end``, ...);
  participations become ``participant`` edges with a ``role`` attribute (the role's label) and
  ``role_iri``; any other blank node becomes ``<predicate>_<predicate>`` attributes (literals) and
  edges (IRIs). Blank nodes no IRI points to (ontology axioms) are left out.
- ``rdf:type`` gives ``type``/``labels``, not edges. The essay's full text (``fullText``) is an
  attribute of the essay node only.
- **Every edge has a stable id** (its key in the MultiDiGraph, ``e`` + a digest of source,
  predicate, target and attributes): GraphML, GEXF, Cytoscape.js and node-link JSON all carry it,
  so a tool that loads the graph twice sees the same edges, and an unchanged statement keeps its
  id when the data changes elsewhere.
"""
from __future__ import annotations

import hashlib
import io
import json
from collections import defaultdict
from decimal import Decimal

import networkx as nx
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS, XSD

from ..namespaces import BASE, DSK, OA, PREFIX_MAP, TIME

__all__ = ["build", "graphml", "gexf", "cytoscape", "node_link", "local_name"]

ONTOLOGY_IRI = BASE + "ontology"
_META = (str(OWL), str(RDFS), str(RDF))
_INTS = {XSD.integer, XSD.int, XSD.long, XSD.short, XSD.nonNegativeInteger, XSD.positiveInteger,
         XSD.negativeInteger, XSD.nonPositiveInteger, XSD.unsignedInt, XSD.unsignedLong}
_FLOATS = {XSD.decimal, XSD.double, XSD.float}
_TIME_VALUE = {TIME.inXSDgYear, TIME.inXSDgYearMonth, TIME.inXSDDate, TIME.inXSDDateTime,
               TIME.inXSDDateTimeStamp}
_TIME_RENAME = {TIME.unitType: "unit", DSK.dateText: "text", TIME.hasBeginning: "start", TIME.hasEnd: "end"}
#: attribute names a predicate never gets (they get its prefix, ``dsk_start``): ours, and the names
#: GEXF gives a meaning of its own (a node's lifetime ``start``/``end``, ``pid``, ``spells``, ...)
RESERVED = {"iri", "label", "type", "labels", "predicate", "id", "start", "end", "pid", "spells", "viz",
            "weight", "key"}
JOIN = " | "


def local_name(iri: str) -> str:
    """``https://w3id.org/deepseek-kg/ontology#authorStance`` -> ``authorStance``."""
    stripped = iri.rstrip("#/")
    cut = max(stripped.rfind("#"), stripped.rfind("/"), stripped.rfind(":"))
    return stripped[cut + 1:] or iri


def _prefix_of(iri: str) -> str:
    best = max((ns for ns in PREFIX_MAP.values() if iri.startswith(ns)), key=len, default=None)
    return next(k for k, v in PREFIX_MAP.items() if v == best) if best else "ns"


def _names(iris) -> dict[URIRef, str]:
    """Readable, unique names: the local name; on a clash the ``dsk:`` term keeps it and the
    others become ``prefix_local`` (``dsk:description`` -> ``description``, ``dcterms:description``
    -> ``dcterms_description``), so a new outside term never renames an existing one."""
    by_local = defaultdict(set)
    for i in iris:
        by_local[local_name(str(i))].add(i)
    out = {RDFS.label: "label"}
    for name, group in by_local.items():
        for i in group:
            if i == RDFS.label:
                continue
            plain = str(i).startswith(str(DSK)) or (len(group) == 1 and name not in RESERVED)
            out[i] = name if plain and name not in RESERVED else f"{_prefix_of(str(i))}_{name}"
    return out


def _value(lit: Literal):
    dt = lit.datatype
    try:
        if dt in _INTS:
            return int(lit)
        if dt in _FLOATS:
            return float(Decimal(str(lit))) if dt == XSD.decimal else float(lit)
        if dt == XSD.boolean:
            return str(lit).strip().lower() in ("true", "1")
    except (ValueError, ArithmeticError):
        pass
    return str(lit)


def _is_schema(g: Graph, s) -> bool:
    if str(s).startswith(str(DSK)) or str(s) == ONTOLOGY_IRI:
        return True
    return any(isinstance(t, URIRef) and str(t).startswith(_META) and t != OWL.NamedIndividual
               for t in g.objects(s, RDF.type))


def _label(g: Graph, n) -> str:
    labels = sorted(g.objects(n, RDFS.label), key=lambda lit: (getattr(lit, "language", None) not in ("en", None), str(lit)))
    labels = labels or sorted(g.objects(n, SKOS.prefLabel), key=str)
    return str(labels[0]) if labels else local_name(str(n))


def build(g: Graph) -> nx.MultiDiGraph:
    """The property-graph view of ``g`` (see the module docstring), nodes and edges in sorted order."""
    names = _names({p for p in g.predicates() if isinstance(p, URIRef)})
    roots = sorted({s for s in g.subjects() if isinstance(s, URIRef) and not _is_schema(g, s)})
    props: dict[URIRef, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    edges: list[tuple[str, str, dict]] = []
    nodes: set[URIRef] = set(roots)

    def edge(s, o, p, extra=None):
        nodes.add(o)
        edges.append((s, o, {"type": names[p] if p in names else local_name(str(p)),
                             "predicate": str(p), **(extra or {})}))

    anchors: dict[tuple, list] = defaultdict(list)  # (owner, key) -> [(start, end, quote)]

    def fold_anchor(owner, key, b):
        found = {}
        for sel in g.objects(b, OA.hasSelector):
            for q, leaf in (("quote", OA.exact), ("start", OA.start), ("end", OA.end)):
                for lit in g.objects(sel, leaf):
                    found[q] = _value(lit)
        anchors[(owner, key)].append((found.get("start", -1), found.get("end", -1), found.get("quote", "")))

    def fold_generic(owner, key, b, seen, time_like):
        for q, o in sorted(g.predicate_objects(b)):
            if q == RDF.type:
                continue
            if time_like and q in _TIME_VALUE:
                sub = key
            else:
                part = _TIME_RENAME.get(q) if time_like else None
                sub = f"{key}_{part or names.get(q, local_name(str(q)))}"
            if isinstance(o, Literal):
                props[owner][sub].append(_value(o))
            elif isinstance(o, BNode):
                if o not in seen:
                    fold_generic(owner, sub, o, seen | {o}, time_like)
            elif time_like and q == TIME.unitType:
                props[owner][sub].append(local_name(str(o)))
            else:
                edges.append((owner, o, {"type": sub, "predicate": str(q)}))
                nodes.add(o)

    def fold(owner, p, b):
        if (b, DSK.participant, None) in g:
            extra = {}
            for q, o in sorted(g.predicate_objects(b)):
                if q in (RDF.type, DSK.participant):
                    continue
                if q == DSK.role:
                    extra.setdefault("role", []).append(_label(g, o))
                    extra.setdefault("role_iri", []).append(str(o))
                elif isinstance(o, Literal):
                    extra.setdefault(names.get(q, local_name(str(q))), []).append(_value(o))
            flat = {k: v[0] if len(v) == 1 else JOIN.join(sorted(map(str, v))) for k, v in extra.items()}
            for x in sorted(g.objects(b, DSK.participant)):
                if isinstance(x, URIRef):
                    edge(owner, x, DSK.participant, flat)
        elif (b, OA.hasSelector, None) in g:
            fold_anchor(owner, "" if p == DSK.anchor else names[p] + "_", b)
        else:
            time_like = p == DSK.when or any(str(q).startswith(str(TIME)) for q in g.predicates(b))
            fold_generic(owner, "date" if p == DSK.when else names[p], b, frozenset({b}), time_like)

    for s in roots:
        for p, o in sorted(g.predicate_objects(s)):
            if p in (RDF.type, RDFS.label):  # label: the node's own `label` attribute
                continue
            if isinstance(o, Literal):
                props[s][names[p]].append(_value(o))
            elif isinstance(o, BNode):
                fold(s, p, o)
            elif p == TIME.unitType:   # a dated node with an IRI (the publication date): unit, as in dates
                props[s]["unit"].append(local_name(str(o)))
            else:
                edge(s, o, p)

    # one anchor: quote/quote_start/quote_end; more: the first in text order as those, the next as
    # quote_2/quote_2_start/quote_2_end, ... (numbers stay numbers)
    for (owner, key), found in anchors.items():
        for i, (start, end, quote) in enumerate(sorted(found)):
            name = key + "quote" + ("" if i == 0 else f"_{i + 1}")
            for attr, v in ((name, quote), (name + "_start", start), (name + "_end", end)):
                if v not in ("", -1):
                    props[owner][attr].append(v)

    G = nx.MultiDiGraph()
    for n in sorted(nodes):
        if not isinstance(n, URIRef):
            continue
        attrs: dict = {"iri": str(n), "label": _label(g, n)}
        types = sorted({t for t in g.objects(n, RDF.type) if isinstance(t, URIRef) and t != OWL.NamedIndividual})
        specific = [t for t in types if not any(u != t and (u, RDFS.subClassOf * "+", t) in g for u in types)]
        specific.sort(key=lambda t: (not str(t).startswith(str(DSK)), local_name(str(t))))
        attrs["type"] = local_name(str(specific[0])) if specific else "Resource"
        attrs["labels"] = ";".join(sorted({local_name(str(t)) for t in types})) or "Resource"
        if n not in props:  # a value the data points to (dsk:rejects, a licence): its literals too
            for p, o in g.predicate_objects(n):
                if isinstance(o, Literal) and p in names and p != RDFS.label:
                    props[n][names[p]].append(_value(o))
        for k, vs in sorted(props.get(n, {}).items()):
            attrs[k] = vs[0] if len(vs) == 1 else JOIN.join(sorted(map(str, set(vs))))
        G.add_node(str(n), **attrs)
    seen: dict[str, int] = defaultdict(int)
    for s, o, data in sorted(edges, key=lambda e: (str(e[0]), e[2]["type"], str(e[1]), json.dumps(e[2], sort_keys=True))):
        data = {"label": data["type"], **data}
        G.add_edge(str(s), str(o), key=_edge_id(str(s), str(o), data, seen), **data)
    _uniform_types(G)
    return G


def _edge_id(s: str, o: str, data: dict, seen: dict[str, int]) -> str:
    """``e`` + 16 hex digits of the edge's content; a repeat of the same content gets ``-2``, ``-3``."""
    digest = hashlib.blake2b(json.dumps([s, o, data], sort_keys=True, default=str).encode(), digest_size=8).hexdigest()
    seen[digest] += 1
    return f"e{digest}" + (f"-{seen[digest]}" if seen[digest] > 1 else "")


def _uniform_types(G: nx.MultiDiGraph) -> None:
    """One value type per attribute key (GraphML and GEXF declare a type per key): mixed -> str."""
    for items in ([d for _, d in G.nodes(data=True)], [d for _, _, d in G.edges(data=True)]):
        kinds = defaultdict(set)
        for d in items:
            for k, v in d.items():
                kinds[k].add(type(v))
        for k, ts in kinds.items():
            if len(ts) > 1:
                for d in items:
                    if k in d:
                        d[k] = str(d[k]).lower() if isinstance(d[k], bool) else str(d[k])


def graphml(G: nx.MultiDiGraph) -> bytes:
    buf = io.BytesIO()
    nx.write_graphml(G, buf, encoding="utf-8", prettyprint=True)
    return buf.getvalue()


def gexf(G: nx.MultiDiGraph) -> bytes:
    """GEXF 1.2, a static graph. GEXF reserves an edge's ``type`` (directed/undirected), so the edge
    type is written as ``relation`` (and as the edge label); the edge's id is its stable key, and
    networkx's own copy of that key (a ``networkx_key`` attribute) is left out."""
    from networkx.readwrite.gexf import GEXFWriter
    G = G.copy()
    for _, _, k, d in G.edges(keys=True, data=True):
        d["relation"] = d.pop("type")
        d["id"] = k
    w = GEXFWriter(encoding="utf-8", prettyprint=True)
    meta = w.xml.find("meta")
    if meta is not None:  # networkx stamps today's date; the dump must not change by the day
        meta.attrib.pop("lastmodifieddate", None)
    w.add_graph(G)
    _drop_attribute(w.xml, "networkx_key")
    if w.graph_element.get("mode") != "static":  # an attribute named as GEXF's time (start/end) slipped in
        raise ValueError("the property graph would be written as a dynamic GEXF graph")
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


def _drop_attribute(root, title: str) -> None:
    """Remove an attribute's declaration and every value of it from a GEXF tree."""
    for attributes in root.iter("attributes"):
        for decl in [a for a in attributes.findall("attribute") if a.get("title") == title]:
            attributes.remove(decl)
            for values in root.iter("attvalues"):
                for v in [v for v in values.findall("attvalue") if v.get("for") == decl.get("id")]:
                    values.remove(v)


def _json(obj) -> bytes:
    return (json.dumps(obj, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def cytoscape(G: nx.MultiDiGraph) -> bytes:
    """Cytoscape.js elements JSON (`.cyjs`: Cytoscape desktop's File > Import > Network from File).

    Written here, not by ``nx.cytoscape_data``: that writes each node's key into ``value`` (a
    quantity's number lost) and gives edges no id (cytoscape.js invents new ones at every load).
    Nodes: ``id`` (the IRI), ``name`` (the label) and their attributes; edges: ``id`` (the stable
    key), ``source``, ``target`` and their attributes."""
    nodes = [{"data": {**d, "id": n, "name": d.get("label", n)}} for n, d in G.nodes(data=True)]
    edges = [{"data": {**d, "id": k, "source": u, "target": v}} for u, v, k, d in G.edges(keys=True, data=True)]
    return _json({"data": {}, "directed": True, "multigraph": True, "elements": {"nodes": nodes, "edges": edges}})


def node_link(G: nx.MultiDiGraph) -> bytes:
    """NetworkX node-link JSON: ``nx.node_link_graph(json.load(f), edges="edges")`` reads it back."""
    return _json(nx.node_link_data(G, edges="edges"))
