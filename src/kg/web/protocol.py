"""The SPARQL 1.1 Protocol's request side, shared by the query and the update endpoints: the
parameters of a request (URL query string, form POST or direct POST) and the lexed query."""
from __future__ import annotations

import threading
from collections import OrderedDict
from urllib.parse import parse_qs

from flask import request
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from .query_scan import scan as _scan

__all__ = ["one", "params", "scan"]

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
