"""Issue 12 over real HTTP (gunicorn, raw sockets): every refusal in the server's own plain-text
format (never gunicorn's HTML pages), slow clients that hold no thread, tokens that never reach
the log, and a trivial query answered while all of that goes on."""
from __future__ import annotations

import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from kg.web.http import DATA_CSP


@pytest.fixture(scope="module")
def server(start_server, fixture_sources):
    data = [a for s in fixture_sources for a in ("--data", f"{s.path}={s.graph}")]
    return start_server(data + ["--workers", "2", "--threads", "2", "--query-timeout", "3", "--request-timeout", "3",
                                "--access-log", "--log-level", "info"])


def raw(server, data: bytes, wait: float = 5.0, half_close: bool = False, errors: tuple = (socket.timeout,)) -> bytes:
    """Send ``data`` on a fresh connection, read to the end; what arrived before ``errors`` (a timeout:
    the server kept the connection open; the fuzzers also take resets)."""
    s = socket.create_connection(("127.0.0.1", server.port))
    s.settimeout(wait)
    out = b""
    try:
        s.sendall(data)
        if half_close:
            s.shutdown(socket.SHUT_WR)
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return out
            out += chunk
    except errors:
        return out
    finally:
        s.close()


def status_and_body(out: bytes) -> tuple[int, bytes, bytes]:
    head, _, body = out.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), head, body


