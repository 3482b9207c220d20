"""Exports: the graph as RDF dumps, property graphs (GraphML, GEXF, Cytoscape.js, NetworkX),
Neo4j import files and the ontology, each as deterministic bytes (same graph, same bytes).

>>> from kg.export import FORMATS, export
>>> FORMATS["turtle"].media_type, FORMATS["turtle"].filename
('text/turtle', 'deepseek-kg.ttl')
>>> export("n10s").startswith(b"// deepseek-kg")
True

The web layer serves ``/dumps/<filename>`` from :func:`export_all` (computed once) and lists
:func:`dump_catalog`; see docs/exports.md.
"""
from __future__ import annotations

from dataclasses import dataclass

from .formats import DUMP_NAMES, FORMATS, Format
from .jsonld import CONTEXT_URL, build_context, context_bytes
from .source import Source, as_source

__all__ = ["FORMATS", "DUMP_NAMES", "Format", "Dump", "Source", "as_source", "export", "export_all",
           "dump_catalog", "CONTEXT_URL", "build_context", "context_bytes"]


def export(fmt: str, graph_or_dataset=None) -> bytes:
    """The export ``fmt`` (a key of FORMATS) of ``graph_or_dataset`` as bytes.

    ``None`` = the served dataset (ontology, essay and shapes named graphs, loaded from the source
    files); an rdflib Dataset = its named graphs; an rdflib Graph = its triples. Triple formats and
    property graphs hold every graph but the shapes; N-Quads and TriG hold every named graph.
    A :class:`Source` may be passed to share its caches across calls.
    Raises KeyError for an unknown format, kg.reason.ReasoningError when ``inferred`` cannot run.
    """
    return FORMATS[fmt].writer(as_source(graph_or_dataset))


def export_all(graph_or_dataset=None, *, include_inferred: bool = True) -> dict[str, bytes]:
    """Every dump, format name -> bytes, sharing one canonicalisation. ``inferred`` (HermiT, a few
    seconds, needs Java) is left out when asked or when HermiT cannot run."""
    from ..reason import ReasoningError
    src = as_source(graph_or_dataset)
    out = {}
    for name, f in FORMATS.items():
        if f.kind == "context" or (f.needs_java and not include_inferred):
            continue
        try:
            out[name] = f.writer(src)
        except ReasoningError:
            continue
    return out


@dataclass(frozen=True)
class Dump:
    name: str
    filename: str
    media_type: str
    content_type: str
    suffix: str
    size: int
    kind: str
    title: str


def dump_catalog(graph_or_dataset=None, *, dumps: dict[str, bytes] | None = None) -> list[Dump]:
    """One row per dump (name, file name, media type, suffix, byte size), in FORMATS order, for the
    /dumps/ listing and the VoID ``void:dataDump`` links. Pass ``dumps`` (from export_all) to
    avoid writing everything again."""
    dumps = dumps if dumps is not None else export_all(graph_or_dataset)
    return [Dump(f.name, f.filename, f.media_type, f.content_type, f.suffix, len(dumps[f.name]), f.kind, f.title)
            for f in FORMATS.values() if f.name in dumps]
