"""The shapes are portable SHACL: Apache Jena's SHACL engine (Debian's Jena 4.5) reads them and
agrees with pySHACL, result for result, on the shipped graph and on every planted error of
test_shapes.py and test_fidelity_rules.py (issue 15, item 2: Jena refused the file, whose SPARQL constraints declared no
prefixes; pySHACL had silently used the Turtle file's)."""
from __future__ import annotations

import re
from collections import Counter

from rdflib import Graph, URIRef
from rdflib.namespace import SH

from kg.load import parse_file
from kg.sources import SHAPES_FILE
from testkit.jena import command_line

from .test_fidelity_rules import RULES
from .test_shapes import PLANTED

_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"|<[^>\s]*>')
_PNAME = re.compile(r"(?<![\w?$])([A-Za-z][\w-]*)?:(?=[A-Za-z_])")


def test_every_sparql_query_declares_its_prefixes():
    """SHACL 5.2.1: a SPARQL-based constraint or target gets its prefixes only from sh:prefixes."""
    shapes = parse_file(SHAPES_FILE)
    declared_by = {}
    for holder in set(shapes.objects(None, SH.prefixes)):
        declared_by[holder] = {str(shapes.value(d, SH.prefix)) for d in shapes.objects(holder, SH.declare)}
    missing = {}
    for node, text in [*shapes.subject_objects(SH.select), *shapes.subject_objects(SH.ask)]:
        used = set(_PNAME.findall(_STRINGS.sub(" ", str(text))))
        known = set().union(*(declared_by.get(h, set()) for h in shapes.objects(node, SH.prefixes)))
        if used - known:
            missing[str(text).split("{")[0].strip() or str(node)] = sorted(used - known)
    assert not missing, f"undeclared prefixes (add sh:prefixes dsks: and declare them there): {missing}"
    assert len(list(shapes.subject_objects(SH.select))) >= 10


def _results(report: Graph) -> Counter:
    """What each engine reports, comparably: (focus node, constraint component) per result."""
    out = Counter()
    for r in report.subjects(SH.resultSeverity, None):
        focus = report.value(r, SH.focusNode)
        out[(str(focus) if isinstance(focus, URIRef) else "_:blank", str(report.value(r, SH.sourceConstraintComponent)))] += 1
    return out


def test_jena_agrees_with_pyshacl(shipped_graph, planted, jena_tools, tmp_path):
    from kg.validate import validate
    cases = {"shipped": (shipped_graph, validate(shipped_graph))}
    for plant, _ in PLANTED + RULES:
        cases[plant.__name__] = planted(plant)  # pySHACL's reports, shared with the planted-error tests
    commands = []
    for name, (g, _) in cases.items():
        g.serialize(tmp_path / f"{name}.nt", format="nt", encoding="utf-8")
        # what a user types (docs/exports.md): shacl validate --shapes SHAPES --data DATA
        commands.append(["shacl", "--shapes", str(SHAPES_FILE), "--data", str(tmp_path / f"{name}.nt")])
    differ = {}
    for (name, (g, ours)), r in zip(cases.items(), jena_tools.run(commands)):
        assert r.code == 0 and "Exception" not in r.err, f"{command_line(r.command)}: {r.err[-1500:]}"
        jena, py = _results(Graph().parse(data=r.out, format="turtle")), _results(ours.graph)
        if jena != py:
            differ[name] = {"jena only": dict(jena - py), "pySHACL only": dict(py - jena)}
        assert bool(py) == (name != "shipped"), f"{name}: pySHACL's verdict"
    assert not differ, differ
    assert len(cases) == 1 + len(PLANTED) + len(RULES)
