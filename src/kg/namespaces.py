"""The IRIs this project mints, in one place so no module spells them twice."""
from rdflib import Namespace

BASE = "https://w3id.org/deepseek-kg/"
DSK = Namespace(BASE + "ontology#")   # classes and properties
DS = Namespace(BASE + "id/")          # individuals: actors, claims, events, ...
GRAPH = Namespace(BASE + "graph/")    # named graphs
TEXT = Namespace(BASE + "text#")      # full-text search in SPARQL: text:search (magic property), text:matches

OA = Namespace("http://www.w3.org/ns/oa#")
PROV = Namespace("http://www.w3.org/ns/prov#")
SCHEMA = Namespace("https://schema.org/")
SEM = Namespace("http://semanticweb.cs.vu.nl/2009/11/sem/")
TIME = Namespace("http://www.w3.org/2006/time#")
ORG = Namespace("http://www.w3.org/ns/org#")
VOID = Namespace("http://rdfs.org/ns/void#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")

#: Prefixes written into every serialisation and offered to query writers.
PREFIXES = {
    "dsk": DSK, "ds": DS, "oa": OA, "prov": PROV, "schema": SCHEMA, "sem": SEM,
    "time": TIME, "org": ORG, "void": VOID,
    "rdf": Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#"),
    "rdfs": Namespace("http://www.w3.org/2000/01/rdf-schema#"),
    "owl": Namespace("http://www.w3.org/2002/07/owl#"),
    "xsd": Namespace("http://www.w3.org/2001/XMLSchema#"),
    "skos": Namespace("http://www.w3.org/2004/02/skos/core#"),
    "dcterms": Namespace("http://purl.org/dc/terms/"),
    "foaf": Namespace("http://xmlns.com/foaf/0.1/"),
    "sh": Namespace("http://www.w3.org/ns/shacl#"),
    "dcat": Namespace("http://www.w3.org/ns/dcat#"),
}


def curie(iri: str) -> str:
    """``iri`` as a prefixed name under the longest matching prefix of PREFIXES, else unchanged."""
    best = max(((p, str(ns)) for p, ns in PREFIXES.items() if iri.startswith(str(ns))),
               key=lambda pn: len(pn[1]), default=None)
    return f"{best[0]}:{iri[len(best[1]):]}" if best else iri

__all__ = ["BASE", "DSK", "DS", "GRAPH", "TEXT", "OA", "PROV", "SCHEMA", "SEM", "TIME", "ORG",
           "VOID", "SD", "PREFIXES", "curie"]

#: prefix -> namespace IRI as plain strings (what pyoxigraph's writers and the exports take)
PREFIX_MAP = {k: str(v) for k, v in PREFIXES.items()}
__all__ += ["PREFIX_MAP"]
