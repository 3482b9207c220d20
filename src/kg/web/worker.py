"""The gunicorn worker and logger the server runs with: slow clients hold no thread, errors are
ours, tokens never reach a log.

:class:`BufferingWorker` is gunicorn's threaded worker (gthread) with one change: a request is
read whole (request line, headers and body) by the worker's event loop, without a thread, and
only a complete request is handed to a thread. A client that sends one header line every few
seconds (slowloris) or trickles its body holds a socket and a few kilobytes, never a thread,
and is answered 408 when REQUEST_TIMEOUT passes. A worker handles CLIENT_REQUESTS requests of one
client at once; the client's next complete requests wait their turn in the loop, so one client
flooding the server with expensive requests takes one thread of each worker, never all of them.
The same loop enforces the request limits before any parser runs (request line, header count and
size, body size, framing) and answers them in the server's own plain-text format, never gunicorn's
HTML pages. This is what nginx's
request buffering does; at internet scale, put such a proxy in front as well (docs/security.md).

:class:`ScrubbingLogger` is gunicorn's logger with every line passed through
:func:`kg.web.http.scrub_tokens`: a token sent in a URL, a form or a header is written as
``[redacted]`` in the access and error logs.
"""
from __future__ import annotations

import errno
import os
import re
import selectors
import socket
import time
from collections import deque
from functools import partial

from gunicorn import http as ghttp
from gunicorn.glogging import Logger
from gunicorn.workers.gthread import TConn, ThreadWorker

from . import dispatch
from .executor import ClientLimiter, TooManyQueries
from .http import (
    DATA_CSP,
    EXPOSE,
    SECURITY_HEADERS,
    ScrubFilter,
    allowed_origin,
    scrub_tokens,
    status_line,
)
from .limits import client_key
from .state import EXTENSION, AnswerCache

__all__ = ["BufferingWorker", "ScrubbingLogger", "LIMITS", "RequestReader", "Reject", "error_bytes"]

#: the limits the event loop enforces; serving.run sets them from the settings before forking
LIMITS = {
    "request_timeout": 10.0,      # REQUEST_TIMEOUT: seconds for a whole request, from its first byte
    "max_body": 1 << 20,          # MAX_CONTENT_LENGTH
    "max_line": 8190,             # the request line (longer: 414)
    "max_fields": 100,            # header fields (more: 431)
    "max_field": 8190,            # one header field (longer: 431)
    "max_head": 64 << 10,         # the request line and headers together (longer: 431)
    "budget": 64 << 20,           # bytes of unfinished requests one worker holds (past it, big ones get 503)
    "per_client": 32,             # unfinished requests one client address may have in one worker (then 429)
    "client_threads": 1,          # CLIENT_REQUESTS: one client's requests a worker handles at once (more wait; 0: any)
    "trusted": ("127.0.0.1", "::1"),  # TRUSTED_PROXIES: whose X-Forwarded-For names the client
    "cpu_slots": None,            # the file of dispatch.CpuSlots' locks (serving.run opens it before forking)
}

_HEAD_END = re.compile(rb"\r?\n\r?\n")
_CHUNK_LINE = re.compile(rb"([0-9A-Fa-f]{1,16})(?:[ \t]*;[^\r\n]*)?\r\n")


