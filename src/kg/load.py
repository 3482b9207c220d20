"""Parse the source files with rdflib, turning any failure into one line that names file and line."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable

from rdflib import Dataset, Graph, URIRef

from .formats import FILE_SUFFIXES
from .namespaces import PREFIXES
from .sources import SourceFile, default_sources

#: file suffix -> (rdflib parser name, pyoxigraph format), derived from kg.formats
RDF_FILE_FORMATS = {suffix: (s.rdflib, s.ox) for suffix, s in FILE_SUFFIXES.items()}


class LoadError(Exception):
    """A source file is missing or malformed; str() is a one-line message for the user."""


def bind_prefixes(g: Graph) -> Graph:
    """Bind the project's prefixes on ``g`` (and return it)."""
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns, override=True)
    return g


def parse_file(path: Path | str, graph: Graph | None = None) -> Graph:
    """Parse one RDF file into ``graph`` (a new Graph by default)."""
    path = Path(path)
    g = bind_prefixes(graph if graph is not None else Graph())
    if not path.is_file():
        raise LoadError(f"{path}: file not found")
    fmt = RDF_FILE_FORMATS.get(path.suffix.lower(), (None,))[0]
    if fmt is None:
        raise LoadError(f"{path}: unknown RDF file type {path.suffix!r}")
    try:
        g.parse(path, format=fmt)
    except Exception as exc:  # rdflib raises many types; the user needs file and line
        raise LoadError(f"{path}:{_line_of(exc)}: {_first_line(exc)}") from None
    return g


def _line_of(exc: Exception) -> str:
    if hasattr(exc, "_why") and isinstance(getattr(exc, "lines", None), int):  # rdflib's Turtle BadSyntax
        return str(exc.lines + 1)
    m = re.search(r"line (\d+)", str(exc)) or re.search(r":(\d+):\d+:", str(exc))
    return m.group(1) if m else "?"


def _first_line(exc: Exception) -> str:
    why = getattr(exc, "_why", None)  # rdflib's Turtle BadSyntax: the reason without the byte dump
    msg = " ".join(str(why if why else exc).split())
    msg = re.sub(r"^\S+:\d+:\d+: ", "", msg)  # the XML parser repeats the location
    return (msg[:300] + "...") if len(msg) > 300 else msg or type(exc).__name__


def load_dataset(sources: Iterable[SourceFile] | None = None) -> Dataset:
    """All source files, each in its named graph (default graph left empty)."""
    ds = Dataset()
    bind_prefixes(ds)
    for src in sources if sources is not None else default_sources():
        parse_file(src.path, ds.graph(URIRef(src.graph)))
    return ds


def load_graph(sources: Iterable[SourceFile] | None = None, *, include_shapes: bool = False) -> Graph:
    """The union of the source files as one rdflib Graph (shapes left out unless asked)."""
    from .sources import SHAPES_GRAPH
    g = bind_prefixes(Graph())
    for src in sources if sources is not None else default_sources():
        if src.graph == SHAPES_GRAPH and not include_shapes:
            continue
        parse_file(src.path, g)
    return g


__all__ = ["LoadError", "RDF_FILE_FORMATS", "bind_prefixes", "parse_file", "load_dataset", "load_graph"]
