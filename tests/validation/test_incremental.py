"""Incremental validation is sound, proven differentially: random changes to the essay's graph,
valid and invalid (deletions, type changes on nodes other than the focus, edits to quotes and
offsets, new nodes, class-hierarchy changes, duplicate labels, mistyped literals, links, batches),
under the project's shapes and under variants with other targets and extra shapes; after each, the
IncrementalValidator's verdict (conformance and the set of results: focus node, path, value, source
shape, severity, component, constraint, messages) must equal a full pySHACL validation's.

A short run here (a smaller graph of the same shape: every node kind, about an eighth of them);
``KG_DIFF_WRITES=500 KG_DIFF_KEEP=1 python -m pytest tests/validation`` or
``python bench/validation.py`` for the long run on the whole graph (figures in docs/curation.md).
"""
from __future__ import annotations

import json
import os

import pytest

from kg.curated import data_quads
from kg.store import OxigraphStore
from testkit.changes import SHAPE_VARIANTS, differential, reduced, variant_shapes

WRITES = int(os.environ.get("KG_DIFF_WRITES", "12"))
KEEP = float(os.environ.get("KG_DIFF_KEEP", "0.1"))
SEED = int(os.environ.get("KG_DIFF_SEED", "20261201"))
ARTIFACTS = os.path.join(os.path.dirname(__file__), "..", "artifacts")


@pytest.fixture(scope="module")
def quads():
    store = OxigraphStore.from_sources().store
    return data_quads(store) if KEEP >= 1 else reduced(store, KEEP, SEED)


@pytest.mark.parametrize("variant,gate", [(v, False) for v in SHAPE_VARIANTS] + [("project", True)])
def test_incremental_verdicts_equal_full_validation(quads, variant, gate):
    """``gate``: as the write path does, a change after which the data does not conform is undone."""
    figures = differential(quads, variant_shapes(variant), WRITES, SEED + len(variant), gate=gate)
    os.makedirs(ARTIFACTS, exist_ok=True)
    with open(os.path.join(ARTIFACTS, f"incremental-{variant}{'-gate' if gate else ''}.json"), "w") as f:
        json.dump(figures, f, indent=2)
    assert figures["compared"] >= WRITES // 2
    assert not figures["mismatches"], json.dumps(figures["mismatches"][:3], indent=2)


def test_the_variants_change_the_targets():
    """The variants are not the project's shapes under another name: they validate other nodes."""
    from rdflib.namespace import SH
    project, other = variant_shapes("project"), variant_shapes("other-targets")
    targets = lambda g: {(s, p, o) for p in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)  # noqa: E731
                         for s, o in g.subject_objects(p)}
    assert targets(project) != targets(other)
    assert len(variant_shapes("extra-shapes")) > len(project)