class Reject(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


class RequestReader:
    """How much of one request has arrived: fed the bytes as they come, it says when the request
    is complete, in time linear in its size however it is cut into pieces (it never rescans),
    and raises :class:`Reject` for one that breaks a limit or is framed wrongly.

    >>> r = RequestReader(); r.feed(b"GET / HTTP/1.1\\r\\nHost: x\\r\\n"), r.feed(b"\\r\\nGET /next")
    (None, 27)
    >>> RequestReader().feed(b"POST / HTTP/1.1\\r\\nContent-Length: 5\\r\\n\\r\\nab") is None
    True
    """

    def __init__(self, limits: dict | None = None):
        self.limits = limits or LIMITS
        self.buf = bytearray()
        self.scanned = 0            # bytes of the head searched for its end so far
        self.head_end = None        # offset just after the blank line that ends the head
        self.length = None          # Content-Length
        self.chunked = False
        self.expect = False         # Expect: 100-continue
        self.forwarded_for = None   # X-Forwarded-For (believed only from TRUSTED_PROXIES)
        self.method = self.target = self.version = b""  # from the request line
        self.fields: dict[bytes, bytes] = {}  # the headers an answer may vary on (dispatch.cache_key)
        self.pos = 0                # chunked: where the next chunk-size line starts
        self.size = 0               # chunked: body bytes so far

    def feed(self, data: bytes) -> int | None:
        """Add ``data``; the length of the request once it is complete, else None."""
        self.buf += data
        lim, buf = self.limits, self.buf
        if self.head_end is None:
            m = _HEAD_END.search(buf, max(0, self.scanned - 3))
            self.scanned = len(buf)
            if m is None:
                if buf.find(b"\n", 0, lim["max_line"] + 2) < 0 and len(buf) > lim["max_line"]:
                    raise Reject(414, f"the request line is longer than {lim['max_line']} bytes; send long "
                                      "queries by POST")
                if len(buf) > lim["max_head"]:
                    raise Reject(431, f"the request's line and headers are longer than {lim['max_head']} bytes")
                return None
            self._head(bytes(buf[:m.start()]))
            self.head_end = self.pos = m.end()
        if self.length is not None:
            end = self.head_end + self.length
            return end if len(buf) >= end else None
        if not self.chunked:
            return self.head_end
        return self._chunks()

    def _head(self, head: bytes) -> None:
        lim = self.limits
        if len(head) > lim["max_head"]:
            raise Reject(431, f"the request's line and headers are longer than {lim['max_head']} bytes")
        lines = head.split(b"\n")
        if len(lines[0]) > lim["max_line"] + 1:
            raise Reject(414, f"the request line is longer than {lim['max_line']} bytes; send long queries by POST")
        words = lines[0].split()
        if len(words) == 3:
            self.method, self.target, self.version = words[0], words[1], words[2]
        if len(lines) - 1 > lim["max_fields"]:
            raise Reject(431, f"the request has more than {lim['max_fields']} header fields")
        for line in lines[1:]:
            if len(line) > lim["max_field"] + 1:
                raise Reject(431, f"a header field is longer than {lim['max_field']} bytes")
            name, sep, value = line.partition(b":")
            if not sep:
                continue  # malformed: gunicorn's parser refuses it, in our words (handle_error)
            name, value = name.strip().lower(), value.strip()
            if name in dispatch.KEYED:
                self.fields[name] = self.fields[name] + b"," + value if name in self.fields else value
            if name == b"content-length":
                if not value.isdigit() or (self.length is not None and int(value) != self.length):
                    raise Reject(400, "the Content-Length header is not one number")
                self.length = int(value)
            elif name == b"transfer-encoding":
                self.chunked = self.chunked or value.lower().endswith(b"chunked")
            elif name == b"expect" and value.lower() == b"100-continue":
                self.expect = True
            elif name == b"x-forwarded-for":
                self.forwarded_for = value.decode("latin-1")
        if self.length is not None and self.chunked:
            raise Reject(400, "the request has both Content-Length and Transfer-Encoding; send one of them")
        if self.length is not None and self.length > lim["max_body"]:
            raise Reject(413, f"the body is {self.length} bytes; this endpoint accepts at most {lim['max_body']} "
                              "(MAX_CONTENT_LENGTH)")

    def _chunks(self) -> int | None:
        lim, buf = self.limits, self.buf
        while True:  # a size line, the data, CRLF; at last a 0 chunk, trailers, CRLF
            m = _CHUNK_LINE.match(buf, self.pos)
            if m is None:
                if buf.find(b"\n", self.pos, self.pos + 1024) >= 0 or len(buf) - self.pos > 1024:
                    raise Reject(400, "the chunked body is malformed (a chunk-size line is not hex digits and CRLF)")
                return None
            n = int(m.group(1), 16)
            if self.size + n > lim["max_body"]:
                raise Reject(413, f"the body is more than {lim['max_body']} bytes (MAX_CONTENT_LENGTH)")
            if n == 0:
                end = buf.find(b"\r\n\r\n", m.end() - 2)
                if end < 0:
                    if len(buf) - m.end() > lim["max_field"] * 4:
                        raise Reject(431, "the chunked body's trailers are too large")
                    return None
                return end + 4
            if len(buf) < m.end() + n + 2:
                return None  # the chunk is not all here yet: look again from its size line
            if buf[m.end() + n:m.end() + n + 2] != b"\r\n":
                raise Reject(400, "the chunked body is malformed (a chunk is not followed by CRLF)")
            self.size += n
            self.pos = m.end() + n + 2


def error_bytes(status: int, message: str, close: bool = True, *, text: str | None = None,
                headers: tuple = ()) -> bytes:
    """A whole HTTP response in the server's plain-text format (what create_app's handlers send):
    ``message`` after the status line, or the whole ``text``; ``headers``: more (name, value) pairs."""
    body = ((text if text is not None else f"{status_line(status)}: {message}").rstrip() + "\n").encode()
    head = [f"HTTP/1.1 {status_line(status)}", "Content-Type: text/plain; charset=utf-8",
            f"Content-Length: {len(body)}", "Cache-Control: no-store", f"Content-Security-Policy: {DATA_CSP}"]
    head += [f"{k}: {v}" for k, v in SECURITY_HEADERS.items()]
    head += [f"{k}: {v}" for k, v in headers]
    if close:
        head.append("Connection: close")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


class BufferingWorker(ThreadWorker):
    """gthread, with whole requests read by the event loop before a thread gets them (module doc)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.buffering: dict = {}    # conn -> deadline of its request
        self.buffered = 0            # bytes held for unfinished requests
        self.per_client: dict = {}   # client address -> unfinished requests
        self.in_threads = 0          # requests handed to threads and not finished
        self.client_threads: dict = {}  # client -> its requests in threads
        self.parked: dict = {}       # client -> complete requests waiting for its turn (deque)
        self.direct = None           # dispatch.RequestPool: query processes answering whole /sparql requests
        self.wire_cache = None       # the state's AnswerCache, holding whole answers as written (result cache on)
        self._notified = self._murdered = 0.0
        self.direct_writes = False

    # -- whole /sparql requests answered by the query processes (dispatch.py) -------------------
    def run(self):
        self.direct = self.direct_writes = self.wire_cache = None
        state = getattr(self.wsgi, "extensions", {}).get(EXTENSION)
        pool = getattr(state, "pool", None)
        if pool is not None and state.watchdog is None:  # queries run in sandboxed processes: send them whole
            config = self.wsgi.config
            self.direct = dispatch.RequestPool(
                self._answer_whole, size=pool.size, timeout=state.timeout, memory_mb=pool.memory_mb,
                network=pool.network, grace=LIMITS["request_timeout"], running=running_queries(self.cfg.workers),
                cpus=dispatch.CpuSlots(LIMITS["cpu_slots"], usable_cpus()) if LIMITS["cpu_slots"] is not None else None,
                on_start=partial(_in_query_process, state, pool.size),
                on_replace=state.metrics.query_process_restarts.inc, on_timeout=state.metrics.timeouts.inc)
            self.direct_writes = bool(config.get("ALLOW_UPDATE"))
            self.direct_state = state
            if config.get("RESULT_CACHE_MB") and not config.get("READ_TOKEN_REQUIRED"):
                self.wire_cache = state.cache  # whole answers, as written, for repeated GETs (dispatch.cache_key)
            self.direct_clients = ClientLimiter(config.get("CLIENT_QUERIES"))  # its requests in query processes
            self.direct.start(self.poller)
        try:
            super().run()
        finally:
            if self.direct is not None:
                self.direct.close()

    def notify(self):
        """gunicorn's heartbeat (a utime of the worker's file), at most twice a second: its loop calls
        it on every turn, twice per request (the master's timeout is 30 s or more)."""
        now = time.monotonic()
        if now - self._notified >= 0.5:
            self._notified = now
            super().notify()

    def murder_pending(self):
        """gunicorn's own expiry, plus requests that took longer than REQUEST_TIMEOUT to arrive:
        looked for at most ten times a second (the deadlines are seconds long)."""
        now = time.monotonic()
        if now - self._murdered < 0.1:
            return
        self._murdered = now
        self._murder_pending(now)

    def wait_for_and_dispatch_events(self, timeout):
        if self.direct is None:
            return super().wait_for_and_dispatch_events(timeout)
        wake = self.direct.next_wakeup()
        if wake is not None:
            timeout = max(0.0, min(timeout, wake - time.monotonic()))
        super().wait_for_and_dispatch_events(timeout)
        self.direct.tick()

    def _to_query_process(self, conn, request: bytes) -> None:
        who = conn.kg_client
        try:  # past CLIENT_QUERIES, before anything else (as the app's ClientLimiter)
            self.direct_clients.take(who)
        except TooManyQueries as exc:
            self._direct_done(conn, None, None, False, (429, f"429 Too Many Requests: {exc}", (("Retry-After", "1"),)))
            return
        key = getattr(conn, "kg_key", None)
        if key is not None:
            state = self.direct_state
            if self.direct_writes:
                state.sync()  # another worker's write: this worker's version (and cache) move on first
            key = ("wire", state.version) + key
            hit = self.wire_cache.get(key)
            state.metrics.lookups["response", hit is not None].inc()
            if hit is not None:  # the same GET, the same data: the same bytes (Date as when first written)
                try:
                    conn.sock.sendall(hit[0])
                except OSError:
                    self._direct_done(conn, who, None, False, None)
                    return
                self._direct_done(conn, who, None, True, None)
                return
        self.direct.submit(request, conn.sock, conn.client, conn.server, partial(self._direct_done, conn, who, key),
                           capture=self.wire_cache.max_bytes // 8 if key is not None else 0)

    def _direct_done(self, conn, who, key, keep: bool, failure, written: bytes | None = None) -> None:
        if written and keep and dispatch.cacheable(written):
            self.wire_cache.put(key, written, None)
        self.direct_clients.give(who)
        if failure is not None:
            status, text, headers = failure
            origin = allowed_origin(self.wsgi, getattr(conn, "kg_origin", None))
            if origin:
                headers += (("Access-Control-Allow-Origin", origin), ("Access-Control-Expose-Headers", EXPOSE))
            try:
                conn.sock.setblocking(True)
                conn.sock.sendall(error_bytes(status, "", text=text, headers=headers))
            except OSError:
                pass
            keep = False
        who = self._finished(conn)
        if keep and self.alive:  # straight back to reading its next request (no keep-alive round first)
            self.enqueue_req(conn)
        else:
            self.nr_conns -= 1
            try:
                conn.sock.shutdown(socket.SHUT_WR)  # the FIN goes now, whatever process still holds a copy
            except OSError:
                pass
            conn.close()
        self._next_turn(who)

    def _answer_whole(self, request: bytes, sock, peer, server) -> bool:  # pragma: no cover - query process
        """In a query process: answer ``request`` on ``sock`` as a thread would (gthread's handle)."""
        conn = TConn(self.cfg, sock, peer, server)
        conn.parser = ghttp.get_parser(self.cfg, sock, peer)
        conn.parser.unreader.unread(request)
        conn.data_ready = True
        return bool(self.handle(conn))

    # -- accept only while a thread is free: with every thread busy (long queries), new clients
    # -- wait in the listen queue, where another worker takes them, not behind this worker's queries
    def set_accept_enabled(self, enabled):
        super().set_accept_enabled(enabled and self.in_threads < self.cfg.threads)

    def accept(self, listener):
        if self.in_threads >= self.cfg.threads:
            self.set_accept_enabled(False)
            return
        super().accept(listener)

    def finish_request(self, conn, fs):
        who = self._finished(conn)
        super().finish_request(conn, fs)
        self._next_turn(who)

    def _finished(self, conn):
        """A request of ``conn`` is answered: its thread (or query process) and its client's turn are free."""
        self.in_threads -= 1
        who = getattr(conn, "kg_thread_client", None)
        if who is not None:
            conn.kg_thread_client = None
            left = self.client_threads.get(who, 1) - 1
            if left > 0:
                self.client_threads[who] = left
            else:
                self.client_threads.pop(who, None)
        return who

    def _next_turn(self, who) -> None:
        waiting = self.parked.get(who) if who is not None else None
        if waiting:  # the client's next request takes the place this one left
            nxt = waiting.popleft()
            if not waiting:
                del self.parked[who]
            self._dispatch(nxt)
        if self.alive and self.in_threads < self.cfg.threads and self.nr_conns < self.worker_connections:
            self.set_accept_enabled(True)

    def enqueue_req(self, conn):
        if getattr(conn, "kg_ready", False) or self.cfg.is_ssl:  # TLS: the thread reads it (put TLS in front)
            conn.kg_ready = False
            self.in_threads += 1
            if self.in_threads >= self.cfg.threads:
                self.set_accept_enabled(False)
            request = getattr(conn, "kg_request", None)
            if request is not None:
                conn.kg_request = None
                return self._to_query_process(conn, request)
            return super().enqueue_req(conn)
        who = conn.client[0] if isinstance(conn.client, tuple) else "unix"
        if self.per_client.get(who, 0) >= LIMITS["per_client"]:
            conn.kg_reader = RequestReader()
            self._reject(conn, 429, f"this client has {LIMITS['per_client']} unfinished requests here already; "
                                    "finish one first", registered=False)
            return
        self.per_client[who] = self.per_client.get(who, 0) + 1
        conn.kg_who, conn.kg_continue, conn.kg_reader, conn.kg_counted = who, False, RequestReader(), True
        leftover = conn.parser.unreader.take_buffered() if conn.parser is not None else b""
        conn.sock.setblocking(False)
        self.buffering[conn] = time.monotonic() + LIMITS["request_timeout"]
        if leftover and self._feed(conn, leftover, registered=False):
            return
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_readable, conn))

    def _on_readable(self, conn, sock):
        try:
            data = sock.recv(1 << 16)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:  # the client went away
            self._drop(conn, registered=True)
            return
        if self.buffered + len(data) > LIMITS["budget"] and len(conn.kg_reader.buf) + len(data) > 64 << 10:
            self._reject(conn, 503, "the server holds too many unfinished requests; try again shortly", True)
            return
        self._feed(conn, data, registered=True)

    def _feed(self, conn, data: bytes, registered: bool) -> bool:
        """Take ``data``; True when the connection left the loop (its request dispatched or refused)."""
        reader = conn.kg_reader
        self.buffered += len(data)
        try:
            end = reader.feed(data)
        except Reject as exc:
            self._reject(conn, exc.status, exc.message, registered)
            return True
        if end is None:
            if reader.expect and reader.head_end is not None and not conn.kg_continue:
                conn.kg_continue = True  # the client waits for this before it sends the body
                try:
                    conn.sock.send(b"HTTP/1.1 100 Continue\r\n\r\n")
                except OSError:
                    pass
            return False
        if registered:
            self.poller.unregister(conn.sock)
        self.buffering.pop(conn, None)  # whole: no deadline any more
        request, rest = bytes(reader.buf[:end]), bytes(reader.buf[end:])
        if conn.kg_continue:  # answered already: gunicorn must not send a second 100 Continue
            request = re.sub(rb"(?im)^expect:[ \t]*100-continue\r?\n", b"", request, count=1)
        conn.sock.setblocking(True)
        if conn.parser is None:
            conn.parser = ghttp.get_parser(self.cfg, conn.sock, conn.client)
        if self.direct is not None and dispatch.wants(reader.method, reader.target, self.direct_writes):
            conn.kg_request = request  # a query process answers it (dispatch.py)
            conn.kg_origin = reader.fields.get(b"origin", b"").decode("latin-1") or None  # CORS on the worker's own answers
            conn.kg_key = (dispatch.cache_key(reader.method, reader.target, reader.version, reader.fields)
                           if self.wire_cache is not None else None)
            conn.parser.unreader.unread(rest)
        else:
            conn.parser.unreader.unread(request + rest)
        conn.data_ready = True
        conn.kg_client = client_key(conn.kg_who, reader.forwarded_for, LIMITS["trusted"])
        self._dispatch(conn)
        return True

    def _dispatch(self, conn) -> None:
        """Hand a whole request to a thread, or, while CLIENT_REQUESTS of its client are in threads
        already, park it until one of them finishes (a queue per client, not an error: a client
        that floods the server with expensive requests takes one thread per worker, not all)."""
        who, most = conn.kg_client, LIMITS["client_threads"]
        if most and self.client_threads.get(who, 0) >= most:
            self.parked.setdefault(who, deque()).append(conn)
            return
        self._uncount(conn)
        self.client_threads[who] = self.client_threads.get(who, 0) + 1
        conn.kg_thread_client, conn.kg_ready = who, True
        self.enqueue_req(conn)

    def _uncount(self, conn) -> None:
        """The request is no longer the loop's: its bytes and its place in the client's count go."""
        if getattr(conn, "kg_counted", True):
            conn.kg_counted = False
            self.buffered -= len(conn.kg_reader.buf)
            left = self.per_client.get(conn.kg_who, 1) - 1
            if left > 0:
                self.per_client[conn.kg_who] = left
            else:
                self.per_client.pop(conn.kg_who, None)

    def _release(self, conn) -> None:
        """Forget the connection's unfinished request (its bytes, its place in the client's count)."""
        self.buffering.pop(conn, None)
        if hasattr(conn, "kg_reader"):
            self._uncount(conn)

    def _reject(self, conn, status: int, message: str, registered: bool) -> None:
        # info, not warning: a client must not be able to flood the operator's log at the default level
        self.log.info("refused a request from %s: %s %s", conn.client[0] if isinstance(conn.client, tuple) else "?",
                      status, message)
        try:
            conn.sock.send(error_bytes(status, message))
        except OSError:
            pass
        self._drop(conn, registered)

    def _drop(self, conn, registered: bool) -> None:
        if registered:
            try:
                self.poller.unregister(conn.sock)
            except (KeyError, ValueError, OSError):
                pass
        self._release(conn)
        self.nr_conns -= 1
        try:
            conn.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        conn.close()

    def _murder_pending(self, now: float) -> None:
        super().murder_pending()
        for conn, deadline in list(self.buffering.items()):
            if now > deadline:
                if conn.kg_reader.buf:
                    self._reject(conn, 408, f"the request did not arrive whole within {LIMITS['request_timeout']:g} s "
                                            "(REQUEST_TIMEOUT)", True)
                else:  # connected and said nothing, or an idle kept-alive connection: just close
                    self._drop(conn, True)

    def murder_keepalived(self, force=False):
        super().murder_keepalived(force)
        if force:
            for conn in list(self.buffering):
                self._drop(conn, True)
            for waiting in list(self.parked.values()):
                for conn in waiting:
                    self._drop(conn, False)
            self.parked.clear()

    def handle_error(self, req, client, addr, exc):
        """What gunicorn's parser refuses, in our format (its own pages are HTML)."""
        from gunicorn.http import errors as e
        if not type(exc).__module__.startswith("gunicorn.http") or \
                isinstance(exc, (e.InvalidResponseHeader, e.InvalidResponseHeaderName)):
            return super().handle_error(req, client, addr, exc)
        table = [(e.LimitRequestLine, 414), (e.LimitRequestHeaders, 431), (e.UnsupportedTransferCoding, 501),
                 (e.ExpectationFailed, 417), (e.ForbiddenProxyRequest, 403)]
        status = next((code for kind, code in table if isinstance(exc, kind)), 400)
        detail = scrub_tokens(str(exc))[:200]
        self.log.info("invalid request from %s: %s", (addr or ("?",))[0], detail)
        try:
            client.sendall(error_bytes(status, f"the request is malformed ({type(exc).__name__}: {detail!r})"))
        except OSError as err:
            if err.errno not in (errno.EPIPE, errno.ECONNRESET):
                self.log.debug("could not send the error: %s", err)


class ScrubbingLogger(Logger):
    """gunicorn's logger; every access and error line has its tokens redacted."""

    def setup(self, cfg):
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            if not any(isinstance(f, ScrubFilter) for f in log.filters):
                log.addFilter(ScrubFilter())


def _in_query_process(state, processes: int) -> None:  # pragma: no cover - runs in each new query process
    """What a query process answering whole requests drops: the worker's query processes (it runs
    the query itself, the worker keeps the clock), the per-client count (the worker keeps it), the
    whole-answer cache (the worker keeps it) and all but its share of the answer cache (by ETag:
    repeated POSTs)."""
    state.pool = state.watchdog = None
    state.clients = ClientLimiter(0)
    state.cached_by_worker = True
    state.cache = AnswerCache(state.cache.max_bytes // max(1, processes))


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def running_queries(workers: int) -> int:
    """Without the machine-wide CPU slots (dispatch.CpuSlots): requests one worker's query processes
    run at once, its share of the CPUs."""
    return max(1, usable_cpus() // max(1, int(workers or 1)))
