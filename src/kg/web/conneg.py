"""Content negotiation over the syntaxes of :mod:`kg.formats` (media type <-> name <-> suffix).

Negotiation uses werkzeug's parsed ``Accept`` header (q-values, wildcards, several types, most
specific match wins); ``?format=`` (a name, a suffix or a media type) overrides it.

Clients send ``format`` as they please, and :func:`requested` reads it the way they mean it:
SPARQLWrapper (default settings) repeats it as a short name and a media type
(``format=tsv&format=text/tab-separated-values``, ``format=json-ld&format=application/ld+json,
application/x-json+ld``), and asks for formats by names of its own (``rdf+xml``, ``n3``).

>>> requested(["tsv", "text/tab-separated-values"], ("results",)).name
'tsv'
>>> requested(["n3"], ("graph",)).name, requested(["rdf+xml", "application/rdf+xml"], ("graph",)).name
('turtle', 'rdfxml')
>>> requested(["pdf"], ("results",)) is None   # not a format of ours: the Accept header decides
True
"""
from __future__ import annotations

from werkzeug.datastructures import MIMEAccept

from ..formats import OFFERED, Syntax


#: what the endpoint speaks, in preference order: the offered rows of kg.formats
Format = Syntax
FORMATS: tuple[Format, ...] = OFFERED


def formats(kind: str) -> list[Format]:
    return [f for f in FORMATS if f.kind == kind]


def content_type(fmt: Format) -> str:
    return fmt.content_type


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


class Conflict(ValueError):
    """The ``format`` parameters name two different formats."""


def requested(values: list[str], kinds: tuple[str, ...]) -> Format | None:
    """The format the ``format`` parameters ask for, or None when they name none of ours (then the
    Accept header decides). Each value may be a comma-separated list; empty values are skipped;
    several values naming the same format are one request, two different formats a Conflict."""
    found = {f for v in values for part in v.split(",") if part.strip()
             if (f := by_name(part.split(";")[0], kinds)) is not None}
    if len(found) > 1:
        names = ", ".join(sorted(f.name for f in found))
        raise Conflict(f"the 'format' parameters ask for different formats ({names}); give one")
    return found.pop() if found else None


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


__all__ = ["Format", "FORMATS", "formats", "content_type", "by_name", "requested", "Conflict", "negotiate",
           "offered_list"]
