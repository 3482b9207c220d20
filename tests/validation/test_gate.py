"""The shapes gate of curated writes (kg.validate.ShapesGate) in the ways the differential test does
not reach: a large change checked in a forked child (same verdict, same 422 report), the time limit
on such a check (503, nothing changed), and a gate that lost track of other processes' changes
(it starts again from the store's data)."""
from __future__ import annotations

import pytest

from kg.changes import ChangeSet, InsertData, Refusal
from kg.curated import CuratedStore
from kg.validate import ShapesGate

import pyoxigraph as ox

from conftest import EX, GRAPHS

PEOPLE = GRAPHS["people.ttl"]
SHAPES = f"""@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <{EX}> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:PersonShape a sh:NodeShape ; sh:targetClass ex:Person ;
    sh:property [ sh:path rdfs:label ; sh:minCount 1 ; sh:message "A person needs a label." ] ;
    sh:property [ sh:path ex:knows ; sh:class ex:Person ; sh:message "People know people." ] .
"""
TYPE, LABEL = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", "http://www.w3.org/2000/01/rdf-schema#label"


def q(s, p, o):
    o = o if isinstance(o, ox.Literal) else ox.NamedNode(o)
    return ox.Quad(ox.NamedNode(s), ox.NamedNode(p), o, ox.NamedNode(PEOPLE))


def people(n, labelled=True, name="p"):
    out = []
    for i in range(n):
        out += [q(f"{EX}{name}{i}", TYPE, EX + "Person"), q(f"{EX}{name}{i}", EX + "knows", EX + "alice")]
        if labelled or i:
            out.append(q(f"{EX}{name}{i}", LABEL, ox.Literal(f"{name}{i}")))
    return out


@pytest.fixture
def make_store(tmp_path, fixture_sources):
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(SHAPES)

    def make(**kw):
        gate = ShapesGate(shapes, **kw)
        return CuratedStore(tmp_path / "state", fixture_sources, writable_prefix=EX + "graph/", check=gate), gate
    return make


def write(store, quads):
    return store.write(ChangeSet("test", "t", [InsertData(quads)]), agent="t")


@pytest.mark.parametrize("fork_above", [10_000, 0])
def test_a_large_change_checked_in_a_child_gets_the_same_verdict(make_store, fork_above):
    store, _ = make_store(fork_above=fork_above)
    assert write(store, people(5)).added
    with pytest.raises(Refusal) as exc:
        write(store, people(8, labelled=False, name="q"))   # q0 has no label
    assert exc.value.status == 422
    assert [v["focus"] for v in exc.value.report["violations"]] == ["<http://example.org/q0>"]
    assert "A person needs a label." in exc.value.report["text"]
    before = sorted(map(str, store.store))
    with pytest.raises(Refusal):  # the refusal left the gate where it was: the same write is refused again
        write(store, people(8, labelled=False, name="q"))
    assert sorted(map(str, store.store)) == before
    assert write(store, people(8, name="q")).seq == 2


def test_a_check_past_the_time_limit_changes_nothing(make_store):
    store, gate = make_store(fork_above=0, timeout=0.000001)
    before = sorted(map(str, store.store))
    with pytest.raises(Refusal) as exc:
        write(store, people(3))
    assert exc.value.status == 503 and "VALIDATION_TIMEOUT" in exc.value.message
    assert sorted(map(str, store.store)) == before and store.seq == 0
    gate.timeout, gate.fork_above = 60, 10_000
    assert write(store, people(3)).seq == 1


def test_a_gate_that_lost_track_of_other_writes_starts_again(make_store, tmp_path, fixture_sources):
    store, gate = make_store(max_seen=1)
    other = CuratedStore(tmp_path / "state", fixture_sources, writable_prefix=EX + "graph/")
    other.write(ChangeSet("test", "t", [InsertData(people(2))]), agent="other")
    other.write(ChangeSet("test", "t", [InsertData([q(f"{EX}p9", EX + "knows", EX + "p1")])]), agent="other")
    assert store.sync() and gate._seen is None       # more than it keeps: it gave up on them
    with pytest.raises(Refusal) as exc:               # p9 knows p1; p1 is a person; p9 is not yet one
        write(store, [q(f"{EX}p1", EX + "knows", EX + "p9")])
    assert exc.value.status == 422 and "p9" in exc.value.report["text"]
    assert write(store, [q(f"{EX}p9", TYPE, EX + "Person"), q(f"{EX}p9", LABEL, ox.Literal("p9"))]).added


def test_a_failing_incremental_check_falls_back_to_a_full_one(make_store, monkeypatch):
    """A bug in the incremental analysis must not stop writes or let a bad one through: the gate
    validates the whole would-be graph instead, and starts again from the data at the next write."""
    store, gate = make_store()

    def broken(removed, added):
        raise RuntimeError("a bug")

    monkeypatch.setattr(gate.validator, "prepare", broken)
    with pytest.raises(Refusal) as exc:
        write(store, people(2, labelled=False))
    assert exc.value.status == 422 and "A person needs a label." in exc.value.report["text"]
    assert write(store, people(2)).seq == 1
    monkeypatch.undo()
    assert gate._seen is None and write(store, people(2, name="r")).seq == 2 and gate._seen == 0
