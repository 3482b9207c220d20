"""Issue 12, bounded resources: a memory limit per query and per update, updates in a killable
sandboxed process that never holds the write lock past its limits, one client's queries bounded,
no network for the engine, and caches bounded in bytes."""
from __future__ import annotations

import threading
import time

import pyoxigraph as ox
import pytest

from kg import sandbox
from kg.auth import add_token
from kg.curated import CuratedStore, Refusal, WriteLimits
from kg.web.executor import ClientLimiter, TooManyQueries
from kg.web.protocol import ScanCache
from kg.web.state import AnswerCache
from testkit.listener import Listener

from conftest import EX, GRAPHS

JSON = {"Accept": "application/sparql-results+json"}
PEOPLE = GRAPHS["people.ttl"]
#: five-way cross product, sorted: the fixture's 19 quads make 2.5 million rows to hold at once
HUNGRY = ("SELECT ?a ?b ?c ?d ?e { ?a ?p1 ?x1 . ?b ?p2 ?x2 . ?c ?p3 ?x3 . ?d ?p4 ?x4 . ?e ?p5 ?x5 } "
          "ORDER BY ?a ?b ?c ?d ?e")
RUNAWAY = "SELECT (COUNT(*) AS ?n) { " + " ".join(f"?s{i} ?p{i} ?o{i} ." for i in range(8)) + " }"


# -- memory ----------------------------------------------------------------------------------------------
def test_a_query_past_the_memory_limit_is_503_and_the_next_one_runs(make_app):
    client = make_app(QUERY_MEMORY_MB=64, QUERY_TIMEOUT=20).test_client()
    t0 = time.monotonic()
    r = client.get("/sparql", query_string={"query": HUNGRY}, headers=JSON)
    assert r.status_code == 503 and "64 MB memory limit" in r.get_data(as_text=True)
    assert r.headers["Retry-After"] and time.monotonic() - t0 < 15
    assert client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"}, headers=JSON).json["boolean"] is True


def test_the_memory_limit_counts_growth_not_the_store(make_app):
    """The cap is the process's size when the query starts plus QUERY_MEMORY_MB: the store shared
    with the web worker is not counted, so a small limit still runs ordinary queries."""
    client = make_app(QUERY_MEMORY_MB=16).test_client()
    for _ in range(3):
        r = client.get("/sparql", query_string={"query": "SELECT * { ?s ?p ?o }"}, headers=JSON)
        assert r.status_code == 200 and len(r.json["results"]["bindings"]) == 19


def test_sandbox_limits_each_kind_of_overrun():
    with pytest.raises(sandbox.OutOfMemory):
        sandbox.call(lambda: [bytes(1 << 20) for _ in range(400)], timeout=30, memory_mb=64)
    st = ox.Store()
    st.add(ox.Quad(ox.NamedNode("http://a"), ox.NamedNode("http://b"), ox.Literal("1")))
    for i in range(30):
        st.add(ox.Quad(ox.NamedNode(f"http://s{i}"), ox.NamedNode("http://b"), ox.Literal(str(i))))
    with pytest.raises(sandbox.OutOfMemory):  # the engine's allocation fails: Rust aborts the child
        sandbox.call(lambda: len(list(st.query(HUNGRY))), timeout=30, memory_mb=64)
    t0 = time.monotonic()
    with pytest.raises(sandbox.Overrun):
        sandbox.call(lambda: time.sleep(30), timeout=1)
    assert time.monotonic() - t0 < 5
    with pytest.raises(ZeroDivisionError):  # the child's own exception comes back as is
        sandbox.call(lambda: 1 / 0, timeout=10)


