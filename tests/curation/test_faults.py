"""Fault injection: the whole server (gunicorn master, workers and their shapes-check children)
is killed with SIGKILL in the middle of a stream of writes, many times, at random moments, then
restarted on the same state directory and checked.

Each round starts the server (2 workers, the fixture graph, a two-shape shapes file), has two
client threads send unique writes (three triples each: ``ex:item-N a ex:Item ; ex:n N ; ex:tag
R``, by SPARQL Update, form-encoded update or Graph Store POST, and ~20% that the shapes must
refuse), kills the server's process group at a random moment (every other round: the moment a
worker is inside a write, i.e. has forked its shapes check), then checks the state directory and,
after the restart, what the server serves:

- every acknowledged write is there; no write is partly there (all three triples or none);
- a write sent but not answered is wholly there or wholly absent; one refused with 422 (or never
  delivered) is absent; nothing is there that was not sent;
- the graph conforms to the shapes;
- the change log has exactly one PROV activity per write that is there (the one whose seq the
  acknowledgement gave), and the journal's seqs run 1..n without gaps;
- the restarted server serves exactly the state directory's graph.

One round kills a single worker (not the master) while it is inside a write: the master replaces
it, later writes are acknowledged, and the same checks hold. Another round leaves a torn record at
the journal's tail (what a kill in the middle of a large append leaves), which the restart drops.

Rounds: KG_FAULT_ROUNDS (default 16), seed: KG_FAULT_SEED. The figures are written to
tests/artifacts/faults.json.
"""
from __future__ import annotations

import fcntl
import itertools
import json
import os
import random
import re
import signal
import sys
import threading
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.curated import CHANGES_GRAPH, CuratedStore, read_state
from kg.journal import Journal
from kg.sources import SHAPES_GRAPH
from kg.validate import validate_quads

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
from bench.curation_load import (EX, ITEM_GRAPHS, TINY_SHAPES, CurationServer, activities,  # noqa: E402
                                 fixture_data, make_token, make_write, send, served_graphs)

ROUNDS = int(os.environ.get("KG_FAULT_ROUNDS", "16"))
SEED = int(os.environ.get("KG_FAULT_SEED", "20261129"))
ARTIFACT = REPO / "tests" / "artifacts" / "faults.json"
RDF_VALUE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#value")
KINDS = ["update"] * 7 + ["form"] * 2 + ["gsp-post"] * 7 + ["bad-update"] * 2 + ["bad-gsp"] * 2
ITEM = re.compile(r"<http://example\.org/(item|bad)-(\d+)>")


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    d = tmp_path_factory.mktemp("faults")
    shapes = d / "shapes.ttl"
    shapes.write_text(TINY_SHAPES, encoding="utf-8")
    return {"dir": d, "shapes": shapes, "data": fixture_data(d / "data"), "tokens": d / "tokens.json",
            "token": make_token(d / "tokens.json", "faulter")}


def start(setup, state: Path) -> CurationServer:
    return CurationServer(state, setup["tokens"], setup["data"], setup["shapes"], workers=2,
                          log=setup["dir"] / "server.log", ready_timeout=60)


