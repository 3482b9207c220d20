"""JSON-LD: the knowledge graph compacted with the project's published ``@context``.

The context (``context.jsonld`` next to this module, served at :data:`CONTEXT_URL`) is generated
from the ontology by :func:`build_context` and checked in; a test fails when it falls behind the
ontology (regenerate with ``kg export --format context --out src/kg/export/context.jsonld``).
It gives every ``dsk:`` term its local name (``claimant``, ``authorStance``, ``Claim``), controlled
values as bare words (``"authorStance": "rejects"``), and short keys for the outside terms the
data uses (``label``, ``exact``, ``start``, ``end``, ...). Values the context does not cover
still compact, to prefixed names, so nothing is lost.

The dump embeds the context inline, so it loads offline and "on the first try"; the same object
is what :data:`CONTEXT_URL` serves. Blank nodes used once (anchors, selectors, times,
participations) are nested inside their owner instead of floating at the top level.
"""
from __future__ import annotations

import json
from importlib import resources

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD

from ..namespaces import BASE, DSK, PREFIX_MAP
from .source import Source

__all__ = ["CONTEXT_URL", "build_context", "context_document", "context_bytes", "jsonld", "dumps"]

#: the stable address the context is published at (the web layer serves it at /context.jsonld)
CONTEXT_URL = BASE + "context.jsonld"

_NATIVE = {str(XSD.integer), str(XSD.boolean), str(XSD.string), str(RDF.langString)}

#: outside terms the data uses: key -> (IRI as prefixed name, coercion)
_EXTERNAL = {
    "label": ("rdfs:label", {"@language": "en"}),
    "comment": ("rdfs:comment", {"@language": "en"}),
    "seeAlso": ("rdfs:seeAlso", {"@type": "@id"}),
    "definition": ("skos:definition", {"@language": "en"}),
    "prefLabel": ("skos:prefLabel", {"@language": "en"}),
    "altLabel": ("skos:altLabel", {"@language": "en"}),
    "inScheme": ("skos:inScheme", {"@type": "@id"}),
    "broader": ("skos:broader", {"@type": "@id"}),
    "title": ("dcterms:title", {"@language": "en"}),
    "publisher": ("dcterms:publisher", {"@type": "@id"}),
    "creator": ("dcterms:creator", {}),
    "issued": ("dcterms:issued", {}),
    "license": ("dcterms:license", {"@type": "@id"}),
    "source": ("dcterms:source", {"@type": "@id"}),
    "hasSource": ("oa:hasSource", {"@type": "@id"}),
    "hasSelector": ("oa:hasSelector", {"@type": "@id"}),
    "exact": ("oa:exact", {}),
    "start": ("oa:start", {}),
    "end": ("oa:end", {}),
    "SpecificResource": ("oa:SpecificResource", None),
    "TextQuoteSelector": ("oa:TextQuoteSelector", None),
    "TextPositionSelector": ("oa:TextPositionSelector", None),
    "Instant": ("time:Instant", None),
    "Interval": ("time:Interval", None),
    "hasBeginning": ("time:hasBeginning", {"@type": "@id"}),
    "hasEnd": ("time:hasEnd", {"@type": "@id"}),
    "unitType": ("time:unitType", {"@type": "@vocab"}),
    "inXSDgYear": ("time:inXSDgYear", {"@type": "xsd:gYear"}),
    "inXSDgYearMonth": ("time:inXSDgYearMonth", {"@type": "xsd:gYearMonth"}),
    "inXSDDate": ("time:inXSDDate", {"@type": "xsd:date"}),
    "unitYear": ("time:unitYear", None),
    "unitMonth": ("time:unitMonth", None),
    "unitDay": ("time:unitDay", None),
}


def _prefixed(iri: str) -> str:
    for p in sorted(PREFIX_MAP, key=lambda k: -len(PREFIX_MAP[k])):
        if iri.startswith(PREFIX_MAP[p]):
            return f"{p}:{iri[len(PREFIX_MAP[p]):]}"
    return iri


def build_context(ontology: Graph) -> dict:
    """The ``@context`` object for ``ontology`` (deterministic: keys sorted)."""
    ctx: dict = {"id": "@id", "type": "@type"}
    ctx.update(PREFIX_MAP)
    terms: dict[str, object] = {}
    controlled = {c for i in ontology.subjects(RDF.type, OWL.NamedIndividual)
                  for c in ontology.objects(i, RDF.type) if c != OWL.NamedIndividual}
    subjects = sorted({s for s in ontology.subjects() if isinstance(s, URIRef) and str(s).startswith(str(DSK))})
    for s in subjects:
        name = str(s)[len(str(DSK)):]
        if not name or name in ctx:
            continue
        types = set(ontology.objects(s, RDF.type))
        iri = "dsk:" + name
        if OWL.ObjectProperty in types:
            # controlled values (stances, units, ...) as bare words; everything else as IRIs, which
            # also lets blank nodes nest (a "@vocab" term does not match an embedded node)
            closed = any(r in controlled for r in ontology.objects(s, RDFS.range))
            terms[name] = {"@id": iri, "@type": "@vocab" if closed else "@id"}
        elif OWL.DatatypeProperty in types:
            ranges = {str(r) for r in ontology.objects(s, RDFS.range) if isinstance(r, URIRef)}
            rng = next(iter(ranges)) if len(ranges) == 1 else None
            if rng and rng.startswith(str(XSD)) and rng not in _NATIVE:
                terms[name] = {"@id": iri, "@type": _prefixed(rng)}
            else:
                terms[name] = iri
        elif types & {OWL.Class, RDFS.Class, OWL.NamedIndividual} or types:
            terms[name] = iri
    for name, (iri, coercion) in _EXTERNAL.items():
        if name in terms or name in ctx:
            continue
        terms[name] = {"@id": iri, **coercion} if coercion else iri
    ctx.update(sorted(terms.items()))
    return {"@context": ctx}


