"""Bearer tokens for curators: stored hashed, compared in constant time, never logged.

The operator keeps a tokens file (JSON) of ``{"name", "role", "sha256"}`` entries; ``kg token
add NAME --role write`` makes a random token, prints it once and stores only its SHA-256.
Roles: ``read`` (may read where reading needs a token), ``write`` (may also change the
graph) and ``admin`` (may also make mass deletions: a write that removes more than
WRITE_MAX_REMOVED quads or half the data, see docs/security.md). A token is 32 random bytes, so an unsalted SHA-256 is enough: there is no dictionary
to attack, and hashing keeps a leaked tokens file from granting access.

>>> import tempfile, pathlib
>>> f = pathlib.Path(tempfile.mkdtemp()) / "tokens.json"
>>> token = add_token(f, "alice", "write")
>>> Tokens.load(f).check(token).name, Tokens.load(f).check("wrong") is None
('alice', True)
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Principal", "Tokens", "TokenFile", "TokenFileError", "add_token", "ROLES", "hash_token"]

ROLES = ("read", "write", "admin")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")  # names go into IRIs of the change log


class TokenFileError(ValueError):
    pass


@dataclass(frozen=True)
class Principal:
    name: str
    role: str

    def may(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Tokens:
    """The configured tokens. ``check`` compares against every entry, so its time does not
    depend on which entry (if any) matches."""

    def __init__(self, entries: list[Principal], digests: list[bytes]):
        self.entries, self.digests = entries, digests

    @classmethod
    def load(cls, path: Path | str) -> "Tokens":
        path = Path(path)
        try:
            data = json.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            raise TokenFileError(f"{path}: tokens file not found (make one with: kg token add NAME --file {path})") from None
        except (ValueError, OSError) as exc:
            raise TokenFileError(f"{path}: not a readable tokens file ({exc})") from None
        entries, digests = [], []
        for i, item in enumerate(data.get("tokens", []) if isinstance(data, dict) else []):
            try:
                name, role, digest = item["name"], item["role"], bytes.fromhex(item["sha256"])
            except (KeyError, TypeError, ValueError):
                raise TokenFileError(f"{path}: entry {i + 1} needs name, role and a hex sha256") from None
            if role not in ROLES or not NAME.match(name) or len(digest) != 32:
                raise TokenFileError(f"{path}: entry {i + 1} ({name!r}): role must be one of {ROLES}, "
                                     "name letters/digits/._- only, sha256 64 hex digits")
            entries.append(Principal(name, role))
            digests.append(digest)
        return cls(entries, digests)

    def check(self, token: str) -> Principal | None:
        """The principal whose token this is, or None."""
        presented = hashlib.sha256(token.encode("utf-8", "surrogateescape")).digest()
        found = None
        for principal, digest in zip(self.entries, self.digests):
            if hmac.compare_digest(presented, digest):
                found = principal
        return found


class TokenFile:
    """The tokens of a file, re-read when the file changes (``kg token add`` while the server runs
    takes effect at the next request). One ``stat`` per check; a file that cannot be read (being
    edited by hand, say) keeps the tokens last read, and the problem is logged."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._seen = self._stamp()
        self.tokens = Tokens.load(self.path)  # a bad file at start-up is an error the operator sees

    def _stamp(self):
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def check(self, token: str) -> Principal | None:
        stamp = self._stamp()
        if stamp != self._seen and stamp is not None:
            try:
                self.tokens = Tokens.load(self.path)
            except TokenFileError as exc:
                import logging
                logging.getLogger(__name__).warning("tokens not reloaded, the ones read before stay: %s", exc)
            self._seen = stamp
        return self.tokens.check(token)


def add_token(path: Path | str, name: str, role: str = "write") -> str:
    """Make a token for ``name``, store its hash in ``path`` (created 0600), return the token."""
    path = Path(path)
    if role not in ROLES:
        raise TokenFileError(f"role must be one of {', '.join(ROLES)}")
    if not NAME.match(name):
        raise TokenFileError(f"{name!r}: use letters, digits, '.', '_' or '-' (it names the curator in the change log)")
    data = json.loads(path.read_text("utf-8")) if path.exists() else {"tokens": []}
    if any(t.get("name") == name for t in data["tokens"]):
        raise TokenFileError(f"{path}: there is already a token for {name!r}; remove it first (kg token remove {name})")
    token = "kgt_" + secrets.token_urlsafe(32)
    data["tokens"].append({"name": name, "role": role, "sha256": hash_token(token)})
    _write(path, data)
    return token


def remove_token(path: Path | str, name: str) -> bool:
    path = Path(path)
    data = json.loads(path.read_text("utf-8")) if path.exists() else {"tokens": []}
    kept = [t for t in data["tokens"] if t.get("name") != name]
    if len(kept) == len(data["tokens"]):
        return False
    _write(path, {**data, "tokens": kept})
    return True


def _write(path: Path, data: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


__all__ += ["remove_token"]
