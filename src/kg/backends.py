"""Which store a spec names: one row per kind of store, so adding one is a module and a row.

- ``None`` / ``"memory"``: the embedded in-memory store, loaded from the source files;
- an ``http(s)://`` URL: a remote SPARQL engine (:class:`kg.remote.RemoteStore`);
- anything else: the directory of an on-disk store written by ``kg load --to DIR``.

The writable store (:class:`kg.curated.CuratedStore`) is made by the web app when writes are on:
it needs a state directory, not a spec.

>>> from kg.store import OxigraphStore
>>> kind("memory"), kind("https://example.org/sparql"), kind("/srv/kg-store")
('memory', 'remote', 'on-disk')
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable

from .remote import RemoteStore
from .sources import SourceFile
from .store import OnDiskStore, OxigraphStore, Store

__all__ = ["open_store", "kind", "KINDS"]

#: kind -> (does this spec name it?, open it: (spec, sources, options) -> Store). First match wins.
KINDS: dict[str, tuple[Callable[[str], bool], Callable[..., Store]]] = {
    "memory": (lambda spec: spec == "memory",
               lambda spec, sources, options: OxigraphStore.from_sources(sources)),
    "remote": (lambda spec: spec.startswith(("http://", "https://")),
               lambda spec, sources, options: RemoteStore(spec, **options)),
    "on-disk": (lambda spec: True,
                lambda spec, sources, options: OnDiskStore(spec)),
}


def kind(spec: str | Path | None) -> str:
    """The kind of store ``spec`` names (a key of KINDS)."""
    text = "memory" if spec is None else str(spec)
    return next(name for name, (matches, _) in KINDS.items() if matches(text))


def open_store(spec: str | Path | None = None, *, sources: Iterable[SourceFile] | None = None, **options) -> Store:
    """The store named by ``spec`` (see the module docstring); ``options`` go to a remote store."""
    text = "memory" if spec is None else str(spec)
    return KINDS[kind(text)][1](text, sources, options)
