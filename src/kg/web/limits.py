"""The endpoint's safety limits: the checks applied to each request.

Every limit is a row of :mod:`kg.settings` (a config key, its ``KG_*`` variable and, for some, a
``server.py`` flag). Nothing is cut silently: a capped answer says so.
"""
from __future__ import annotations

from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

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


__all__ = ["Refused", "check_length", "check_services", "check_loads"]
