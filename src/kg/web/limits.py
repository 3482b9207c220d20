"""The endpoint's safety limits: the checks applied to each request.

Every limit is a row of :mod:`kg.settings` (a config key, its ``KG_*`` variable and, for some, a
``server.py`` flag). Nothing is cut silently: a capped answer says so, a refused request says
which limit refused it and how to change it. docs/security.md lists them all.
"""
from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from urllib.parse import urlsplit

import pyoxigraph as ox
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

__all__ = ["Refused", "check_length", "check_nesting", "check_body_nesting", "check_services", "check_loads", "parse_allowlist",
           "service_allowed", "graph_iris", "absolute_iri", "client_key", "shown"]

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_PORTS = {"http": 80, "https": 443}
_DOTS = re.compile(r"(^|/)\.\.?(/|$)|%2e|%2f|%5c|\\", re.IGNORECASE)


class Refused(BadRequest):
    """400 for a feature this endpoint does not run (SERVICE, LOAD)."""


_MARKUP = str.maketrans({c: f"\\x{ord(c):02x}" for c in "<>\"'&`"})


def shown(value, limit: int = 120) -> str:
    r"""A client's value as an error message may quote it: in quotes, control characters and markup
    characters escaped, cut at ``limit`` characters (error bodies never carry a client's text through
    verbatim, so nothing in one can be read as markup or as a header).

    >>> shown('a\r\n<b>' + 'x' * 200)[:15], len(shown('x' * 500))
    ("'a\\r\\n\\x3cb\\x3e", 125)
    """
    text = str(value).encode("unicode_escape").decode("ascii").translate(_MARKUP)
    return f"'{text}'" if len(text) <= limit else f"'{text[:limit]}...'"


def check_length(text: str, limit: int, what: str = "query") -> None:
    if limit and len(text) > limit:
        raise RequestEntityTooLarge(f"the {what} is {len(text)} characters long; this endpoint "
                                    f"accepts at most {limit} (MAX_QUERY_LENGTH)")


def check_nesting(depth: int, limit: int, what: str = "query") -> None:
    """400 for text nested deeper than MAX_NESTING: the engine recurses once per level and a few
    thousand levels end its process."""
    if limit and depth > limit:
        raise BadRequest(f"the {what} nests {depth} levels deep ({{ ( [ inside each other); this endpoint accepts "
                         f"at most {limit} (MAX_NESTING). Flatten it: a subquery or a VALUES block often helps.")


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*+"?|[^"\[\]{}]++|(.)', re.DOTALL)
_OPENERS = (b"[", b"(", b"{", b"<<")


def _turtle_depth(text: str, limit: int) -> int:
    """How deeply a Turtle-family text nests ``[ ( { <<`` (the SPARQL lexer reads its tokens)."""
    from .query_scan import scan
    return scan(text).depth


def _json_depth(text: str, limit: int) -> int:
    depth = deepest = 0
    for m in _JSON_TOKEN.finditer(text):
        c = m.group(1)
        if c in ("[", "{"):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
        elif c in ("]", "}") and depth:
            depth -= 1
    return deepest


def _xml_depth(data: bytes, limit: int) -> int:
    """Element depth of an XML body, read with expat (C, linear), which also measures what its
    entities expand to: more text than twice the body (plus 64 KB) is refused before pyoxigraph's
    parser, which expands entities without a bound, sees it (1 KB of nested entities made 71 MB)."""
    from xml.parsers import expat

    class Stop(Exception):
        pass

    cap = 2 * len(data) + (64 << 10)
    state = {"depth": 0, "deepest": 0, "chars": 0}

    def grow(n: int) -> None:
        state["chars"] += n
        if state["chars"] > cap:
            raise BadRequest("the RDF/XML body's entities expand to more than twice its size; write the text out "
                             "instead of using nested entities")

    def start(name, attrs):
        grow(sum(len(v) for v in attrs.values()))
        state["depth"] += 1
        if state["depth"] > state["deepest"]:
            state["deepest"] = state["depth"]
            if state["deepest"] > limit:
                raise Stop

    def end(name):
        state["depth"] -= 1

    p = expat.ParserCreate()
    p.StartElementHandler, p.EndElementHandler = start, end
    p.CharacterDataHandler = lambda text: grow(len(text))
    p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        p.Parse(data, True)
    except Stop:
        pass
    except expat.ExpatError as exc:
        if "amplification" in str(exc):
            raise BadRequest("the RDF/XML body's entities expand too much (expat's amplification limit); write the "
                             "text out instead of using nested entities") from None
        # otherwise not well-formed: the RDF/XML parser will say where
    return state["deepest"]


def check_body_nesting(data: bytes, fmt: ox.RdfFormat, limit: int) -> None:
    """400 for a Graph Store body nested deeper than MAX_NESTING (or RDF/XML with a DTD), checked
    before the parser sees it: pyoxigraph's JSON-LD parser dies past ~3,000 levels, its RDF/XML
    parser expands entities (1 KB of them made 71 MB), and deep blank-node trees end the
    recursive code downstream (exports, reports). Linear; skipped when the body cannot nest that deep."""
    if not limit:
        return
    if fmt == ox.RdfFormat.RDF_XML:
        depth = _xml_depth(data, limit)
    elif sum(data.count(o) for o in _OPENERS) <= limit:
        return
    else:
        text = data.decode("utf-8", "replace")
        depth = _json_depth(text, limit) if fmt == ox.RdfFormat.JSON_LD else _turtle_depth(text, limit)
    if depth > limit:
        raise BadRequest(f"the body nests more than {limit} levels deep (brackets, blank nodes, collections or "
                         f"elements inside each other); this endpoint accepts at most {limit} (MAX_NESTING)")


