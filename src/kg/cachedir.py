"""Private cache directories: made with mode 0700, checked before use, never followed through a link.

The dump cache (kg.dumpcache) and the store snapshots (kg.store.OnDiskStore.snapshot) keep files
across restarts on a machine other users share: a directory that is a symlink, belongs to someone
else or is open to others is refused (UnsafeCacheDir), never used.

>>> import tempfile, pathlib
>>> d = private_dir(pathlib.Path(tempfile.mkdtemp()) / "cache")
>>> oct(d.stat().st_mode & 0o777)
'0o700'
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

__all__ = ["UnsafeCacheDir", "private_dir", "user_cache"]


class UnsafeCacheDir(Exception):
    """A cache directory that is a symlink, not ours, or open to other users: it is not used."""


def user_cache(name: str) -> Path:
    """``$XDG_CACHE_HOME`` (or ``~/.cache``) ``/deepseek-kg/NAME``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "deepseek-kg" / name


def private_dir(path: Path) -> Path:
    """Make ``path`` (mode 0700) if missing, then check it is a real directory, ours, closed to
    others; UnsafeCacheDir otherwise. Parents are made as the user's umask allows."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        raise UnsafeCacheDir(f"{path} is a symbolic link")
    if not stat.S_ISDIR(st.st_mode):
        raise UnsafeCacheDir(f"{path} is not a directory")
    if st.st_uid != os.getuid():
        raise UnsafeCacheDir(f"{path} belongs to another user (uid {st.st_uid})")
    if st.st_mode & 0o077:
        raise UnsafeCacheDir(f"{path} is open to other users (mode {stat.S_IMODE(st.st_mode):o}; 700 is needed)")
    return path
