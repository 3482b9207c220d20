"""Whole /sparql requests answered by the query processes themselves (kg.web.dispatch), over real
HTTP: the worker keeps the clock, the client limits and the connection; the query process parses,
runs and writes. Every way a query process can fail to answer still gets the server's own answer."""
from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

from kg.web.dispatch import CpuSlots, wants

from .test_resources import HUNGRY, RUNAWAY

ACCEPT = {"Accept": "application/sparql-results+json"}
ASK = "ASK { ?s ?p ?o }"


@pytest.fixture(scope="module")
def server(start_server, fixture_sources):
    data = [a for s in fixture_sources for a in ("--data", f"{s.path}={s.graph}")]
    return start_server(data + ["--workers", "2", "--threads", "3", "--query-timeout", "2", "--query-memory-mb", "64",
                                "--client-requests", "0", "--client-queries", "2", "--cors-origins", "https://ok.example"])


def get(server, query: str, headers: dict | None = None, conn: http.client.HTTPConnection | None = None, timeout=20):
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    try:
        conn.request("GET", "/sparql?query=" + urllib.parse.quote(query), headers={**ACCEPT, **(headers or {})})
        r = conn.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        if own:
            conn.close()


def query_processes(server) -> list[int]:
    """The query processes: children of the workers, which are children of the master."""
    def children(pid):
        try:
            return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except OSError:
            return []
    return [q for w in children(server.proc.pid) for q in children(w)]


