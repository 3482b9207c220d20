"""The one table of export formats: name, media type, file suffix, file name, writer.

The RDF rows take their media type and suffix from the syntax registry (:mod:`kg.formats`); the
property-graph and Neo4j rows are export-only formats. Content types follow the one charset rule
(``kg.formats.content_type``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..formats import SYNTAXES, content_type
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
        return content_type(self.media_type)


def _rdf(syntax: str, suffix: str | None = None) -> tuple[str, str]:
    """(media type, suffix without dot) of an RDF syntax of kg.formats."""
    s = SYNTAXES[syntax]
    return s.media_type, suffix or s.suffix.lstrip(".")


def _pg(fn):
    return lambda src: fn(src.property_graph)


_ROWS = [
    # name, media type, suffix, file name, writer, kind, title
    ("turtle", *_rdf("turtle"), "deepseek-kg.ttl", rdf.turtle, "rdf",
     "Turtle: ontology + essay data (the knowledge graph)"),
    ("ntriples", *_rdf("ntriples"), "deepseek-kg.nt", rdf.ntriples, "rdf",
     "N-Triples: ontology + essay data"),
    ("rdfxml", *_rdf("rdfxml"), "deepseek-kg.rdf", rdf.rdfxml, "rdf",
     "RDF/XML: ontology + essay data"),
    ("jsonld", *_rdf("jsonld"), "deepseek-kg.jsonld", jsonld.jsonld, "rdf",
     "JSON-LD, compacted with the published @context: ontology + essay data"),
    ("nquads", *_rdf("nquads"), "deepseek-kg.nq", rdf.nquads, "rdf",
     "N-Quads: every named graph (ontology, essay, shapes) as served"),
    ("trig", *_rdf("trig"), "deepseek-kg.trig", rdf.trig, "rdf",
     "TriG: every named graph (ontology, essay, shapes) as served"),
    ("ontology-turtle", *_rdf("turtle"), "deepseek-kg-ontology.ttl", rdf.ontology_turtle, "ontology",
     "The OWL 2 ontology alone, Turtle"),
    ("ontology-rdfxml", *_rdf("rdfxml", "owl"), "deepseek-kg-ontology.owl", rdf.ontology_rdfxml, "ontology",
     "The OWL 2 ontology alone, RDF/XML (Protégé, owlready2)"),
    ("inferred", *_rdf("turtle"), "deepseek-kg-inferred.ttl", rdf.inferred_turtle, "ontology",
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