def context_bytes() -> bytes:
    """The published context file, as served."""
    return resources.files(__package__).joinpath("context.jsonld").read_bytes()


def context_document() -> dict:
    return json.loads(context_bytes())


def dumps(obj) -> bytes:
    return (json.dumps(obj, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _nativise(value: dict) -> dict:
    """xsd:integer / xsd:boolean in canonical form -> JSON numbers / booleans (same triples back)."""
    t, v = value.get("@type"), value.get("@value")
    if t == str(XSD.integer) and isinstance(v, str) and v.lstrip("-").isdigit() and str(int(v)) == v:
        return {"@value": int(v)}
    if t == str(XSD.boolean) and v in ("true", "false"):
        return {"@value": v == "true"}
    return value


def _embed(nodes: list[dict]) -> list[dict]:
    """Nest blank nodes referenced exactly once inside their referrer (their label then goes)."""
    by_id = {n["@id"]: n for n in nodes}
    refs: dict[str, int] = {}
    for n in nodes:
        for k, vs in n.items():
            if k.startswith("@") and k != "@list":
                continue
            for v in vs if isinstance(vs, list) else []:
                for item in v.get("@list", [v]) if isinstance(v, dict) else []:
                    if isinstance(item, dict) and item.get("@id", "").startswith("_:") and len(item) == 1:
                        refs[item["@id"]] = refs.get(item["@id"], 0) + 1
    embedded: set[str] = set()

    def nest(node: dict, stack: frozenset) -> dict:
        out = {}
        for k, vs in node.items():
            if k.startswith("@"):
                out[k] = vs
                continue
            out[k] = [_nest_value(v, stack) for v in vs]
        return out

    def _nest_value(v, stack):
        if not isinstance(v, dict):
            return v
        if "@list" in v:
            return {"@list": [_nest_value(x, stack) for x in v["@list"]]}
        if "@value" in v:
            return _nativise(v)
        i = v.get("@id", "")
        if (len(v) == 1 and i.startswith("_:") and refs.get(i) == 1 and i in by_id
                and i not in stack and i not in embedded):
            embedded.add(i)
            child = {k: x for k, x in by_id[i].items() if k != "@id"}
            return nest(child, stack | {i})
        return v

    roots = [n for n in nodes if not n["@id"].startswith("_:") or refs.get(n["@id"]) != 1]
    out = [nest(n, frozenset({n["@id"]})) for n in roots]
    for n in nodes:  # single-referenced blank nodes in a cycle: keep them at the top level
        if n["@id"].startswith("_:") and refs.get(n["@id"]) == 1 and n["@id"] not in embedded:
            embedded.add(n["@id"])
            out.append(nest(n, frozenset({n["@id"]})))
    return out


def _expanded(triples) -> list[dict]:
    """Expanded JSON-LD node objects, one per subject in sorted order (pyld's own fromRdf spends
    seconds parsing N-Quads; the triples are already parsed). rdf:type -> ``@type``; lists stay
    rdf:first/rest nodes (nested by :func:`_embed`), which is the same RDF."""
    nodes: dict[str, dict] = {}
    rdf_type = str(RDF.type)

    def ref(t):
        return t.value if isinstance(t, ox.NamedNode) else "_:" + t.value

    for t in triples:
        node = nodes.setdefault(ref(t.subject), {"@id": ref(t.subject)})
        p, o = t.predicate.value, t.object
        if p == rdf_type and not isinstance(o, ox.Literal):
            node.setdefault("@type", []).append(ref(o))
        elif isinstance(o, ox.Literal):
            if o.language:
                v = {"@value": o.value, "@language": o.language}
            elif o.datatype.value == str(XSD.string):
                v = {"@value": o.value}
            else:
                v = {"@value": o.value, "@type": o.datatype.value}
            node.setdefault(p, []).append(v)
        else:
            node.setdefault(p, []).append({"@id": ref(o)})
    return list(nodes.values())


def jsonld(src: Source) -> bytes:
    from pyld import jsonld as pyld

    compacted = pyld.compact(_embed(_expanded(src.canonical_union)), context_document(), {"compactArrays": True})
    return dumps(compacted)
