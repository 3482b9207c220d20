"""The dumps of one graph, written once into a private directory and kept across restarts.

Why a key of the content only: the served quads carry blank-node labels that differ on every
start, so a digest of them never matched twice and every start re-wrote every dump (and re-ran
HermiT). The key here is a digest of the graph's W3C RDFC-1.0 canonical N-Quads (the form the
exports are written from) and of the export code (:func:`code_version`), so

- a restart on the same data finds the dumps written before, and serves the same ETags;
- a curated write changes the content, so the key;
- a changed exporter (or a new version of the libraries that write the bytes) never serves stale bytes.

Safety (the cache lives on a shared machine): the root is a private directory (mode 0700, owned
by this user; by default under the state directory or the user's cache directory, never a
predictable path under /tmp), every directory is checked with ``lstat`` and every file opened with
``O_NOFOLLOW``, so a planted symlink is refused, never followed. A directory that fails these
checks is not used: the dumps are then kept in memory only, and the reason is logged. Only the
newest :data:`KEEP` versions are kept; older ones are removed when a new one is made.

>>> import tempfile, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp()) / "dumps"
>>> c = DumpCache(b"<http://ex/a> <http://ex/p> _:x .\\n", root, make=lambda name, nq: name.encode())
>>> c.get("turtle"), (root / c.key / "turtle").is_file(), oct(root.stat().st_mode & 0o777)
(b'turtle', True, '0o700')
>>> DumpCache(b"<http://ex/a> <http://ex/p> _:y .\\n", root, make=None).key == c.key  # labels don't matter
True
"""
from __future__ import annotations

import errno
import hashlib
import logging
import os
import shutil
import stat
import threading
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Callable

import pyoxigraph as ox

from .cachedir import UnsafeCacheDir, private_dir, user_cache
from .canonical import canonical_quads

__all__ = ["DumpCache", "UnsafeCacheDir", "code_version", "content_key", "default_root", "KEEP"]

log = logging.getLogger(__name__)

#: versions (keys) kept under the root; older ones are removed when a new one is made
KEEP = 3
#: modules whose code decides a dump's bytes, and libraries that write them
_CODE = ("kg.export", "kg.canonical", "kg.reason", "kg.namespaces")
_LIBRARIES = ("deepseek-kg", "pyoxigraph", "rdflib", "networkx", "PyLD", "owlready2")


@lru_cache(maxsize=1)
def code_version() -> str:
    """A digest of the export code and the versions of the libraries that write the bytes."""
    import importlib.util
    h = hashlib.sha256()
    for name in _CODE:
        spec = importlib.util.find_spec(name)
        paths = ([Path(p) for p in spec.submodule_search_locations] if spec.submodule_search_locations
                 else [Path(spec.origin)])
        for p in paths:
            for f in sorted(p.rglob("*")) if p.is_dir() else [p]:
                if f.suffix in (".py", ".jsonld") and f.is_file():
                    h.update(f.name.encode() + b"\0" + f.read_bytes())
    for lib in _LIBRARIES:
        try:
            h.update(f"{lib}={metadata.version(lib)};".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{lib}=none;".encode())
    return h.hexdigest()[:16]


def content_key(nquads: bytes) -> str:
    """The cache key of a graph given as N-Quads: its canonical form and the export code."""
    canonical = ox.serialize(canonical_quads(ox.parse(nquads, format=ox.RdfFormat.N_QUADS)),
                             format=ox.RdfFormat.N_QUADS)
    return hashlib.sha256(code_version().encode() + b"\0" + canonical).hexdigest()[:20]


def default_root(state_dir: str | Path | None = None) -> Path:
    """Where the dumps go: ``STATE_DIR/dumps`` when the server keeps a state directory, else the
    user's cache directory (``$XDG_CACHE_HOME`` or ``~/.cache``) ``/deepseek-kg/dumps``."""
    if state_dir:
        return Path(state_dir) / "dumps"
    return user_cache("dumps")


def _read(path: Path) -> bytes | None:
    """A cached file's bytes; None if missing. A symlink in its place is removed, never followed."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno != errno.ELOOP:
            raise
        log.warning("dump cache: %s is a symbolic link; removed, not followed", path)
        os.unlink(path)
        return None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            return None
        return f.read()


def _write(path: Path, data: bytes) -> None:
    """Write atomically: a new private file (never through a link), renamed over the name."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)  # replaces a link itself, never its target


class DumpCache:
    """The dumps of one graph (``nquads``), each made by ``make(name, nquads)`` on first need.

    ``root``: the private directory holding one subdirectory per version (``key``); None keeps
    the dumps in memory only. ``keep``: versions kept under the root.
    """

    def __init__(self, nquads: bytes, root: Path | str | None, make: Callable[[str, bytes], bytes] | None,
                 *, keep: int = KEEP):
        self.nquads, self.make, self.keep = nquads, make, keep
        self.key = content_key(nquads)
        self.directory: Path | None = None
        self.memory: dict[str, bytes] = {}
        self._lock = threading.Lock()
        if root is not None:
            try:
                private_dir(Path(root))
                self.directory = Path(root) / self.key
            except (UnsafeCacheDir, OSError) as exc:
                log.warning("dump cache not used (dumps kept in memory only): %s", exc)

    def _version_dir(self) -> Path | None:
        """This version's directory, made and checked; None (memory only) if it is unsafe."""
        if self.directory is None:
            return None
        try:
            fresh = not os.path.lexists(self.directory)
            private_dir(self.directory)
            if fresh:
                self.prune()
            return self.directory
        except (UnsafeCacheDir, OSError) as exc:
            log.warning("dump cache not used (dumps kept in memory only): %s", exc)
            self.directory = None
            return None

    def cached(self, name: str) -> bytes | None:
        """The dump if it was written before (by any process, any earlier start), else None."""
        if name in self.memory:
            return self.memory[name]
        d = self._version_dir()
        return _read(d / name) if d is not None else None

    def get(self, name: str) -> bytes:
        """The dump ``name``'s bytes, made and stored on first need."""
        data = self.cached(name)
        if data is not None:
            return data
        with self._lock:
            data = self.cached(name)
            if data is not None:
                return data
            data = self.make(name, self.nquads)
            d = self._version_dir()
            if d is None:
                self.memory[name] = data
            else:
                _write(d / name, data)
            return data

    def size(self, name: str) -> int:
        """Bytes of a dump already made; -1 if not made yet."""
        if name in self.memory:
            return len(self.memory[name])
        if self.directory is None:
            return -1
        try:
            st = os.lstat(self.directory / name)
        except OSError:
            return -1
        return st.st_size if stat.S_ISREG(st.st_mode) else -1

    def prune(self) -> list[str]:
        """Remove all but the newest ``keep`` versions (this one included); the keys removed."""
        if self.directory is None:
            return []
        root = self.directory.parent
        versions = []
        for entry in os.scandir(root):
            if entry.name == self.key or not entry.is_dir(follow_symlinks=False):
                continue
            versions.append((entry.stat(follow_symlinks=False).st_mtime, entry.name))
        removed = [name for _, name in sorted(versions, reverse=True)[max(0, self.keep - 1):]]
        for name in removed:
            shutil.rmtree(root / name, ignore_errors=True)
        return removed
