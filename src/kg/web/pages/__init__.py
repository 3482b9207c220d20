"""Linked-data pages: dereferenceable IRIs, resource pages, the annotated essay, index pages,
the query UI and the causal map. One blueprint, ``bp``; modules by job:

- ``model``    what pages show, read from the Store and cached once per process
- ``resolve``  IRIs -> 303 -> /page/<id> | /data/<id>.<ext>; resource pages; ontology docs; search
- ``reader``   the annotated essay
- ``indexes``  home, actors, claims, events, causal assertions, concepts, dataset
- ``tools``    the query UI (YASGUI) and the map of the argument (cytoscape.js + dagre)
- ``argument`` the essay's argument: thesis, debates, viewpoints with reasons for and against
- ``voices``   who says what, in a reader's words (shared by the pages above)
- ``errors``   HTTP errors as pages in the site's layout for browsers
"""
from __future__ import annotations

from . import argument, errors, indexes, reader, resolve, tools  # noqa: F401  (the routes, registered on bp)
from .base import BASE_PATH, bp, href

__all__ = ["bp", "href", "BASE_PATH"]
