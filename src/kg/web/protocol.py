"""The SPARQL 1.1 Protocol's request side, shared by the query and the update endpoints: the
parameters of a request (URL query string, form POST or direct POST) and the lexed query."""
from __future__ import annotations

import codecs
import re
import threading
from collections import OrderedDict
from urllib.parse import parse_qs, unquote

from flask import Request, request
from werkzeug.exceptions import BadRequest, UnsupportedMediaType
from werkzeug.utils import cached_property

from .query_scan import scan as _scan

__all__ = ["one", "params", "scan", "KgRequest", "unquote_fast"]

_BAD_PERCENT = re.compile(rb"%(?![0-9A-Fa-f]{2})")


def unquote_fast(text: str, errors: str = "replace") -> str:
    """``urllib.parse.unquote(text, errors=errors)``, in C for the common case (ASCII, every ``%``
    followed by two hex digits): a query of a few KB has hundreds of escapes, which urllib decodes
    one by one in Python (~70 us per competency query; this, ~14 us). Anything else goes to urllib.
    tests/test_sparql_protocol.py checks the two agree on generated strings.

    >>> unquote_fast("SELECT%20%3Fs%20%7B%7D%20%5Cn%20%C3%A9"), unquote_fast("100%")
    ('SELECT ?s {} \\\\n é', '100%')
    """
    if "%" not in text:
        return text
    if not text.isascii():
        return unquote(text, errors=errors)
    data = text.encode("ascii")
    if _BAD_PERCENT.search(data):
        return unquote(text, errors=errors)
    return codecs.escape_decode(data.replace(b"\\", b"\\\\").replace(b"%", b"\\x"))[0].decode("utf-8", errors)


def _parse_qsl(qs: str, errors: str) -> list[tuple[str, str]]:
    """``urllib.parse.parse_qsl(qs, keep_blank_values=True, errors=errors)`` with :func:`unquote_fast`."""
    out = []
    for field in qs.split("&") if qs else ():
        if not field:
            continue
        name, _, value = field.partition("=")
        out.append((unquote_fast(name.replace("+", " "), errors), unquote_fast(value.replace("+", " "), errors)))
    return out


class KgRequest(Request):
    """Flask's request, with the URL's parameters decoded as werkzeug does (invalid bytes stay
    percent-encoded) but faster: every GET query is a long, escaped parameter."""

    @cached_property
    def args(self):
        return self.parameter_storage_class(_parse_qsl(self.query_string.decode(), errors="werkzeug.url_quote"))

class ScanCache:
    """Scans of the query texts seen lately (the same queries come back again and again), least
    recently used out first, bounded in what they hold: a text and its scan cost about five times
    its length, so the bound is in characters, never in entries (100 KB queries are allowed)."""

    def __init__(self, max_chars: int = 2 << 20):
        self.max_chars, self.size = max_chars, 0
        self.items: OrderedDict[str, object] = OrderedDict()
        self.lock = threading.Lock()

    def __call__(self, text: str):
        with self.lock:
            hit = self.items.get(text)
            if hit is not None:
                self.items.move_to_end(text)
                return hit
        result = _scan(text)
        if len(text) <= self.max_chars // 64:  # a long text is scanned again (linear) rather than kept
            with self.lock:
                if text not in self.items:
                    self.items[text] = result
                    self.size += len(text)
                    while self.size > self.max_chars:
                        old, _ = self.items.popitem(last=False)
                        self.size -= len(old)
        return result


scan = ScanCache()


def one(values: list[str], name: str) -> str | None:
    if len(values) > 1:
        raise BadRequest(f"give exactly one '{name}' parameter (got {len(values)})")
    return values[0] if values else None


def utf8(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"the request body is not UTF-8 (byte {exc.start})") from None


def params() -> dict[str, list[str]]:
    """All protocol parameters: URL query string, plus the body of a form POST."""
    params: dict[str, list[str]] = {}
    for k in request.args:
        params[k] = request.args.getlist(k)
    if request.method == "POST":
        mt = request.mimetype
        charset = request.mimetype_params.get("charset", "utf-8").lower()
        if charset not in ("utf-8", "utf8"):
            raise UnsupportedMediaType(f"the body must be UTF-8 (Content-Type says charset={charset})")
        body = request.get_data(cache=True)
        if mt == "application/x-www-form-urlencoded":
            try:
                form = parse_qs(utf8(body), keep_blank_values=True, errors="strict")
            except UnicodeDecodeError as exc:
                raise BadRequest(f"the form value is not UTF-8 once %-decoded ({exc.reason})") from None
            for k, v in form.items():
                params.setdefault(k, []).extend(v)
        elif mt in ("application/sparql-query", "application/sparql-update"):
            key = "query" if mt == "application/sparql-query" else "update"
            if key in params:
                raise BadRequest(f"a {mt} POST carries the {key} in its body, not in the URL")
            params[key] = [utf8(body)]
        elif not mt:
            raise UnsupportedMediaType("POST needs a Content-Type: application/x-www-form-urlencoded, "
                                       "application/sparql-query or application/sparql-update")
        else:
            raise UnsupportedMediaType(f"cannot read a {mt} body; send application/x-www-form-urlencoded, "
                                       "application/sparql-query or application/sparql-update")
    return params
