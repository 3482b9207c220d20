"""SHACL validation of the graph with pySHACL, and reports people can read.

The data graph is the union of ontology + stored text + annotations: the subclass axioms must be
visible to the shapes (sh:targetClass, sh:class), and the anchor constraint reads dsk:fullText.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, URIRef

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


def violations(results, data: Graph, shapes: Graph) -> list[Violation]:
    """Results (kg.incremental.Result) as the report's violations, sorted."""
    out = []
    for r in results:
        msgs = sorted(r.messages)
        out.append(Violation(
            focus=_short(r.focus, data), message=msgs[0] if msgs else "(no message)",
            path=_path_text(shapes, r.path, data), value=_short(r.value, data),
            severity=_short(r.severity, data).split(":")[-1], shape=_short(r.source, data)))
    return sorted(out, key=lambda v: (v.message, v.focus or "", v.path or "", v.value or "", v.shape or ""))


def validate(data_graph: Graph | None = None, *, shapes: Graph | Path | str | None = None) -> ValidationReport:
    """Validate ``data_graph`` (default: ontology + text + data) against ``shapes`` (default: shapes/)."""
    import pyshacl

    from .incremental import results_from_report
    g = data_graph if data_graph is not None else load_graph()
    shapes = load_shapes(shapes)
    for prefix, ns in PREFIXES.items():
        g.namespace_manager.bind(prefix, ns, override=False)
    conforms, report, _ = pyshacl.validate(g, shacl_graph=shapes, inference="none",
                                           advanced=True, allow_warnings=True)
    return ValidationReport(conforms=bool(conforms), violations=violations(results_from_report(report), g, shapes),
                            graph=report)


def load_shapes(shapes: Graph | Path | str | None = None) -> Graph:
    """The shapes graph: as given, or parsed from a file (default: shapes/)."""
    if shapes is None or isinstance(shapes, (str, Path)):
        return parse_file(shapes or SHAPES_FILE)
    return shapes


def validate_quads(quads, *, shapes: Graph | Path | str | None = None) -> ValidationReport:
    """Validate pyoxigraph quads (their union, graph names ignored) as :func:`validate` does."""
    from .canonical import graph_from_quads
    return validate(graph_from_quads(quads), shapes=shapes)


__all__ += ["validate_quads", "violations", "load_shapes"]


class ShapesGate:
    """The shapes check every curated write passes: a :class:`kg.changes.Step` of
    :class:`kg.curated.CuratedStore`, built on :class:`kg.incremental.IncrementalValidator`.

    It keeps the validation results of the current data and, for each change, re-checks only what
    the change can affect, with the verdict a full pySHACL validation would give (proven by
    tests/validation/test_incremental.py). Small changes are checked in the writing thread
    (milliseconds); a change of more than ``fork_above`` quads is checked in a forked child at low
    CPU priority (readers keep the CPU), killed past ``timeout`` seconds (503 Refusal). A refused
    change raises a 422 Refusal whose report is a dict (conforms, text, violations).
    """

    def __init__(self, shapes: Graph | Path | str | None = None, timeout: float = 120.0, *,
                 fork_above: int = 1000, max_seen: int = 10_000):
        from .incremental import IncrementalValidator
        self.shapes = load_shapes(shapes)
        self.timeout, self.fork_above, self.max_seen = float(timeout), fork_above, max_seen
        self.validator = IncrementalValidator(self.shapes)
        self._data = None       # () -> the data quads, to start again after losing track
        self._seen = 0

    # -- the Step protocol ------------------------------------------------------------------------
    def start(self, data) -> None:
        """``data()``: the store's data quads (read again when the gate loses track, see :meth:`seen`)."""
        self._data = data
        self.validator.reset(data())
        self._seen = 0

    def seen(self, removed, added) -> None:
        """A change another process made durable. Queued until this process writes; past
        ``max_seen`` queued quads (a process that never writes, such as a query process) the queue
        is dropped and the next write starts again from the store's data."""
        if self._seen is None:
            return
        self._seen += len(removed) + len(added)
        if self._seen > self.max_seen:
            self._seen = None
            self.validator.seen_overflow()
            return
        self.validator.seen(removed, added)

    def prepare(self, removed, added):
        from .changes import Refusal
        if self._seen is None:  # lost track of the data: start again from the store's
            self.start(self._data)
        try:
            if len(removed) + len(added) > self.fork_above:
                verdict = self._in_child(removed, added)
            else:
                verdict = self.validator.prepare(removed, added)
        except Refusal:
            raise
        except Exception:  # a bug in the incremental check must not stop writes: check it all, and start again
            import logging
            logging.getLogger(__name__).exception("incremental shapes check failed; validating the whole graph")
            self.validator.abort()
            self._seen = None
            gone = set(removed)
            report = self([q for q in self._data() if q not in gone] + list(added))
            if report is not None:
                raise Refusal(422, "the change would make the graph break its shapes; nothing was changed",
                              report) from None
            return [], []
        if not verdict.conforms:
            self.validator.abort()
            raise Refusal(422, "the change would make the graph break its shapes; nothing was changed",
                          self.report(verdict))
        return [], []

    def commit(self) -> None:
        if self._seen is not None:
            self.validator.commit()

    def abort(self) -> None:
        self.validator.abort()

    # -- reports ----------------------------------------------------------------------------------
    def report(self, verdict) -> dict:
        rep = ValidationReport(verdict.conforms, violations(verdict.results, self.validator.rg, self.shapes))
        return {"conforms": rep.conforms, "text": rep.text(), "violations": [v.as_dict() for v in rep.violations]}

    def __call__(self, quads) -> dict | None:
        """A full check of ``quads`` (the whole would-be data), for callers that have only those."""
        rep = validate_quads(quads, shapes=self.shapes)
        return None if rep.conforms else {"conforms": False, "text": rep.text(),
                                          "violations": [v.as_dict() for v in rep.violations]}

    def _in_child(self, removed, added):
        """The verdict on a large change, found in a forked, niced child under the time limit
        (:mod:`kg.isolated`); the parent then takes the child's results instead of computing them."""
        from . import isolated
        from .changes import Refusal

        def outcome():
            self.validator.prepare(removed, added)
            return self.validator.outcome()
        try:
            found = isolated.run(outcome, timeout=self.timeout)
        except isolated.Overrun:
            raise Refusal(503, f"checking the change against the shapes took longer than {self.timeout:g} s; "
                               "nothing was changed (VALIDATION_TIMEOUT)") from None
        except isolated.Failed as exc:  # a bug in the incremental check: prepare() falls back to a full one
            raise RuntimeError(f"the incremental check failed in its child: {exc}") from None
        except (isolated.Crashed, isolated.OutOfMemory):
            raise Refusal(503, "the shapes check failed to run; nothing was changed") from None
        return self.validator.adopt(removed, added, found)


__all__ += ["ShapesGate"]