def _iri_parts(iri: str):
    """(scheme, host, port, path, query) of an http(s) IRI a SERVICE may call, or None for anything
    else: other schemes, user info (``http://allowed@evil/``), bad ports, dot segments and their
    escapes (``/sparql/../admin``), backslashes, control characters or spaces."""
    if not iri or any(c <= " " or c == "\x7f" for c in iri):
        return None
    try:
        u = urlsplit(iri)
        port = u.port
    except ValueError:
        return None
    scheme = u.scheme.lower()
    if scheme not in _PORTS or not u.hostname or "@" in u.netloc or _DOTS.search(u.path):
        return None
    return scheme, u.hostname, _PORTS[scheme] if port is None else port, u.path or "/", u.query


def parse_allowlist(entries) -> list[tuple]:
    """SERVICE_ALLOWLIST as parsed IRIs; ValueError names an entry that is not an http(s) IRI.

    >>> parse_allowlist(["https://query.wikidata.org/sparql"])
    [('https', 'query.wikidata.org', 443, '/sparql', '')]
    """
    out = []
    for e in entries or []:
        if not e:
            continue
        parts = _iri_parts(e)
        if parts is None:
            raise ValueError(f"SERVICE_ALLOWLIST: {e!r} is not an http(s) endpoint IRI (scheme://host[:port]/path, "
                             "no user info)")
        out.append(parts)
    return out


def service_allowed(target: str, allow: list[tuple]) -> bool:
    """Whether SERVICE may call ``target``: its scheme, host and port equal an entry's and its path
    is the entry's path or below it (``/sparql`` allows ``/sparql`` and ``/sparql/x``, not
    ``/sparqlx``); an entry with a query string allows only that query string.

    >>> allow = parse_allowlist(["http://ok.example/sparql"])
    >>> [service_allowed(t, allow) for t in ["http://OK.example:80/sparql", "http://ok.example/sparql/x",
    ...   "http://ok.example/sparqlx", "http://ok.example@evil.example/sparql", "http://ok.example.evil/sparql",
    ...   "http://ok.example/sparql/../admin", "https://ok.example/sparql"]]
    [True, True, False, False, False, False, False]
    """
    parts = _iri_parts(target)
    if parts is None:
        return False
    scheme, host, port, path, query = parts
    for a_scheme, a_host, a_port, a_path, a_query in allow:
        if (scheme, host, port) != (a_scheme, a_host, a_port) or (a_query and query != a_query):
            continue
        if path == a_path or path.startswith(a_path if a_path.endswith("/") else a_path + "/"):
            return True
    return False


def check_services(targets: list[str], allowlist) -> None:
    """Refuse SERVICE unless every target is an allow-listed endpoint (parsed, not a string prefix)."""
    allow = parse_allowlist(allowlist)
    for t in targets:
        if not t.startswith(("?", "$")) and service_allowed(t, allow):
            continue
        raise Refused(f"SERVICE is not allowed: this endpoint sends no requests to other servers "
                      f"(SERVICE {shown(t, 200) if t else '?'}). An operator can allow-list endpoints with "
                      "SERVICE_ALLOWLIST.")


def check_loads(targets: list[str]) -> None:
    if targets:
        raise Refused(f"LOAD is not allowed: this endpoint fetches nothing from the network (LOAD {shown(targets[0], 200)}).")


def absolute_iri(value: str) -> bool:
    """Whether ``value`` is an absolute IRI the engine accepts as a term.

    >>> absolute_iri("http://ex/g"), absolute_iri("g"), absolute_iri("http://ex/g> LOAD <http://x")
    (True, False, False)
    """
    if not _SCHEME.match(value or ""):
        return False
    try:
        ox.NamedNode(value)
    except ValueError:
        return False
    return True


def graph_iris(values: list[str], name: str) -> list[str]:
    """A protocol parameter that names graphs (``using-graph-uri``, ``default-graph-uri``, ...): each
    value must be an absolute IRI, else 400. They are only ever written back as ``<IRI>`` terms."""
    for v in values:
        if not absolute_iri(v):
            raise BadRequest(f"{name}={shown(v)} is not an absolute IRI (scheme:...); give the graph's full IRI")
    return list(values)


def client_key(remote_addr: str | None, forwarded_for: str | None = None, trusted=()) -> str:
    """Who a request comes from, for CLIENT_QUERIES: its address; an IPv6 address's /64 network
    (one host usually holds a whole /64); behind a trusted proxy, the last address in
    X-Forwarded-For that is not itself a trusted proxy.

    >>> client_key("2001:db8::1"), client_key("10.0.0.1", "203.0.113.5, 10.0.0.2", ["10.0.0.1", "10.0.0.2"])
    ('2001:db8::/64', '203.0.113.5')
    """
    return _client_key(remote_addr, forwarded_for, tuple(trusted or ()))


@lru_cache(maxsize=4096)  # every request asks; the same few clients come back again and again
def _client_key(remote_addr: str | None, forwarded_for: str | None, trusted: tuple) -> str:
    addr = remote_addr or "unknown"
    if forwarded_for and addr in trusted:
        for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
            addr = hop
            if hop not in trusted:
                break
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return addr[:64]
    if ip.version == 6:
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)
