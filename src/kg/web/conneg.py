"""One table of what the endpoint speaks: media type <-> format name <-> file suffix.

Negotiation uses werkzeug's parsed ``Accept`` header (q-values, wildcards, several types, most
specific match wins); ``?format=`` (a name, a suffix or a media type) overrides it.
"""
from __future__ import annotations

from dataclasses import dataclass

from werkzeug.datastructures import MIMEAccept


@dataclass(frozen=True)
class Format:
    name: str          # short name for ?format=
    media_type: str    # what we answer with (charset added for text types)
    suffix: str
    kind: str          # "results" (SELECT/ASK), "graph" (CONSTRUCT/DESCRIBE, service description), "page"
    aliases: tuple[str, ...] = ()   # other media types accepted as asking for this one
    names: tuple[str, ...] = ()     # other ?format= names


#: Order matters: the first of a kind is its default (what */* or no Accept gets).
FORMATS: tuple[Format, ...] = (
    Format("json", "application/sparql-results+json", ".srj", "results", ("application/json",), ("srj",)),
    Format("xml", "application/sparql-results+xml", ".srx", "results", ("application/xml", "text/xml"), ("srx",)),
    Format("csv", "text/csv", ".csv", "results"),
    Format("tsv", "text/tab-separated-values", ".tsv", "results", (), ("tab",)),
    Format("turtle", "text/turtle", ".ttl", "graph", ("application/x-turtle",), ("ttl",)),
    Format("ntriples", "application/n-triples", ".nt", "graph", ("text/plain",), ("nt", "n-triples")),
    Format("jsonld", "application/ld+json", ".jsonld", "graph", ("application/json",), ("json-ld", "json")),
    Format("rdfxml", "application/rdf+xml", ".rdf", "graph", ("application/xml", "text/xml"), ("rdf", "xml", "owl")),
    Format("trig", "application/trig", ".trig", "graph"),
    Format("nquads", "application/n-quads", ".nq", "graph", (), ("nq", "n-quads")),
    Format("html", "text/html", ".html", "page", ("application/xhtml+xml",)),
)
_TEXT = ("text/", "application/sparql-results+json", "application/ld+json", "application/n-triples",
         "application/n-quads", "application/trig", "application/sparql-results+xml", "application/rdf+xml")


def formats(kind: str) -> list[Format]:
    return [f for f in FORMATS if f.kind == kind]


def content_type(fmt: Format) -> str:
    return fmt.media_type + ("; charset=utf-8" if fmt.media_type.startswith(_TEXT) else "")


def by_name(value: str, kinds: tuple[str, ...]) -> Format | None:
    """A ?format= value: name, suffix (with or without dot) or media type."""
    v = value.strip().lower().lstrip(".")
    for f in FORMATS:
        if f.kind in kinds and (v in (f.name, f.suffix.lstrip(".")) or v in f.names or v == f.media_type):
            return f
    for f in FORMATS:  # an alias media type, e.g. format=application/json
        if f.kind in kinds and v in f.aliases:
            return f
    return None


def negotiate(accept: MIMEAccept, kinds: tuple[str, ...], offered: list[Format] | None = None) -> Format | None:
    """The best format of the given kinds (or of ``offered``, in preference order) for this Accept
    header; None means 406.

    No Accept header means */*. Exact media types are offered before aliases, so
    ``application/json`` only matters when nothing more specific is acceptable.
    """
    offered = offered if offered is not None else [f for f in FORMATS if f.kind in kinds]
    if not accept:
        return offered[0] if offered else None
    table: dict[str, Format] = {}
    for f in offered:
        table.setdefault(f.media_type, f)
    for f in offered:
        for a in f.aliases:
            table.setdefault(a, f)
    best = accept.best_match(list(table))
    return table[best] if best else None


def offered_list(kinds: tuple[str, ...]) -> str:
    return ", ".join(f.media_type for f in FORMATS if f.kind in kinds)


__all__ = ["Format", "FORMATS", "formats", "content_type", "by_name", "negotiate", "offered_list"]
