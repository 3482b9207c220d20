"""Where the graph's source files live and which named graph each one fills.

Named graphs: the ontology, the essay data (annotations plus the stored text) and the
shapes each live in their own graph; the query engine's default graph is their union.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .namespaces import GRAPH

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class SourceFile:
    path: Path
    graph: str  # IRI of the named graph it is loaded into


def project_root() -> Path:
    return ROOT


ONTOLOGY_GRAPH = str(GRAPH.ontology)
ESSAY_GRAPH = str(GRAPH.essay)
SHAPES_GRAPH = str(GRAPH.shapes)
#: derived: what the ontology's axioms entail for the data (kg.entailment); never loaded from a file
INFERRED_GRAPH = str(GRAPH.inferred)

ONTOLOGY_FILE = ROOT / "ontology" / "deepseek.ttl"
ONTOLOGY_RDFXML = ROOT / "ontology" / "deepseek.owl"
DATA_FILE = ROOT / "data" / "deepseek.ttl"
SOURCE_TEXT_FILE = ROOT / "data" / "source.ttl"
ESSAY_TEXT = ROOT / "data" / "essay.txt"
SHAPES_FILE = ROOT / "shapes" / "deepseek-shapes.ttl"
QUERIES_DIR = ROOT / "queries"


def default_sources(root: Path | None = None) -> list[SourceFile]:
    """The files served by default: ontology, stored essay text, annotations, shapes."""
    r = Path(root) if root else ROOT
    return [
        SourceFile(r / "ontology" / "deepseek.ttl", ONTOLOGY_GRAPH),
        SourceFile(r / "data" / "source.ttl", ESSAY_GRAPH),
        SourceFile(r / "data" / "deepseek.ttl", ESSAY_GRAPH),
        SourceFile(r / "shapes" / "deepseek-shapes.ttl", SHAPES_GRAPH),
    ]


__all__ = ["SourceFile", "default_sources", "project_root", "ONTOLOGY_GRAPH", "ESSAY_GRAPH",
           "SHAPES_GRAPH", "INFERRED_GRAPH", "ONTOLOGY_FILE", "ONTOLOGY_RDFXML", "DATA_FILE", "SOURCE_TEXT_FILE",
           "ESSAY_TEXT", "SHAPES_FILE", "QUERIES_DIR"]


def parse_sources(value) -> list[SourceFile] | None:
    """Sources as given by ``--data`` / KG_SOURCES / the SOURCES setting: SourceFile items,
    (path, graph) pairs or "path[=graph]" strings (a list, or one comma-separated string).

    >>> [s.graph for s in parse_sources("a.ttl=http://ex/g")]
    ['http://ex/g']
    """
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else value
    out = []
    for item in items:
        if isinstance(item, SourceFile):
            out.append(item)
        elif isinstance(item, (tuple, list)):
            out.append(SourceFile(Path(item[0]), item[1] if len(item) > 1 else ""))
        else:
            path, _, graph = str(item).strip().partition("=")
            out.append(SourceFile(Path(path), graph or Path(path).resolve().as_uri()))
    return out


__all__ += ["parse_sources"]