def test_the_sandbox_has_no_network():
    """A SERVICE that got past the scanner reaches nothing from a sandboxed process (Linux network
    namespace); the control shows the same call reaches the listener outside it."""
    with Listener() as li:
        q = f"SELECT * {{ SERVICE <{li.url}> {{ ?s ?p ?o }} }}"
        ox.Store().query(q)
        assert li.hits, "control: the engine calls out"
        li.hits.clear()

        def call_out():
            try:
                list(ox.Store().query(q))
                return "answered"
            except OSError as exc:
                return f"refused: {exc}"
        outcome = sandbox.call(call_out, timeout=20)
        if sandbox.network_note() is not None and outcome == "answered":
            pytest.skip(f"no network namespace here ({sandbox.network_note()}): the scanner is the only guard")
        assert outcome.startswith("refused") and li.hits == []


# -- one client ---------------------------------------------------------------------------------------------
def test_client_limiter_counts_per_client():
    lim = ClientLimiter(2)
    with lim.slot("a"), lim.slot("a"):
        with pytest.raises(TooManyQueries), lim.slot("a"):
            pass
        with lim.slot("b"):
            assert lim.running("a") == 2 and lim.running("b") == 1
    assert lim.running("a") == 0
    with ClientLimiter(0).slot("a"), ClientLimiter(0).slot("a"):
        pass  # 0: no limit


def test_one_clients_runaway_queries_get_429_and_others_are_served(make_app):
    app = make_app(CLIENT_QUERIES=1, QUERY_PROCESSES=3, QUERY_TIMEOUT=3)
    statuses = []

    def runaway():
        with app.test_client() as c:
            statuses.append(c.get("/sparql", query_string={"query": RUNAWAY}, headers=JSON,
                                  environ_base={"REMOTE_ADDR": "198.51.100.7"}).status_code)

    threads = [threading.Thread(target=runaway) for _ in range(3)]
    for t in threads:
        t.start()
    running = app.extensions["kg"].clients._running
    deadline = time.monotonic() + 10  # until the runaway holds its slot (polled, not slept)
    while not running.get("198.51.100.7") and time.monotonic() < deadline:
        time.sleep(0.01)
    assert running.get("198.51.100.7") == 1
    t0 = time.monotonic()
    r = app.test_client().get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"}, headers=JSON,
                              environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert r.status_code == 200 and time.monotonic() - t0 < 2.0  # not behind the 3 s runaway
    for t in threads:
        t.join()
    assert sorted(statuses) == [429, 429, 503]  # one ran into its time limit, the others were refused at once


def test_forwarded_for_counts_only_behind_a_trusted_proxy(make_app):
    from kg.web.limits import client_key
    assert client_key("10.0.0.1", "203.0.113.5") == "10.0.0.1"  # not trusted: the header is anyone's
    assert client_key("10.0.0.1", "203.0.113.5", ["10.0.0.1"]) == "203.0.113.5"
    assert client_key("10.0.0.1", "198.51.100.1, 203.0.113.5", ["10.0.0.1"]) == "203.0.113.5"  # the last hop
    assert client_key("2001:db8::1") == client_key("2001:db8::2") == "2001:db8::/64"
    assert client_key("::ffff:192.0.2.1") == "192.0.2.1"


# -- updates -----------------------------------------------------------------------------------------------------
@pytest.fixture
def curated(tmp_path, fixture_sources):
    return CuratedStore(tmp_path / "state", fixture_sources, writable_prefix=EX + "graph/",
                        limits=WriteLimits(timeout=2, memory_mb=64))


def test_a_runaway_update_is_stopped_and_frees_the_lock(curated):
    everywhere = " ".join(f"GRAPH ?g{i} {{ ?s{i} ?p{i} ?o{i} }}" for i in range(8))  # updates see no union
    runaway = f"INSERT {{ GRAPH <{PEOPLE}> {{ <{EX}a> <{EX}b> ?n }} }} WHERE {{ SELECT (COUNT(*) AS ?n) {{ {everywhere} }} }}"
    t0 = time.monotonic()
    with pytest.raises(Refusal) as exc:
        curated.transact(lambda st: st.update(runaway), agent="a", kind="k", text="t")
    assert exc.value.status == 503 and "2 s limit" in exc.value.message and time.monotonic() - t0 < 6
    change = curated.transact(lambda st: st.update(f"INSERT DATA {{ GRAPH <{PEOPLE}> {{ <{EX}z> <{EX}y> 1 }} }}"),
                              agent="a", kind="k", text="t", lock_timeout=1)  # the lock is free again
    assert change.seq == 1