# -- checking a state directory ------------------------------------------------------------------
def check_state(state: Path, ledger: dict, shapes: Path) -> tuple[dict, list[str]]:
    """The figures of the state directory against what was sent, and every invariant it breaks."""
    store = read_state(state)
    bad: list[str] = []
    by_subject: dict[str, set[str]] = {}
    for q in store:
        if isinstance(q.subject, ox.NamedNode) and ITEM.fullmatch(f"<{q.subject.value}>"):
            by_subject.setdefault(q.subject.value, set()).add(str(q))
    figures = {"acknowledged": 0, "acknowledged_found": 0, "unacknowledged": 0, "unacknowledged_present": 0,
               "unacknowledged_absent": 0, "refused_422": 0, "refused_present": 0, "undelivered": 0,
               "partial": 0}
    present = set()
    for n, w in ledger.items():
        expected = {str(ox.Quad(ox.NamedNode(s), ox.NamedNode(p), _obj(o), ox.NamedNode(w.graph)))
                    for s, p, o in w.triples}
        found = by_subject.pop(w.subject, set())
        whole = found == expected
        if found and not whole:
            figures["partial"] += 1
            bad.append(f"write {n} ({w.kind}, {w.outcome}) is partly there: {len(found)} of {len(expected)} triples")
        if whole:
            present.add(n)
        if w.outcome == "ack":
            figures["acknowledged"] += 1
            figures["acknowledged_found"] += whole
            if not whole:
                bad.append(f"acknowledged write {n} ({w.kind}, seq {w.seq}) is lost")
        elif w.outcome == "unacked":
            figures["unacknowledged"] += 1
            figures["unacknowledged_present" if whole else "unacknowledged_absent"] += 1
        elif w.outcome == "refused":
            figures["refused_422"] += 1
            if found:
                figures["refused_present"] += 1
                bad.append(f"write {n} refused with 422 is there")
        elif w.outcome == "undelivered":
            figures["undelivered"] += 1
            if found:
                bad.append(f"write {n} that never reached the server is there")
        else:
            bad.append(f"write {n} ({w.kind}) had an unexpected answer: {w.status} {w.detail[:200]}")
    for s in by_subject:
        bad.append(f"{s} is there but was never sent")

    # the change log: one activity per write there, the one the acknowledgement named
    changes = ox.NamedNode(CHANGES_GRAPH)
    acts = {q.subject.value for q in store.quads_for_pattern(
        None, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
        ox.NamedNode("http://www.w3.org/ns/prov#Activity"), changes)}
    mentions: dict[int, list[str]] = {}
    for q in store.quads_for_pattern(None, RDF_VALUE, None, changes):
        act = q.subject.value.removesuffix("-patch")
        items = {int(m.group(2)) for m in ITEM.finditer(q.object.value) if m.group(1) == "item"}
        if len(items) != 1:
            bad.append(f"{act}'s patch names {len(items)} writes, not one")
        for i in items:
            mentions.setdefault(i, []).append(act)
    if len(acts) != len(present):
        bad.append(f"{len(acts)} activities in the change log for {len(present)} writes")
    for n in present:
        if len(mentions.get(n, [])) != 1:
            bad.append(f"write {n} has {len(mentions.get(n, []))} activities in the change log")
        w = ledger[n]
        if w.outcome == "ack" and mentions.get(n) != [f"https://w3id.org/deepseek-kg/id/change-{w.seq:06d}"]:
            bad.append(f"write {n} was acknowledged as seq {w.seq} but logged as {mentions.get(n)}")
    for n in set(mentions) - present:
        bad.append(f"the change log has write {n}, which is not in the graph")
    seqs = [r["seq"] for r in Journal(state / "journal").read_from(0)[0]]
    if seqs != list(range(1, len(seqs) + 1)) or len(seqs) != len(present):
        bad.append(f"journal seqs are not 1..{len(present)}: {seqs[:5]}...{seqs[-5:]}")

    data = [q for q in store if not (isinstance(q.graph_name, ox.NamedNode)
                                     and q.graph_name.value in (SHAPES_GRAPH, CHANGES_GRAPH))]
    report = validate_quads(data, shapes=shapes)
    if not report.conforms:
        bad.append("the graph does not conform to the shapes: " + report.text()[:500])
    figures["present"], figures["activities"] = len(present), len(acts)
    return figures, bad


def _obj(o: str):
    if o.startswith("<"):
        return ox.NamedNode(o[1:-1])
    value, _, dt = o.partition("^^")
    return ox.Literal(value.strip('"'), datatype=ox.NamedNode(dt[1:-1])) if dt else ox.Literal(value.strip('"'))


