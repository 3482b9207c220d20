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


class ShapesGate:
    """The shapes check every curated write passes (``CuratedStore(check=ShapesGate(...))``).

    It validates the would-be data quads in a forked, niced child: readers keep the CPU, and a
    check that runs past ``timeout`` seconds is killed (503 Refusal). Called with the quads, it
    returns None when they conform, else the report as a dict (conforms, text, violations).
    """

    def __init__(self, shapes: Graph | Path | str | None = None, timeout: float = 120.0):
        import pyshacl  # noqa: F401  imported once here, so each write's forked check starts at once
        self.shapes, self.timeout = shapes, float(timeout)

    def __call__(self, quads) -> dict | None:
        import os
        import select
        import signal
        import time

        from .changes import Refusal
        quads = list(quads)
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            try:
                os.close(r)
                os.nice(10)
                rep = validate_quads(quads, shapes=self.shapes)
                out = {"conforms": rep.conforms, "text": rep.text(),
                       "violations": [v.as_dict() for v in rep.violations]}
                with os.fdopen(w, "wb") as f:
                    f.write(json.dumps(out).encode())
            finally:
                os._exit(0)
        os.close(w)
        chunks, deadline = [], time.monotonic() + self.timeout
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([r], [], [], left)[0]:
                    os.kill(pid, signal.SIGKILL)
                    raise Refusal(503, f"checking the change against the shapes took longer than {self.timeout:g} s; "
                                       "nothing was changed (VALIDATION_TIMEOUT)")
                chunk = os.read(r, 1 << 16)
                if not chunk:
                    break
                chunks.append(chunk)
        finally:
            os.close(r)
            os.waitpid(pid, 0)
        try:
            report = json.loads(b"".join(chunks))
        except ValueError:
            raise Refusal(503, "the shapes check failed to run; nothing was changed") from None
        return None if report["conforms"] else report


__all__ += ["ShapesGate"]