def test_a_runaway_update_of_named_graphs_is_stopped_too(curated):
    """An update whose patterns all sit in GRAPH <iri> blocks runs on a copy of those graphs alone
    (issue 14's fast path): in the same sandboxed child, under the same limits."""
    from kg.changes import ChangeSet, GraphsUpdate
    from kg.web.query_scan import graphs_only
    cross = " . ".join(f"?s{i} ?p{i} ?o{i}" for i in range(8))
    runaway = f"DELETE {{ GRAPH <{PEOPLE}> {{ ?s0 ?p0 ?o0 }} }} WHERE {{ GRAPH <{PEOPLE}> {{ {cross} }} }}"
    assert graphs_only(runaway) == [PEOPLE]
    t0 = time.monotonic()
    with pytest.raises(Refusal) as exc:
        curated.write(ChangeSet("SPARQL Update", runaway, [GraphsUpdate(runaway, [PEOPLE])]), agent="a")
    message = exc.value.message  # it runs out of time or of memory first, as the machine goes
    assert exc.value.status == 503 and ("2 s limit" in message or "64 MB memory limit" in message), message
    assert time.monotonic() - t0 < 6
    fine = f"DELETE {{ GRAPH <{PEOPLE}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{PEOPLE}> {{ ?s ?p ?o FILTER(?o = 1) }} }}"
    change = curated.write(ChangeSet("SPARQL Update", fine, [GraphsUpdate(fine, [PEOPLE])]), agent="a", lock_timeout=1)
    assert change.seq == 0  # the lock is free again (nothing matched: nothing to log)


def test_an_update_past_the_memory_limit_is_503(curated):
    hungry = (f"INSERT {{ GRAPH <{PEOPLE}> {{ ?a <{EX}n> ?e }} }} WHERE {{ "
              + " ".join(f"GRAPH ?g{v} {{ ?{v} ?p{v} ?x{v} }}" for v in "abcde") + " }")
    curated.limits = WriteLimits(timeout=60, memory_mb=64)  # the memory limit, not a loaded machine's clock, stops it
    with pytest.raises(Refusal) as exc:
        curated.transact(lambda st: st.update(hungry), agent="a", kind="k", text="t")
    assert exc.value.status == 503 and "memory limit" in exc.value.message
    assert curated.seq == 0


def test_a_sandboxed_update_reaches_no_network(curated):
    """Even an update the scanner did not see (here: straight to the store) calls nobody."""
    with Listener() as li:
        with pytest.raises(Refusal) as exc:
            curated.transact(lambda st: st.update(f"LOAD <{li.url}> INTO GRAPH <{PEOPLE}>"), agent="a", kind="k", text="t")
        if sandbox.network_note() is not None and li.hits:
            pytest.skip("no network namespace on this system")
        assert exc.value.status == 400 and li.hits == []


@pytest.fixture
def writes(tmp_path, fixture_sources, make_app):
    tokens = tmp_path / "tokens.json"
    token = add_token(tokens, "alice", "write")
    app = make_app(ALLOW_UPDATE=True, STATE_DIR=str(tmp_path / "state"), TOKENS=str(tokens),
                   WRITABLE_GRAPHS=EX + "graph/", QUERY_TIMEOUT=3)
    return app.test_client(), {"Authorization": f"Bearer {token}", "Content-Type": "application/sparql-update"}