def check_served(server: CurationServer, state: Path) -> list[str]:
    """After a restart: the server serves exactly the state directory's curated graphs and log."""
    store = read_state(state)
    on_disk = {str(q) for g in ITEM_GRAPHS for q in store.quads_for_pattern(None, None, None, ox.NamedNode(g))}
    bad = []
    served = served_graphs(server.url, ITEM_GRAPHS)
    if served != on_disk:
        bad.append(f"the restarted server serves {len(served)} curated quads, the state directory has {len(on_disk)}")
    n_acts = sum(1 for _ in store.quads_for_pattern(
        None, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
        ox.NamedNode("http://www.w3.org/ns/prov#Activity"), ox.NamedNode(CHANGES_GRAPH)))
    if activities(server.url) != n_acts:
        bad.append("the restarted server's change log differs from the state directory's")
    return bad


# -- the rounds ----------------------------------------------------------------------------------
def stream(server, setup, ledger, counter, lock, stop, rng, tag, acks: list, worker_round: bool):
    """Send writes until ``stop``; record each in the ledger before it is sent, and the
    acknowledged ones in ``acks``."""
    while not stop.is_set():
        with lock:
            n = next(counter)
            w = make_write(n, rng.choice(KINDS), setup["token"], tag=tag)
            ledger[n] = w
        send(server.url, w, timeout=30)
        if w.outcome == "undelivered" or (w.outcome == "unacked" and not worker_round):
            return  # the server is gone: this round's kill
        if w.outcome == "ack":
            acks.append(n)


def test_kill_whole_server_mid_write_many_times(setup):
    state = setup["dir"] / "state"
    rng = random.Random(SEED)
    ledger: dict = {}
    counter, lock = itertools.count(1), threading.Lock()
    worker_round, torn_round = ROUNDS // 2, ROUNDS // 3
    faults = {"whole_server_kills": 0, "worker_kills": 0, "kills_inside_a_write": 0, "torn_tails_left": 0}
    bad_states: list[str] = []
    rounds = []
    t_start = time.monotonic()
    spent = {"starting": 0.0, "writing": 0.0, "checking": 0.0}
    for r in range(ROUNDS + 1):
        t0 = time.monotonic()
        server = start(setup, state)
        spent["starting"] += time.monotonic() - t0
        try:
            if r:
                bad_states += [f"round {r} restart: {b}" for b in check_served(server, state)]
            if r == ROUNDS:  # the last start: the state is served as checked, and it takes writes
                w = send(server.url, make_write(next(counter), "update", setup["token"], tag=r))
                ledger[w.n] = w
                assert w.outcome == "ack", w.detail
                server.stop()
                break
            stop, acks = threading.Event(), []
            threads = [threading.Thread(target=stream, args=(server, setup, ledger, counter, lock, stop,
                                                             random.Random(SEED * 1000 + r * 10 + i), r, acks,
                                                             r == worker_round))
                       for i in range(2)]
            t0 = time.monotonic()
            for t in threads:
                t.start()
            inside = False
            deadline = time.monotonic() + 20
            while not acks and time.monotonic() < deadline:  # each round gets some writes in first
                time.sleep(0.01)
            if r == worker_round:
                victim = _wait_inside_write(server, 3.0)
                assert victim, "no worker was seen inside a write"
                before = len(acks)
                os.kill(victim, signal.SIGKILL)
                faults["worker_kills"] += 1
                deadline = time.monotonic() + 10
                while (len(acks) < before + 3 or len(server.workers()) < 2) and time.monotonic() < deadline:
                    time.sleep(0.02)
                assert len(acks) >= before + 3 and victim not in server.workers(), \
                    "the server did not go on taking writes after a worker was killed mid-write"
            if r % 2:
                time.sleep(rng.uniform(0.1, 0.6))
                inside = _wait_inside_write(server, 3.0) is not None
                time.sleep(rng.uniform(0, 0.05))  # the check, the append and fsync, or the answer
            else:
                time.sleep(rng.uniform(0.2, 1.4))
            server.kill()
            faults["whole_server_kills"] += 1
            faults["kills_inside_a_write"] += inside
            stop.set()
            for t in threads:
                t.join(60)
            spent["writing"] += time.monotonic() - t0
        finally:
            server.kill()
        if r == torn_round:  # what a kill in the middle of a large append leaves behind
            with open(state / "journal", "ab") as f:
                f.write(b'0badc0de {"seq":999999,"agent":"faulter","added":"<http://example.org/item-0> <http')
            faults["torn_tails_left"] += 1
        t0 = time.monotonic()
        figures, bad = check_state(state, ledger, setup["shapes"])
        spent["checking"] += time.monotonic() - t0
        bad_states += [f"round {r}: {b}" for b in bad]
        rounds.append({"round": r, "writes_sent": len(ledger), **figures})

    figures, bad = check_state(state, ledger, setup["shapes"])
    bad_states += [f"final: {b}" for b in bad]
    summary = {
        "rounds": ROUNDS, "seed": SEED, "workers": 2, "seconds": round(time.monotonic() - t_start, 1),
        "seconds_spent": {k: round(v, 1) for k, v in spent.items()},
        "faults_injected": faults["whole_server_kills"] + faults["worker_kills"] + faults["torn_tails_left"],
        **faults, "writes_sent": len(ledger), **figures, "bad_states": len(bad_states),
        "bad_state_details": bad_states[:50], "per_round": rounds,
    }
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print("\n" + json.dumps({k: v for k, v in summary.items() if k not in ("per_round", "bad_state_details")}, indent=1))
    assert not bad_states, "\n".join(bad_states[:20])
    assert figures["acknowledged"] >= ROUNDS and figures["refused_422"] > 0
    assert faults["kills_inside_a_write"] > 0


