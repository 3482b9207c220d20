"""The endpoint's safety limits: defaults, and the checks applied to each request.

Every limit is a config key (``KG_<KEY>`` in the environment when the app is created with
``from_env=True``, or a ``server.py`` flag). Nothing is cut silently: a capped answer says so.
"""
from __future__ import annotations

from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

DEFAULTS = {
    "QUERY_TIMEOUT": 5.0,          # seconds per query; the executor is killed past it (0: no limit, in-process)
    "QUERY_PROCESSES": 2,          # executor processes per web worker (server.py sets it to --threads)
    "MAX_ROWS": 10_000,            # result rows / triples per answer; more are cut and the answer says so
    "MAX_QUERY_LENGTH": 100_000,   # characters of query text
    "MAX_CONTENT_LENGTH": 1 << 20, # bytes of request body (Flask answers 413 past it)
    "SERVICE_ALLOWLIST": [],       # IRI prefixes SERVICE may call; empty = SERVICE refused
    "ALLOW_UPDATE": False,         # SPARQL Update and Graph Store writes (needs STATE_DIR and TOKENS; see writes.py)
}


class Refused(BadRequest):
    """400 for a feature this endpoint does not run (SERVICE, LOAD)."""


def check_length(text: str, limit: int, what: str = "query") -> None:
    if limit and len(text) > limit:
        raise RequestEntityTooLarge(f"the {what} is {len(text)} characters long; this endpoint "
                                    f"accepts at most {limit} (MAX_QUERY_LENGTH)")


def check_services(targets: list[str], allowlist) -> None:
    """Refuse SERVICE unless every target starts with an allow-listed IRI prefix."""
    allow = [a for a in (allowlist or []) if a]
    for t in targets:
        if not t.startswith(("?", "$")) and any(t.startswith(a) for a in allow):
            continue
        shown = t if len(t) < 200 else t[:200] + "..."
        raise Refused(f"SERVICE is not allowed: this endpoint sends no requests to other servers "
                      f"(SERVICE {shown or '?'}). An operator can allow-list endpoints with SERVICE_ALLOWLIST.")


def check_loads(targets: list[str]) -> None:
    if targets:
        raise Refused(f"LOAD is not allowed: this endpoint fetches nothing from the network (LOAD {targets[0]}).")


__all__ = ["DEFAULTS", "Refused", "check_length", "check_services", "check_loads"]