POST = b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
BAD = {
    "request line too long": (b"GET /sparql?query=" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    "too many header fields": (b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(120)) + b"\r\n", 431),
    "a header field too long": (b"GET / HTTP/1.1\r\nX-A: " + b"y" * 9000 + b"\r\n\r\n", 431),
    "headers too large together": (b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: %s\r\n" % (i, b"y" * 8000) for i in range(12))
                                   + b"\r\n", 431),
    "chunk size not hex": (POST + b"Transfer-Encoding: chunked\r\n\r\nzz\r\nASK{}\r\n0\r\n\r\n", 400),
    "chunk without CRLF": (POST + b"Transfer-Encoding: chunked\r\n\r\n5\r\nASK{}XX0\r\n\r\n", 400),
    "Content-Length and chunked": (POST + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    "two Content-Lengths": (POST + b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nASK{}", 400),
    "Content-Length not a number": (POST + b"Content-Length: 5x\r\n\r\nASK{}", 400),
    "body too large": (POST + b"Content-Length: 99999999\r\n\r\nASK{}", 413),
    "chunked body too large": (POST + b"Transfer-Encoding: chunked\r\n\r\nFFFFFF\r\n", 413),
    "not HTTP": (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40 + b"\r\n\r\n", 400),
    "bad method": (b"G@T / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    "bad version": (b"GET / HTTP/9.9\r\nHost: x\r\n\r\n", 400),
    "header without colon": (b"GET / HTTP/1.1\r\nHost x\r\n\r\n", 400),
    "folded header": (b"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400),
    "NUL in a header": (b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n", 400),
    "unknown transfer coding": (POST + b"Transfer-Encoding: gzip\r\n\r\n", 400),
    "unknown expectation": (b"GET / HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\n\r\n", 417),
}


@pytest.mark.parametrize("name", list(BAD))
def test_malformed_requests_get_our_own_error_format(server, name):
    data, status = BAD[name]
    got, head, body = status_and_body(raw(server, data))
    assert got == status, (got, head, body)
    assert b"text/plain" in head and b"nosniff" in head and DATA_CSP.encode() in head
    assert body.startswith(str(status).encode()) and b"<html" not in body.lower() and b"Traceback" not in body


def test_a_request_that_does_not_arrive_in_time_is_408_and_holds_no_thread(server):
    t0 = time.monotonic()
    got, head, body = status_and_body(raw(server, b"GET /healthz HTTP/1.1\r\nHost: x\r\n", wait=10))
    assert got == 408 and b"REQUEST_TIMEOUT" in body and 2.5 < time.monotonic() - t0 < 6


def test_a_trickled_body_is_408(server):
    s = socket.create_connection(("127.0.0.1", server.port))
    s.settimeout(10)
    s.sendall(POST + b"Content-Length: 100\r\n\r\nASK")
    for _ in range(5):
        time.sleep(1)
        try:
            s.sendall(b" ")
        except OSError:
            break
    out = s.recv(65536)
    s.close()
    assert status_and_body(out)[0] == 408


def _ask(server, n: int) -> float:
    q = urllib.parse.quote(f"ASK {{ ?s ?p ?o }} # {n}")  # a new text each time: no cache answers it
    t0 = time.monotonic()
    with urllib.request.urlopen(f"{server.url}/sparql?query={q}", timeout=10) as r:
        assert r.status == 200
    return time.monotonic() - t0


def test_twenty_slowloris_sockets_do_not_delay_a_trivial_query(server):
    """More slow sockets than the server has threads (2 workers x 2): each sends a header line
    every second; trivial queries are answered meanwhile as fast as before."""
    idle = sorted(_ask(server, i) for i in range(10))
    stop = threading.Event()
    socks = []
    for _ in range(20):
        s = socket.create_connection(("127.0.0.1", server.port))
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        socks.append(s)

    def drip():
        while not stop.wait(0.8):
            for s in socks:
                try:
                    s.sendall(b"X-Slow: 1\r\n")
                except OSError:
                    pass

    t = threading.Thread(target=drip)
    t.start()
    try:
        busy = sorted(_ask(server, 100 + i) for i in range(20))
    finally:
        stop.set()
        t.join()
        for s in socks:
            s.close()
    assert busy[-1] < 1.0 and busy[len(busy) // 2] < max(0.05, 10 * idle[len(idle) // 2]), (idle, busy)


def test_expect_100_continue_is_answered(server):
    s = socket.create_connection(("127.0.0.1", server.port))
    s.settimeout(5)
    s.sendall(POST + b"Accept: text/csv\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
    assert s.recv(1000).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
    s.sendall(b"ASK{}")
    out, deadline = b"", time.monotonic() + 10  # read until the answer's end (polled, not slept)
    while not out.endswith(b"true\n") and time.monotonic() < deadline:
        chunk = s.recv(65536)
        if not chunk:
            break
        out += chunk
    s.close()
    assert out.startswith(b"HTTP/1.1 200") and out.count(b"100 Continue") == 0 and out.endswith(b"true\n")


def test_pipelined_requests_are_all_answered(server):
    out = raw(server, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" * 3 + b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
              b"Connection: close\r\n\r\n")
    assert out.count(b"HTTP/1.1 200") == 4


def test_tokens_never_reach_the_log(start_server, fixture_sources, tmp_path):
    """Wherever a token is sent (URL parameter, path, header, a refused request), the access and
    error logs show [redacted]."""
    log = tmp_path / "server.log"
    data = [a for s in fixture_sources for a in ("--data", f"{s.path}={s.graph}")]
    server = start_server(data + ["--workers", "1", "--access-log", "--log-level", "info"], log=log)
    token = "kgt_" + "S3cr3t" * 7
    for url in (f"/sparql?query=ASK%7B%7D&access_token={token}", f"/sparql?token={token}&query=ASK%7B%7D",
                f"/page/{token}"):
        try:
            urllib.request.urlopen(urllib.request.Request(server.url + url, headers={"Authorization": f"Bearer {token}"}),
                                   timeout=10).read()
        except urllib.error.HTTPError:
            pass
    raw(server, b"GET /x HTTP/1.1\r\nHost: x\r\nX-A: a\x00" + token.encode() + b"\r\n\r\n")  # refused and logged
    raw(server, b"GET /?access_token=" + token.encode() + b" HTTP/9.9\r\n\r\n")
    deadline = time.monotonic() + 10  # until the access lines are written (polled, not slept)
    while log.read_text(errors="replace").count("[redacted]") < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.stop()
    text = log.read_text(errors="replace")
    assert "S3cr3t" not in text, text
    assert text.count("[redacted]") >= 3, text


def test_refused_requests_do_not_flood_the_log(start_server, fixture_sources, tmp_path):
    """Refusals are logged at info: at the default level a client cannot fill the operator's log
    (found by the fuzz run: with warnings, a test server's unread output pipe filled and its
    workers blocked on writing to it)."""
    log = tmp_path / "server.log"
    data = [a for s in fixture_sources for a in ("--data", f"{s.path}={s.graph}")]
    server = start_server(data + ["--workers", "1"], log=log)
    for i in range(300):
        raw(server, BAD["not HTTP"][0] if i % 2 else BAD["a header field too long"][0], wait=2)
    with urllib.request.urlopen(f"{server.url}/healthz", timeout=10) as r:
        assert r.status == 200
    server.stop()
    assert len(log.read_bytes()) < 2000, log.read_text()[:2000]


def _get_from(server, address: str, query: str, timeout: float = 20) -> tuple[int, float]:
    """GET /sparql?query=... from a loopback ``address`` (another client); (status, seconds)."""
    import http.client
    t0 = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout, source_address=(address, 0))
    try:
        conn.request("GET", "/sparql?query=" + urllib.parse.quote(query), headers={"Accept": "application/json"})
        r = conn.getresponse()
        r.read()
        return r.status, time.monotonic() - t0
    finally:
        conn.close()


RUNAWAY = "SELECT (COUNT(*) AS ?n) { " + " ".join(f"?s{i} ?p{i} ?o{i} ." for i in range(8)) + " }"


def test_one_client_takes_turns_and_never_holds_every_thread(server):
    """CLIENT_REQUESTS (1): one client sends more runaway queries than the server has threads
    (2 workers x 2); each worker runs one of them at a time and parks the rest, so another
    client's trivial queries are answered at once, and the flooding client's requests are all
    answered in turn (none refused, none lost)."""
    flood: list = []
    threads = [threading.Thread(target=lambda: flood.append(_get_from(server, "127.0.0.3", RUNAWAY)))
               for _ in range(6)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 10  # until the flood holds a thread in each worker (polled, not slept)
    while time.monotonic() < deadline and len(flood) == 0:
        status, took = _get_from(server, "127.0.0.4", "ASK { ?s ?p ?o } # probe")
        assert status == 200 and took < 1.0, took
        time.sleep(0.1)
    others = [_get_from(server, "127.0.0.4", f"ASK {{ ?s ?p ?o }} # other {i}") for i in range(10)]
    assert all(status == 200 for status, _ in others) and max(t for _, t in others) < 1.0, others
    for t in threads:
        t.join(60)
    assert sorted(status for status, _ in flood) == [503] * 6, flood  # each ran (to its 3 s limit), in turn
