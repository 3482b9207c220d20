"""The SPARQL 1.1 Service Description of /sparql, with a VoID description of the dataset."""
from __future__ import annotations


from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from ..namespaces import PREFIXES, PROV, SD, VOID
from ..sources import INFERRED_GRAPH, ONTOLOGY_GRAPH
from ..store import Store
from .conneg import FORMATS

FORMATS_NS = "http://www.w3.org/ns/formats/"
_W3C_FORMAT = {s.name: s.w3c for s in FORMATS if s.w3c}
RDFLIB_FORMAT = {s.name: s.rdflib for s in FORMATS if s.kind == "graph"}


def _count(store: Store, query: str) -> int:
    return int(next(iter(store.query(query)))["n"].value)


def statistics(store: Store) -> dict:
    """VoID figures over the union default graph, and triples per named graph."""
    return {
        "triples": _count(store, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"),
        "classes": _count(store, "SELECT (COUNT(DISTINCT ?c) AS ?n) { ?s a ?c }"),
        "properties": _count(store, "SELECT (COUNT(DISTINCT ?p) AS ?n) { ?s ?p ?o }"),
        "subjects": _count(store, "SELECT (COUNT(DISTINCT ?s) AS ?n) { ?s ?p ?o }"),
        "objects": _count(store, "SELECT (COUNT(DISTINCT ?o) AS ?n) { ?s ?p ?o }"),
        "graphs": {g: store.triple_count(g) for g in store.named_graphs()},
    }


def description(store: Store, stats: dict, root: str, *, timeout: float, max_rows: int,
                writable: bool = False) -> Graph:
    g = Graph()
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns)
    g.bind("sd", SD)
    endpoint = URIRef(root + "sparql")
    g.add((endpoint, RDF.type, SD.Service))
    g.add((endpoint, SD.endpoint, endpoint))
    g.add((endpoint, SD.supportedLanguage, SD.SPARQL11Query))
    if writable:  # the write path is on (ALLOW_UPDATE): updates from curators with a write token
        g.add((endpoint, SD.supportedLanguage, SD.SPARQL11Update))
    g.add((endpoint, SD.feature, SD.UnionDefaultGraph))
    for f in FORMATS:
        if f.name in _W3C_FORMAT:
            g.add((endpoint, SD.resultFormat, URIRef(FORMATS_NS + _W3C_FORMAT[f.name])))
    g.add((endpoint, URIRef(PREFIXES["rdfs"] + "comment"), Literal(
        ("SPARQL Update and Graph Store writes (/rdf-graph-store) for bearer tokens with the write role, "
         "each checked against the SHACL shapes. " if writable else "Read-only. ") +
        f"Default graph = union of the named graphs unless the request names the dataset. "
        f"Time limit {timeout:g} s per query; at most {max_rows} rows per answer (cut answers say so). "
        f"SERVICE and LOAD are refused." + (
            f" The default graph includes <{INFERRED_GRAPH}>: what the ontology's axioms entail (subclasses, "
            "subproperties, inverses, symmetric properties, domains, ranges, property chains); infer=false, "
            "or FROM / default-graph-uri naming the other graphs, asks for the stated triples only."
            if INFERRED_GRAPH in stats["graphs"] else ""))))
    dataset, default = BNode("dataset"), URIRef(root + "sparql#default-graph")
    g.add((endpoint, SD.defaultDataset, dataset))
    g.add((dataset, RDF.type, SD.Dataset))
    g.add((dataset, RDF.type, VOID.Dataset))
    g.add((dataset, SD.defaultGraph, default))
    g.add((default, RDF.type, SD.Graph))
    g.add((dataset, VOID.sparqlEndpoint, endpoint))
    for key, prop in (("triples", VOID.triples), ("classes", VOID.classes), ("properties", VOID.properties),
                      ("subjects", VOID.distinctSubjects), ("objects", VOID.distinctObjects)):
        g.add((dataset, prop, Literal(stats[key], datatype=XSD.integer)))
    g.add((default, VOID.triples, Literal(stats["triples"], datatype=XSD.integer)))
    from .dumps import DUMP_FORMATS
    for f in DUMP_FORMATS:
        if f.kind in ("rdf", "ontology"):  # void:dataDump is for RDF dumps
            g.add((dataset, VOID.dataDump, URIRef(f"{root}dumps/{f.filename}")))
    for name, n in stats["graphs"].items():
        ng, graph = BNode(), BNode()
        g.add((dataset, SD.namedGraph, ng))
        g.add((ng, RDF.type, SD.NamedGraph))
        g.add((ng, SD.name, URIRef(name)))
        g.add((ng, SD.graph, graph))
        g.add((graph, RDF.type, SD.Graph))
        g.add((graph, VOID.triples, Literal(n, datatype=XSD.integer)))
        if name == INFERRED_GRAPH:
            _describe_inferred(g, ng, graph)
    return g


def _describe_inferred(g: Graph, ng, graph) -> None:
    """The inferred graph says what it is: derived from the ontology and the data, by which rules."""
    comment = URIRef(PREFIXES["rdfs"] + "comment")
    g.add((graph, URIRef(PREFIXES["dcterms"] + "title"), Literal("inferred triples", lang="en")))
    g.add((graph, comment, Literal(
        "Entailed by the ontology graph's axioms for the other graphs and not stated in them: rdfs:subClassOf "
        "and owl:equivalentClass (types), rdfs:subPropertyOf, owl:equivalentProperty, owl:inverseOf, "
        "owl:SymmetricProperty, rdfs:domain, rdfs:range and owl:propertyChainAxiom (the RDFS and OWL 2 RL "
        "rules for them: cax-sco, cax-eqc, prp-spo1, prp-eqp, prp-inv, prp-symp, prp-dom, prp-rng, prp-spo2). "
        "Kept current on every write. Derived data: the dumps leave it out. On the bundled data its types are exactly HermiT's.",
        lang="en")))
    g.add((graph, PROV.wasDerivedFrom, URIRef(ONTOLOGY_GRAPH)))
    g.add((ng, comment, Literal("derived: leave it out with infer=false", lang="en")))



def render(state, root: str, fmt: str) -> bytes:
    """The description for this host (root URL) in one of the graph formats; cached."""
    cache = state.memo("service-description", lambda _: {})
    if (root, fmt) not in cache:
        stats = state.memo("statistics", lambda st: statistics(st.store))
        g = description(state.store, stats, root, timeout=state.timeout, max_rows=state.max_rows,
                        writable=state.store.capabilities.writable)
        cache[(root, fmt)] = g.serialize(format=RDFLIB_FORMAT[fmt], encoding="utf-8")
    return cache[(root, fmt)]


__all__ = ["statistics", "description", "render", "RDFLIB_FORMAT"]
