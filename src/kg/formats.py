"""The one registry of syntaxes: RDF syntaxes, SPARQL result formats and the HTML page.

Each row gives a syntax's name (``?format=``), media type and the other media types asked for it,
file suffixes, its rdflib and pyoxigraph names, the W3C format IRI, and whether we read it (source
files, Graph Store bodies) and offer it (content negotiation). Every other table derives from
this one: the file types ``kg`` loads (:data:`FILE_SUFFIXES`), what the endpoint negotiates
(``kg.web.conneg``), the pyoxigraph writer of each answer, the Graph Store's body types, the
resource pages' data suffixes, the service description's formats and the RDF exports' media
types. Adding a syntax is one row here. :func:`content_type` is the one charset rule.

>>> SYNTAXES["turtle"].media_type, SYNTAXES["turtle"].suffix, SYNTAXES["turtle"].rdflib
('text/turtle', '.ttl', 'turtle')
>>> FILE_SUFFIXES[".owl"].name, content_type("application/n-triples")
('rdfxml', 'application/n-triples; charset=utf-8')
"""
from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

__all__ = ["Syntax", "SYNTAXES", "OFFERED", "FILE_SUFFIXES", "QUAD_FORMATS", "content_type", "by_kind",
           "body_media_types", "W3C_FORMATS"]

W3C_FORMATS = "http://www.w3.org/ns/formats/"


@dataclass(frozen=True)
class Syntax:
    name: str                       # short name for ?format= and the registry key
    media_type: str                 # what we answer with (charset added by content_type)
    suffix: str                     # the file suffix we write, with its dot
    kind: str                       # "results" (SELECT/ASK), "graph" (RDF), "page" (HTML)
    aliases: tuple[str, ...] = ()   # other media types accepted as asking for this one
    names: tuple[str, ...] = ()     # other ?format= names
    suffixes: tuple[str, ...] = ()  # other file suffixes read as this syntax
    rdflib: str | None = None       # rdflib's parser/serialiser name
    ox: object = None               # pyoxigraph's RdfFormat
    w3c: str | None = None          # local name of its W3C format IRI (service description)
    quads: bool = False             # carries named graphs (TriG, N-Quads)
    offered: bool = True            # offered by content negotiation
    readable: bool = False          # read as a source file and as a Graph Store body

    @property
    def content_type(self) -> str:
        return content_type(self.media_type)


_ROWS = (
    # Order matters: the first of a kind is its default (what */* or no Accept gets).
    Syntax("json", "application/sparql-results+json", ".srj", "results", ("application/json",), ("srj",),
           w3c="SPARQL_Results_JSON"),
    Syntax("xml", "application/sparql-results+xml", ".srx", "results", ("application/xml", "text/xml"), ("srx",),
           w3c="SPARQL_Results_XML"),
    Syntax("csv", "text/csv", ".csv", "results", w3c="SPARQL_Results_CSV"),
    Syntax("tsv", "text/tab-separated-values", ".tsv", "results", (), ("tab",), w3c="SPARQL_Results_TSV"),
    # Turtle is N3's subset, so an N3 reader takes it: what clients that ask for N3 get (SPARQLWrapper's format=n3)
    Syntax("turtle", "text/turtle", ".ttl", "graph", ("application/x-turtle", "application/turtle", "text/n3",
                                                      "text/rdf+n3", "application/n3"), ("ttl", "n3"),
           rdflib="turtle", ox=ox.RdfFormat.TURTLE, w3c="Turtle", readable=True),
    Syntax("ntriples", "application/n-triples", ".nt", "graph", ("text/plain",), ("nt", "n-triples"),
           rdflib="nt", ox=ox.RdfFormat.N_TRIPLES, w3c="N-Triples", readable=True),
    Syntax("jsonld", "application/ld+json", ".jsonld", "graph", ("application/json", "application/x-json+ld"),
           ("json-ld", "json"),
           rdflib="json-ld", ox=ox.RdfFormat.JSON_LD, w3c="JSON-LD", readable=True),
    Syntax("rdfxml", "application/rdf+xml", ".rdf", "graph", ("application/xml", "text/xml"), ("rdf", "xml", "owl", "rdf+xml"),
           (".owl", ".xml"), rdflib="xml", ox=ox.RdfFormat.RDF_XML, w3c="RDF_XML", readable=True),
    Syntax("trig", "application/trig", ".trig", "graph", rdflib="trig", ox=ox.RdfFormat.TRIG, w3c="TriG",
           quads=True, readable=True),
    Syntax("nquads", "application/n-quads", ".nq", "graph", (), ("nq", "n-quads"), rdflib="nquads",
           ox=ox.RdfFormat.N_QUADS, w3c="N-Quads", quads=True, readable=True),
    Syntax("n3", "text/n3", ".n3", "graph", rdflib="n3", ox=ox.RdfFormat.N3, offered=False, readable=True),
    Syntax("html", "text/html", ".html", "page", ("application/xhtml+xml",)),
)

#: name -> Syntax, in preference order
SYNTAXES: dict[str, Syntax] = {s.name: s for s in _ROWS}
#: what content negotiation offers, in preference order
OFFERED: tuple[Syntax, ...] = tuple(s for s in _ROWS if s.offered)
#: file suffix (with dot, lower case) -> the syntax a source file with it is read as
FILE_SUFFIXES: dict[str, Syntax] = {suffix: s for s in _ROWS if s.readable for suffix in (s.suffix, *s.suffixes)}
#: pyoxigraph formats that carry named graphs
QUAD_FORMATS = frozenset(s.ox for s in _ROWS if s.quads)

_TEXT_SUFFIXES = ("json", "xml", "/trig", "/n-quads", "/n-triples")


def content_type(media_type: str) -> str:
    """The Content-Type header for a media type: every text, JSON and XML type says UTF-8."""
    textual = media_type.startswith("text/") or media_type.endswith(_TEXT_SUFFIXES)
    return f"{media_type}; charset=utf-8" if textual else media_type


def by_kind(kind: str, *, triples_only: bool = False) -> list[Syntax]:
    """The offered syntaxes of one kind (``triples_only``: without the quad syntaxes)."""
    return [s for s in OFFERED if s.kind == kind and not (triples_only and s.quads)]


def body_media_types() -> dict[str, Syntax]:
    """Media type -> syntax of a graph sent in a request body: the readable triple syntaxes, by
    their media type and by any alias no other syntax claims (``application/json`` stays ambiguous)."""
    claims: dict[str, int] = {}
    for s in _ROWS:
        for mt in (s.media_type, *s.aliases):
            claims[mt] = claims.get(mt, 0) + 1
    return {mt: s for s in _ROWS if s.readable and not s.quads
            for mt in (s.media_type, *s.aliases) if mt == s.media_type or claims[mt] == 1}
