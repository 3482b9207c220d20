"""SHACL validation of the graph with pySHACL, and reports people can read.

The data graph is the union of ontology + stored text + annotations: the subclass axioms must be
visible to the shapes (sh:targetClass, sh:class), and the anchor constraint reads dsk:fullText.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import SH

from .load import load_graph, parse_file
from .namespaces import PREFIXES
from .sources import SHAPES_FILE

__all__ = ["Violation", "ValidationReport", "validate"]


@dataclass(frozen=True)
class Violation:
    focus: str
    message: str
    path: str | None = None
    value: str | None = None
    severity: str = "Violation"
    shape: str | None = None

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class ValidationReport:
    conforms: bool
    violations: list[Violation] = field(default_factory=list)
    graph: Graph | None = None

    def text(self) -> str:
        if self.conforms:
            return "The graph conforms to the shapes."
        lines = [f"The graph does not conform: {len(self.violations)} problem(s)."]
        by_message: dict[str, list[Violation]] = {}
        for v in self.violations:
            by_message.setdefault(v.message, []).append(v)
        for message, items in sorted(by_message.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            lines.append("")
            lines.append(f"{message} ({len(items)})")
            for v in sorted(items, key=lambda v: (v.focus, v.path or "", v.value or ""))[:50]:
                where = v.focus + (f"  {v.path}" if v.path else "") + (f"  value: {v.value}" if v.value else "")
                lines.append(f"  - {where}")
            if len(items) > 50:
                lines.append(f"  ... and {len(items) - 50} more")
        return "\n".join(lines)

    def json(self) -> str:
        return json.dumps({"conforms": self.conforms,
                           "violations": [v.as_dict() for v in self.violations]}, indent=2, ensure_ascii=False)


def _short(node, g: Graph) -> str | None:
    if node is None:
        return None
    if isinstance(node, URIRef):
        try:
            return g.namespace_manager.normalizeUri(node)
        except Exception:
            return str(node)
    text = node.n3(g.namespace_manager)
    return text if len(text) <= 120 else text[:117] + "..."


def _path_text(report: Graph, path, g: Graph) -> str | None:
    if path is None:
        return None
    if isinstance(path, URIRef):
        return _short(path, g)
    items = list(report.items(path)) if (path, None, None) in report else []
    return "/".join(_short(p, g) for p in items) if items else "(complex path)"


def validate(data_graph: Graph | None = None, *, shapes: Graph | Path | str | None = None) -> ValidationReport:
    """Validate ``data_graph`` (default: ontology + text + data) against ``shapes`` (default: shapes/)."""
    import pyshacl

    g = data_graph if data_graph is not None else load_graph()
    if shapes is None or isinstance(shapes, (str, Path)):
        shapes = parse_file(shapes or SHAPES_FILE)
    for prefix, ns in PREFIXES.items():
        g.namespace_manager.bind(prefix, ns, override=False)
    conforms, report, _ = pyshacl.validate(g, shacl_graph=shapes, inference="none",
                                           advanced=True, allow_warnings=True)
    violations = []
    for r in report.subjects(SH.resultSeverity, None):
        msg = report.value(r, SH.resultMessage)
        violations.append(Violation(
            focus=_short(report.value(r, SH.focusNode), g),
            message=str(msg) if msg is not None else "(no message)",
            path=_path_text(report, report.value(r, SH.resultPath), g),
            value=_short(report.value(r, SH.value), g),
            severity=_short(report.value(r, SH.resultSeverity), g).split(":")[-1],
            shape=_short(report.value(r, SH.sourceShape), g),
        ))
    return ValidationReport(conforms=bool(conforms), violations=violations, graph=report)


def validate_quads(quads, *, shapes: Graph | Path | str | None = None) -> ValidationReport:
    """Validate pyoxigraph quads (their union, graph names ignored) as :func:`validate` does."""
    from .canonical import graph_from_quads
    return validate(graph_from_quads(quads), shapes=shapes)


__all__ += ["validate_quads"]
