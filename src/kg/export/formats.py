"""The one table of export formats: name, media type, file suffix, file name, writer."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from . import jsonld, neo4j, property_graph as pg, rdf
from .source import Source

__all__ = ["Format", "FORMATS", "DUMP_NAMES"]


@dataclass(frozen=True)
class Format:
    name: str            # `kg export --format NAME`
    media_type: str      # without parameters
    suffix: str          # file suffix, no dot
    filename: str        # the dump's file name (/dumps/<filename>)
    writer: Callable[[Source], bytes]
    kind: str            # rdf | ontology | property-graph | neo4j | context
    title: str           # one line for listings
    needs_java: bool = False

    @property
    def content_type(self) -> str:
        """The Content-Type header: text and JSON types say UTF-8."""
        textual = self.media_type.startswith("text/") or self.media_type.endswith(("json", "+xml", "/trig", "/n-quads", "/n-triples"))
        return f"{self.media_type}; charset=utf-8" if textual else self.media_type


def _pg(fn):
    return lambda src: fn(src.property_graph)


_ROWS = [
    # name, media type, suffix, file name, writer, kind, title
    ("turtle", "text/turtle", "ttl", "deepseek-kg.ttl", rdf.turtle, "rdf",
     "Turtle: ontology + essay data (the knowledge graph)"),
    ("ntriples", "application/n-triples", "nt", "deepseek-kg.nt", rdf.ntriples, "rdf",
     "N-Triples: ontology + essay data"),
    ("rdfxml", "application/rdf+xml", "rdf", "deepseek-kg.rdf", rdf.rdfxml, "rdf",
     "RDF/XML: ontology + essay data"),
    ("jsonld", "application/ld+json", "jsonld", "deepseek-kg.jsonld", jsonld.jsonld, "rdf",
     "JSON-LD, compacted with the published @context: ontology + essay data"),
    ("nquads", "application/n-quads", "nq", "deepseek-kg.nq", rdf.nquads, "rdf",
     "N-Quads: every named graph (ontology, essay, shapes) as served"),
    ("trig", "application/trig", "trig", "deepseek-kg.trig", rdf.trig, "rdf",
     "TriG: every named graph (ontology, essay, shapes) as served"),
    ("ontology-turtle", "text/turtle", "ttl", "deepseek-kg-ontology.ttl", rdf.ontology_turtle, "ontology",
     "The OWL 2 ontology alone, Turtle"),
    ("ontology-rdfxml", "application/rdf+xml", "owl", "deepseek-kg-ontology.owl", rdf.ontology_rdfxml, "ontology",
     "The OWL 2 ontology alone, RDF/XML (Protégé, owlready2)"),
    ("inferred", "text/turtle", "ttl", "deepseek-kg-inferred.ttl", rdf.inferred_turtle, "ontology",
     "Ontology + essay data with every type HermiT entails added (kg reason --materialize)"),
    ("graphml", "application/graphml+xml", "graphml", "deepseek-kg.graphml", _pg(pg.graphml), "property-graph",
     "GraphML property graph (Gephi, yEd, Cytoscape, NetworkX)"),
    ("gexf", "application/gexf+xml", "gexf", "deepseek-kg.gexf", _pg(pg.gexf), "property-graph",
     "GEXF property graph (Gephi)"),
    ("cytoscape", "application/json", "cyjs", "deepseek-kg.cyjs", _pg(pg.cytoscape), "property-graph",
     "Cytoscape.js JSON (Cytoscape desktop, cytoscape.js)"),
    ("networkx", "application/json", "json", "deepseek-kg.networkx.json", _pg(pg.node_link), "property-graph",
     "NetworkX node-link JSON"),
    ("neo4j-nodes", "text/csv", "csv", "deepseek-kg.neo4j-nodes.csv", _pg(neo4j.nodes_csv), "neo4j",
     "Neo4j neo4j-admin import: nodes"),
    ("neo4j-relationships", "text/csv", "csv", "deepseek-kg.neo4j-relationships.csv",
     _pg(neo4j.relationships_csv), "neo4j", "Neo4j neo4j-admin import: relationships"),
    ("n10s", "text/x-cypher", "cypher", "deepseek-kg.n10s.cypher", lambda src: neo4j.n10s_cypher(), "neo4j",
     "Cypher script: import the Turtle dump with neosemantics (n10s)"),
    ("context", "application/ld+json", "jsonld", "context.jsonld", lambda src: jsonld.dumps(jsonld.build_context(src.ontology)),
     "context", "The JSON-LD @context (built from the ontology; served at /context.jsonld)"),
]

FORMATS: dict[str, Format] = {
    row[0]: Format(*row, needs_java=row[0] == "inferred") for row in _ROWS
}

#: file name -> format name, for the /dumps/<filename> route
DUMP_NAMES: dict[str, str] = {f.filename: f.name for f in FORMATS.values() if f.kind != "context"}
