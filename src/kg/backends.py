"""Which store a spec names: one row per kind of store, so adding one is a module and a row.

- ``None`` / ``"memory"``: the source files, in memory; or, when they add up to ``snapshot_min_mb``
  or more and a ``snapshot_dir`` is given, as an on-disk snapshot made on the first start and
  reused by every later one (:func:`kg.store.snapshot`: a restart in seconds, one copy shared by
  all the server's processes; measured by bench/sharing.py);
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
from .store import OnDiskStore, OxigraphStore, Store, snapshot

__all__ = ["open_store", "kind", "KINDS"]

#: kind -> (does this spec name it?, open it: (spec, sources, options) -> Store). First match wins.
KINDS: dict[str, tuple[Callable[[str], bool], Callable[..., Store]]] = {
    "memory": (lambda spec: spec == "memory",
               lambda spec, sources, options: _memory(sources, **options)),
    "remote": (lambda spec: spec.startswith(("http://", "https://")),
               lambda spec, sources, options: RemoteStore(spec, **options)),
    "on-disk": (lambda spec: True,
                lambda spec, sources, options: OnDiskStore(spec)),
}


def _memory(sources, snapshot_dir=None, snapshot_min_mb: float = 64, say=None) -> Store:
    from .sources import default_sources
    sources = list(default_sources() if sources is None else sources)
    size = sum(Path(s.path).stat().st_size for s in sources if Path(s.path).is_file())
    if snapshot_dir and size >= snapshot_min_mb * 1e6:
        return snapshot(sources, snapshot_dir, say=say)
    return OxigraphStore.from_sources(sources)


def kind(spec: str | Path | None) -> str:
    """The kind of store ``spec`` names (a key of KINDS)."""
    text = "memory" if spec is None else str(spec)
    return next(name for name, (matches, _) in KINDS.items() if matches(text))


def open_store(spec: str | Path | None = None, *, sources: Iterable[SourceFile] | None = None, **options) -> Store:
    """The store named by ``spec`` (see the module docstring); ``options`` go to a remote store, or
    to the memory kind (``snapshot_dir``, ``snapshot_min_mb``, ``say``)."""
    text = "memory" if spec is None else str(spec)
    return KINDS[kind(text)][1](text, sources, options)