def test_many_requests_on_one_kept_alive_connection(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        for i in range(30):
            status, headers, body = get(server, f"SELECT (({i}) AS ?i) {{}}", conn=conn)
            assert status == 200 and json.loads(body)["results"]["bindings"][0]["i"]["value"] == str(i)
            assert headers["Connection"] == "keep-alive" and headers["X-Content-Type-Options"] == "nosniff"
    finally:
        conn.close()


def test_pipelined_queries_are_answered_in_order(server):
    reqs = b"".join(b"GET /sparql?query=" + urllib.parse.quote(f"SELECT (({i}) AS ?i) {{}}").encode()
                    + b" HTTP/1.1\r\nHost: x\r\nAccept: text/csv\r\n\r\n" for i in range(5))
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(reqs + b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        out = b""
        while chunk := s.recv(65536):
            out += chunk
    bodies = [part.split(b"\r\n\r\n", 1)[1][:40] for part in out.split(b"HTTP/1.1 ")[1:]]
    assert [b.split(b"\r\n")[1] for b in bodies[:5]] == [str(i).encode() for i in range(5)]
    assert b'"status"' in bodies[5]


def test_a_runaway_query_is_stopped_by_the_worker_with_503_and_cors(server):
    t0 = time.monotonic()
    status, headers, body = get(server, RUNAWAY, {"Origin": "https://ok.example"})
    assert status == 503 and body.startswith(b"503 Query Timeout: the query ran longer than the 2 s limit")
    assert headers["Retry-After"] == "1" and headers["Access-Control-Allow-Origin"] == "https://ok.example"
    assert headers["Content-Security-Policy"].startswith("default-src 'none'") and time.monotonic() - t0 < 10
    assert get(server, ASK)[0] == 200


def test_a_query_past_the_memory_limit_is_503(server):
    status, headers, body = get(server, HUNGRY)
    assert status == 503 and b"64 MB memory limit (QUERY_MEMORY_MB)" in body and headers["Retry-After"] == "1"
    assert get(server, ASK)[0] == 200


def test_a_query_process_that_crashes_mid_query_gets_500_and_is_replaced(server):
    """Crash the process running a long query: the worker says so in our format, then serves on."""
    before = set(query_processes(server))
    result = {}
    t = threading.Thread(target=lambda: result.update(r=get(server, RUNAWAY)))
    t.start()
    def ticks(pid):
        try:
            return sum(int(x) for x in Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[11:13])
        except OSError:
            return 0
    deadline, victim = time.monotonic() + 5, None
    while victim is None and time.monotonic() < deadline:  # the one the runaway keeps busy: its CPU time grows
        seen = {pid: ticks(pid) for pid in query_processes(server)}
        time.sleep(0.3)
        victim = next((pid for pid, n in seen.items() if ticks(pid) - n >= 10), None)
    assert victim is not None, "no query process ran the query"
    os.kill(victim, signal.SIGSEGV)  # a crash (SIGKILL would read as the memory limit: the OOM killer's signal)
    t.join(15)
    status, _, body = result["r"]
    assert status == 500 and b"the query process failed while answering" in body
    assert get(server, ASK)[0] == 200 and victim not in query_processes(server)
    assert before  # the pool was there before


def test_one_clients_parallel_runaways_get_429_past_client_queries(server):
    """CLIENT_QUERIES=2 per worker: the worker counts a client's requests in its query processes."""
    conns = [http.client.HTTPConnection("127.0.0.1", server.port, timeout=20) for _ in range(6)]
    results = []
    threads = [threading.Thread(target=lambda c=c: results.append(get(server, RUNAWAY, conn=c))) for c in conns]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    for c in conns:
        c.close()
    statuses = sorted(r[0] for r in results)
    assert 429 in statuses and 503 in statuses and set(statuses) <= {429, 503}
    too_many = next(r for r in results if r[0] == 429)
    assert b"CLIENT_QUERIES=2" in too_many[2] and too_many[1]["Retry-After"] == "1"


def test_short_queries_are_served_while_runaways_run(server):
    """Past DEMOTE_AFTER a runaway gives its CPU slot back: short queries never wait for it."""
    runaways = [threading.Thread(target=get, args=(server, RUNAWAY, {"X-Forwarded-For": f"203.0.113.{i}"}))
                for i in range(2)]  # other clients (the loopback is a trusted proxy): no 429 for ours
    for t in runaways:
        t.start()
    time.sleep(0.5)
    t0 = time.monotonic()
    for _ in range(10):
        assert get(server, ASK)[0] == 200
    assert (time.monotonic() - t0) / 10 < 0.5
    for t in runaways:
        t.join(15)


@pytest.mark.parametrize("method, target, writes, answer", [
    (b"GET", b"/sparql?query=ASK%7B%7D", False, True), (b"HEAD", b"/sparql/", False, True),
    (b"POST", b"/sparql", False, True), (b"POST", b"/sparql", True, False), (b"GET", b"/sparql?query=x", True, True),
    (b"PUT", b"/sparql", False, False), (b"GET", b"/sparqlx", False, False), (b"GET", b"/rdf-graph-store", False, False),
    (b"GET", b"/", False, False), (b"OPTIONS", b"/sparql", False, False)])
def test_which_requests_go_whole_to_a_query_process(method, target, writes, answer):
    assert wants(method, target, writes) is answer


def test_cpu_slots_are_shared_between_processes_and_freed_when_one_dies():
    with tempfile.TemporaryFile() as f:
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # another worker: takes both slots, says so, then dies holding them
            try:
                other = CpuSlots(f.fileno(), 2)
                os.write(w, bytes([other.take() is not None, other.take() is not None]))
                time.sleep(30)
            finally:
                os._exit(0)
        try:
            assert os.read(r, 2) == b"\x01\x01"
            ours = CpuSlots(f.fileno(), 2)
            assert ours.take() is None and ours.index != 0  # both taken; a second worker claims its own index
        finally:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        assert ours.take() is not None  # the kernel dropped the dead worker's locks


def test_a_worker_does_not_borrow_a_slot_while_another_waits():
    with tempfile.TemporaryFile() as f:
        a = CpuSlots(f.fileno(), 2)
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the other worker: requests waiting, nothing running yet
            try:
                b = CpuSlots(f.fileno(), 2)
                b.waiting(3)
                os.write(w, bytes([b.home]))
                time.sleep(30)
            finally:
                os._exit(0)
        try:
            their_home = os.read(r, 1)[0]
            assert their_home != a.home and a.take() == a.home
            assert a.take() is None  # borrowing theirs would starve them
        finally:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        a.cells[CpuSlots.CELLS + (1 - a.index)] = 0  # (their count, as a worker starting in their place writes it)
        assert a.take() == their_home  # nobody waits: one busy worker may use every CPU


def _raw_get(server, target: str, accept: str = "text/csv") -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nAccept: {accept}\r\nConnection: keep-alive\r\n\r\n".encode())
        out = b""
        while b"\r\n\r\n" not in out or len(out.split(b"\r\n\r\n", 1)[1]) < int(
                out.split(b"Content-Length: ", 1)[1].split(b"\r\n", 1)[0]):
            out += s.recv(65536)
        return out


def test_a_repeated_get_is_answered_whole_from_the_workers_cache(server):
    """The second time, the worker writes the bytes the query process wrote the first time (its Date
    too, as an HTTP cache would); a different Accept, gzip or a conditional request is not that answer."""
    target = "/sparql?query=" + urllib.parse.quote("SELECT ?s { ?s ?p ?o } ORDER BY ?s LIMIT 3 # cache test")
    first = [_raw_get(server, target) for _ in range(4)]  # both workers see it (connections spread)
    time.sleep(1.1)
    again = [_raw_get(server, target) for _ in range(6)]
    assert all(a in first for a in again)  # byte for byte, Date included: no query process ran
    assert b"Content-Type: text/csv" in again[0] and b"ETag: " in again[0]
    json_answer = _raw_get(server, target, "application/sparql-results+json")
    assert b"Content-Type: application/sparql-results+json" in json_answer and json_answer not in first
    etag = again[0].split(b"ETag: ", 1)[1].split(b"\r\n", 1)[0].decode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nAccept: text/csv\r\nIf-None-Match: {etag}\r\n"
                  "Connection: close\r\n\r\n".encode())
        assert s.recv(65536).startswith(b"HTTP/1.1 304 ")


@pytest.mark.parametrize("query, status", [(HUNGRY, 503), (RUNAWAY, 503), ("ASK { ?s ?p ?o }", 200)])
def test_a_connection_close_request_gets_its_answer_and_the_end_of_the_connection(server, query, status):
    """Regression: a query process forked after a connection was accepted held a copy of its socket,
    so the worker's close sent no FIN and a client reading to the end waited forever (the replacement
    of a process that died of the memory limit is forked exactly then). Now the worker shuts the
    connection down and query processes close every socket they inherit."""
    t0 = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port), timeout=15) as s:
        s.sendall(f"GET /sparql?query={urllib.parse.quote(query)} HTTP/1.1\r\nHost: x\r\n"
                  "Accept: application/sparql-results+json\r\nConnection: close\r\n\r\n".encode())
        out = b""
        while chunk := s.recv(65536):  # to the end: raises socket.timeout if the FIN never comes
            out += chunk
    assert out.startswith(f"HTTP/1.1 {status} ".encode()) and time.monotonic() - t0 < 10


def test_query_processes_hold_no_socket_but_their_channel(server):
    for pid in query_processes(server):
        try:
            socks = [fd for fd in os.listdir(f"/proc/{pid}/fd")
                     if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")]
        except OSError:
            continue  # replaced meanwhile
        assert len(socks) <= 2, (pid, socks)  # its channel, and a client's socket while it answers one
