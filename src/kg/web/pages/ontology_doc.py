"""The ontology's documentation, generated from the ontology graph in the store."""
from __future__ import annotations

from ...namespaces import DSK, PREFIXES
from ...sources import ONTOLOGY_GRAPH
from .model import Catalog, rows

_SECTIONS = [("Classes", "owl:Class"), ("Object properties", "owl:ObjectProperty"),
             ("Datatype properties", "owl:DatatypeProperty"), ("Concept schemes", "skos:ConceptScheme"),
             ("Named individuals", "owl:NamedIndividual")]


def document(store, cat: Catalog) -> dict:
    head = rows(store, f"""SELECT ?o ?title ?desc ?version WHERE {{ GRAPH <{ONTOLOGY_GRAPH}> {{
        ?o a owl:Ontology OPTIONAL {{ ?o dcterms:title ?title }} OPTIONAL {{ ?o dcterms:description ?desc }}
        OPTIONAL {{ ?o owl:versionInfo ?version }} }} }} LIMIT 1""")
    info = {k: v.value for k, v in head[0].items()} if head else {}
    terms: dict[str, dict] = {}
    for r in rows(store, f"""SELECT ?t ?kind ?def ?p ?v WHERE {{ GRAPH <{ONTOLOGY_GRAPH}> {{
            ?t a/rdfs:subClassOf* ?kind FILTER(STRSTARTS(STR(?t), "{DSK}"))  # dsk:ValueScheme: a concept scheme
            OPTIONAL {{ ?t skos:definition|rdfs:comment ?def }}
            OPTIONAL {{ ?t ?p ?v VALUES ?p {{ rdfs:subClassOf rdfs:subPropertyOf rdfs:domain rdfs:range
                                               skos:inScheme owl:inverseOf }} FILTER(isIRI(?v)) }} }} }}"""):
        t = terms.setdefault(r["t"].value, {"iri": r["t"].value, "kinds": set(), "definition": "",
                                              "rels": {}})
        t["kinds"].add(r["kind"].value)
        if "def" in r:
            t["definition"] = r["def"].value
        if "p" in r:
            vals = t["rels"].setdefault(r["p"].value, [])
            if r["v"].value not in vals:
                vals.append(r["v"].value)
    sections = []
    for title, kind in _SECTIONS:
        prefix, local = kind.split(":")
        kind_iri = str(PREFIXES[prefix]) + local
        items = [t for t in terms.values() if kind_iri in t["kinds"]]
        seen_before = {x["iri"] for _, xs in sections for x in xs}
        items = [t for t in items if t["iri"] not in seen_before]
        items.sort(key=lambda t: cat.label(t["iri"]).casefold())
        if items:
            sections.append((title, items))
    return {"info": info, "sections": sections}


__all__ = ["document"]