@pytest.mark.parametrize("update,status,says", [
    (f"CREATE GRAPH <{PEOPLE}>", 409, "already exists"),
    (f"DROP GRAPH <{EX}graph/missing>", 404, "does not exist"),
    (f"CLEAR GRAPH <{EX}graph/missing>", 404, "does not exist"),
    (f"MOVE <{EX}graph/missing> TO <{EX}graph/other>", 404, "does not exist"),
    (f"DROP SILENT GRAPH <{EX}graph/missing>", 200, ""),
    (f"CREATE SILENT GRAPH <{PEOPLE}>", 200, ""),
    (f"INSERT DATA {{ GRAPH <{PEOPLE}> {{ <a b> <{EX}p> 1 }} }}", 400, "could not be applied"),
    ("INSERT DATA { " + "{" * 3000 + "}" * 3000 + " }", 400, "MAX_NESTING"),
    ("DELETE WHERE " + "{ " * 5000 + "}" * 5000, 400, "MAX_NESTING"),
])
def test_engine_errors_in_updates_are_4xx(writes, update, status, says):
    client, headers = writes
    r = client.post("/update", data=update.encode(), headers=headers)
    assert r.status_code == status and says in r.get_data(as_text=True), r.data


# -- caches in bytes -------------------------------------------------------------------------------------------------
def test_the_scan_cache_is_bounded_in_characters_not_entries():
    cache = ScanCache(max_chars=64_000)
    for i in range(200):
        cache(f"SELECT * {{ ?s ?p ?o }} # {i} " + "x" * 900)
    assert cache.size <= 64_000 and len(cache.items) < 70
    cache("SELECT * {}" + " " * 5000)  # longer than a 64th of the budget: scanned, not kept
    assert all(len(k) < 2000 for k in cache.items)


def test_the_answer_cache_counts_its_keys():
    cache = AnswerCache(100_000)
    for i in range(100):
        cache.put(("response", "v", "/sparql", "q" * 8000 + str(i)), b"x", ())
    assert cache.size <= 100_000 and len(cache.items) <= 12


# -- blank-node structures the dumps could not process -----------------------------------------------------------
@pytest.mark.parametrize("shape,quads", [
    ("a clique of 9 blank nodes", [f"_:b{i} <{EX}p> _:b{j} ." for i in range(9) for j in range(9) if i != j]),
    ("a ring with chords", [f"_:r{i} <{EX}p> _:r{(i + k) % 48} ." for i in range(48) for k in (1, 2)]),
    ("300 blank nodes in a chain", [f"_:c{i} <{EX}p> _:c{i + 1} ." for i in range(300)]),
])
def test_blank_node_structures_that_would_stall_the_dumps_are_refused(curated, shape, quads):
    """Every dump is written from the graph's RDFC-1.0 canonical form, which is exponential on
    symmetric blank nodes: a write that would make it stall is refused, and nothing is changed."""
    body = "\n".join(quads).replace(" .", f" <{PEOPLE}> .")
    t0 = time.monotonic()
    with pytest.raises(Refusal) as exc:
        curated.transact(lambda st: st.extend(ox.parse(body.encode(), format=ox.RdfFormat.N_QUADS)),
                         agent="a", kind="k", text="t")
    assert exc.value.status == 400 and "IRIs" in exc.value.message and time.monotonic() - t0 < 10
    assert curated.seq == 0


def test_ordinary_blank_nodes_pass(curated):
    anchor = "\n".join([f"<{EX}claim> <{EX}anchor> _:a .", f"_:a <{EX}selector> _:s1 .", f"_:a <{EX}selector> _:s2 .",
                        f'_:s1 <{EX}exact> "words" .', f'_:s2 <{EX}start> "1" .', f'_:s2 <{EX}end> "5" .']
                       + [f'_:l{i} <{EX}first> "{i}" .' for i in range(40)]
                       + [f"_:l{i} <{EX}rest> _:l{i + 1} ." for i in range(40)])
    body = anchor.replace(" .", f" <{PEOPLE}> .")
    change = curated.transact(lambda st: st.extend(ox.parse(body.encode(), format=ox.RdfFormat.N_QUADS)),
                              agent="a", kind="k", text="t")
    assert change.seq == 1
