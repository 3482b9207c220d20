"""What every page module shares: the blueprint, the catalog of the current data, links, rendering.

The route modules import from here (never from the package), so the package imports them and
nothing imports back up (an import-linter contract checks it)."""
from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from flask import Blueprint, render_template, url_for

from ...namespaces import BASE, DS, DSK
from ..state import current_state
from . import model

bp = Blueprint("pages", __name__, template_folder="../../templates", static_folder="../../static",
               static_url_path="/assets")

#: the path an IRI of our namespace is served at: https://w3id.org/deepseek-kg/id/x -> /deepseek-kg/id/x
BASE_PATH = urlsplit(BASE).path


def cat() -> model.Catalog:
    """What pages show, read from the store once per data version (see kg.web.state)."""
    return current_state().memo("pages", lambda state: model.build_catalog(state.store))


def store():
    return current_state().store


#: the only schemes a page links to; any other IRI (``javascript:``, ``data:``, ``file:`` ...) is shown as text
SAFE_SCHEMES = frozenset({"http", "https", "mailto", "urn"})
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")


def safe_link(iri: str | None) -> str | None:
    """``iri`` if a page may link to it (its scheme is one of SAFE_SCHEMES), else None: the one
    rule every link to an IRI follows (``href``, the ``link`` macro, the canonical link, the map).

    >>> safe_link("https://example.org/x"), safe_link("JavaScript:alert(1)"), safe_link("data:text/html,x")
    ('https://example.org/x', None, None)
    """
    m = _SCHEME.match(iri or "")
    return iri if m and m.group(1).lower() in SAFE_SCHEMES else None


def href(iri: str) -> str | None:
    """Where a link to ``iri`` goes: our own pages for our IRIs and for anything we hold data on;
    None when the IRI may not be a link (:func:`safe_link`): show it as text."""
    if iri.startswith(str(DS)):
        return url_for("pages.page", slug=iri[len(str(DS)):])
    if iri.startswith(str(DSK)):
        return url_for("pages.ontology_page") + "#" + quote(iri[len(str(DSK)):], safe="")
    if iri == model.ONTOLOGY:
        return url_for("pages.ontology_page")
    if safe_link(iri) is None:
        return None
    if iri in cat().subjects:
        return url_for("pages.resource", iri=iri)
    return iri


def is_local(iri: str) -> bool:
    h = href(iri)
    return h is not None and safe_link(h) is None


def render(template: str, status: int = 200, headers: dict | None = None, **ctx):
    return render_template(template, **ctx), status, {"Content-Type": "text/html; charset=utf-8",
                                                       **(headers or {})}


@bp.app_template_global()
def label(iri: str) -> str:
    return cat().label(iri)


@bp.app_template_global()
def kinds(iri: str) -> list[str]:
    return [cat().label(c) for c in cat().kind(iri)]


@bp.app_template_global()
def voice(iri: str):
    """Who says it, the author's stance, what supports and counters it (voices.NodeView)."""
    from .voices import view
    return view(cat(), iri)


@bp.app_template_global()
def cat_carried_by(iri: str) -> list[str]:
    """The claims and viewpoints that carry a thesis point."""
    return cat().carried_by.get(iri, [])


def search_index():
    """The full-text index (kg.search) of the current data, rebuilt when the data version changes."""
    return current_state().search_index()


bp.add_app_template_global(href, "href")
bp.add_app_template_filter(safe_link, "safe_link")
bp.add_app_template_global(is_local, "is_local")
bp.add_app_template_global(model.curie, "curie")
bp.add_app_template_filter(model.format_literal, "literal")

__all__ = ["bp", "cat", "store", "href", "safe_link", "SAFE_SCHEMES", "is_local", "render", "search_index", "BASE_PATH"]