def _wait_inside_write(server: CurationServer, timeout: float) -> int | None:
    """A worker that is inside a write right now (it has forked its shapes check), or None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy = server.checking_workers()
        if busy:
            return busy[0]
        time.sleep(0.002)
    return None


# -- regression: a torn record at the journal's tail while the server runs --------------------------
def test_append_after_a_torn_tail_is_kept(tmp_path):
    """A writer that dies (or hits a full disk) in the middle of its append leaves a torn record.
    The next write must not be glued onto it: it would be unreadable (lost, although it was
    acknowledged) and, with a record after it, would stop the journal from being read at all."""
    item = lambda n: (lambda st: st.update(  # noqa: E731
        f"INSERT DATA {{ GRAPH <https://w3id.org/deepseek-kg/graph/x> {{ <{EX}item-{n}> <{EX}n> {n} }} }}"))
    store = CuratedStore(tmp_path, [])
    store.transact(item(1), agent="a", kind="test", text="1")
    with store.lock(), open(tmp_path / "journal", "ab") as f:
        f.write(b'deadbeef {"seq":2,"added":"<http://example.org/torn')
    store.transact(item(2), agent="a", kind="test", text="2")
    store.transact(item(3), agent="a", kind="test", text="3")
    after = read_state(tmp_path)   # also what a restart reads (no JournalError)
    assert {f"{EX}item-{n}" for n in (1, 2, 3)} <= {q.subject.value for q in after}
    assert [r["seq"] for r in Journal(tmp_path / "journal").read_from(0)[0]] == [1, 2, 3]


def test_torn_tail_left_by_a_dead_writer_while_serving(setup, tmp_path):
    """The same through the server: another process tears a record (holding the writers' lock, as a
    dying writer would), then writes go on through both workers, the server is killed, restarts,
    and every acknowledged write is there."""
    state = tmp_path / "state"
    server = start(setup, state)
    acked = []
    try:
        for n in (1, 2, 3, 4):
            if n == 2:
                fd = os.open(state / "lock", os.O_RDWR)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                    with open(state / "journal", "ab") as f:
                        f.write(b'deadbeef {"seq":2,"added":"<http://example.org/torn')
                finally:
                    os.close(fd)   # releases the lock
            w = send(server.url, make_write(n, "gsp-post" if n % 2 else "update", setup["token"]))
            assert w.outcome == "ack", w.detail
            acked.append(w)
    finally:
        server.kill()
    server = start(setup, state)   # before the fix: "record ... is damaged", the server did not start
    try:
        served = served_graphs(server.url, ITEM_GRAPHS)
    finally:
        server.kill()
    for w in acked:
        assert any(f"<{EX}item-{w.n}>" in q for q in served), f"acknowledged write {w.n} (seq {w.seq}) is lost"
