"""Every setting of the server, in one table: name, environment variable, default, type, help, flag.

The ``server.py`` / ``kg serve`` flags, the ``create_app(config)`` defaults, the ``KG_*``
environment variables and the table in docs/endpoint.md are all derived from :data:`SETTINGS`
(a test checks the docs). Adding a limit is one row here, then reading ``app.config[NAME]`` where
it applies. Precedence: a flag given on the command line wins over its ``KG_*`` variable, which
wins over the default. ``create_app`` reads the environment only when asked (``from_env=True``).

>>> SETTINGS["QUERY_TIMEOUT"].default, SETTINGS["QUERY_TIMEOUT"].env, SETTINGS["QUERY_TIMEOUT"].flag
(5.0, 'KG_QUERY_TIMEOUT', '--query-timeout')
>>> from_env({"KG_QUERY_TIMEOUT": "2", "KG_ALLOW_UPDATE": "yes", "KG_SOURCES": "a.ttl,b.ttl", "HOME": "/"})
{'SOURCES': ['a.ttl', 'b.ttl'], 'QUERY_TIMEOUT': 2.0, 'ALLOW_UPDATE': True}
"""
from __future__ import annotations

import argparse
import json
import os
from dataclasses import dataclass
from typing import Any, Callable, Mapping

__all__ = ["Setting", "SETTINGS", "app_defaults", "from_env", "add_arguments", "resolve", "markdown_table",
           "parse_bool", "SettingError"]


class SettingError(ValueError):
    """A setting's value cannot be read (a bad KG_* variable): the message names it."""


def parse_bool(value) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("", "0", "false", "no", "off"):
        return False
    raise ValueError(f"{value!r} is not a yes/no value (use 1/0, true/false, yes/no)")


def _list(value) -> list[str]:
    if isinstance(value, (list, tuple)):
        return list(value)
    text = str(value).strip()
    if text.startswith("["):
        return list(json.loads(text))
    return [item.strip() for item in text.split(",") if item.strip()]


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


#: type name -> parser of a string (from the environment or the command line)
PARSERS: dict[str, Callable[[Any], Any]] = {
    "float": float, "int": int, "bool": parse_bool, "str": str, "list": _list, "json": _json,
}


@dataclass(frozen=True)
class Setting:
    name: str                  # the app.config key
    default: Any
    type: str                  # a key of PARSERS
    help: str                  # one line: what it does (for --help and the docs)
    flag: str | None = None    # the server.py / kg serve flag, if it has one
    scope: str = "app"         # "app": a create_app config key; "server": gunicorn / start-up only
    group: str = "endpoint"    # endpoint | curation | server: how --help and the docs group them
    shown: str | None = None   # the default as the docs say it, when repr() would not read well
    metavar: str | None = None

    @property
    def env(self) -> str:
        return "KG_" + self.name

    def parse(self, value):
        try:
            return PARSERS[self.type](value)
        except (ValueError, TypeError) as exc:
            raise SettingError(f"{self.env}={value!r}: {exc}") from None


_ROWS = [
    # -- the server process (gunicorn) -----------------------------------------------------------
    Setting("BIND", "127.0.0.1:8000", "str", "host:port to listen on", "--bind", "server", "server",
            metavar="HOST:PORT"),
    Setting("HOST", None, "str", "host to listen on (with --port, instead of --bind)", "--host", "server", "server",
            shown="from --bind"),
    Setting("PORT", None, "int", "port to listen on (with --host, instead of --bind)", "--port", "server", "server",
            shown="from --bind"),
    Setting("WORKERS", None, "int", "gunicorn worker processes", "--workers", "server", "server", shown="one per core"),
    Setting("THREADS", 0, "int", "threads per worker (0: 8; each may wait on a query process, a remote engine or "
            "the write lock)", "--threads", "server", "server", shown="8"),
    Setting("LOG_LEVEL", "info", "str", "gunicorn's log level", "--log-level", "server", "server"),
    Setting("ACCESS_LOG", False, "bool", "log every request to stderr", "--access-log", "server", "server"),
    Setting("REQUEST_TIMEOUT", 10.0, "float", "seconds a client has to send a whole request (line, headers and body) "
            "once it starts; slower clients get 408 and never hold a thread", "--request-timeout", "server", "server",
            shown="10 s"),
    Setting("CLIENT_REQUESTS", 1, "int", "requests of one client (address) each worker handles at once; the next "
            "ones wait their turn, read and parked without a thread; 0: no limit", "--client-requests", "server", "server"),
    Setting("DUMP_WARMUP", True, "bool", "write the /dumps/ files in the background at start-up (else on first "
            "download)", "--no-dump-warmup", "server", "server", shown="on"),
    # -- the endpoint --------------------------------------------------------------------------
    Setting("STORE", None, "str", "what to serve: 'memory' (load the source files), the directory of an on-disk store "
            "(kg load --to DIR), or a remote SPARQL endpoint URL", "--store", shown="memory", metavar="SPEC"),
    Setting("STORE_OPTIONS", {}, "json", "keyword arguments of a remote store, as JSON (see docs/scaling.md)",
            shown="{}"),
    Setting("SOURCES", None, "list", "serve these files instead of the bundled sources (PATH[=GRAPH]; the flag "
            "repeats, the variable is comma-separated)", "--data", shown="the bundled files", metavar="PATH[=GRAPH]"),
    Setting("SNAPSHOT_DIR", "auto", "str", "where on-disk snapshots of large source files are kept: made on the first "
            "start, opened by later ones ('auto': the user's cache directory; 'none': always load into memory)",
            "--snapshot-dir", shown="auto (~/.cache/deepseek-kg/snapshots)", metavar="DIR"),
    Setting("SNAPSHOT_MIN_MB", 64.0, "float", "source files adding up to this many MB are served from an on-disk "
            "snapshot (restarts in seconds, one copy shared by every worker); smaller ones are loaded into memory",
            shown="64"),
    Setting("QUERY_TIMEOUT", 5.0, "float", "seconds a query may run before it is stopped (503); 0: no limit",
            "--query-timeout", shown="5 s"),
    Setting("QUERY_PROCESSES", 2, "int", "killable query processes per worker (server.py sets it to the threads)"),
    Setting("QUERY_ISOLATION", "process", "str", "'process': killable, sandboxed query processes; 'worker': the "
            "query runs in a one-thread worker, which is ended on overrun (no memory limit, no network sandbox)"),
    Setting("QUERY_MEMORY_MB", 512, "float", "MB one query (or update) may allocate beyond its process's size; more "
            "is stopped with 503; 0: no limit", "--query-memory-mb", shown="512 MB"),
    Setting("CLIENT_QUERIES", 2, "int", "queries one client (address; an IPv6 /64) may run at once in each worker; "
            "more get 429; 0: no limit", "--client-queries"),
    Setting("TRUSTED_PROXIES", ["127.0.0.1", "::1"], "list", "addresses of reverse proxies whose X-Forwarded-For "
            "names the client (for CLIENT_QUERIES; the flag repeats)", "--trusted-proxy", shown="127.0.0.1, ::1",
            metavar="ADDRESS"),
    Setting("MAX_NESTING", 64, "int", "deepest nesting of { ( [ in a query, update or request body (the engine "
            "recurses once per level); deeper gets 400", shown="64"),
    Setting("PUBLIC_URL", None, "str", "the service's public address (scheme://host[:port]): the base IRI of "
            "relative IRIs in queries, updates and Graph Store bodies (never the Host header)", "--public-url",
            shown="http://localhost", metavar="URL"),
    Setting("MAX_ROWS", 10_000, "int", "rows (or triples) per answer; more are cut and the answer says so; 0: no cap",
            "--max-rows", shown="10,000"),
    Setting("MAX_QUERY_LENGTH", 100_000, "int", "characters of query text; longer gets 413", shown="100,000"),
    Setting("MAX_CONTENT_LENGTH", 1 << 20, "int", "bytes of request body; larger gets 413", shown="1 MiB"),
    Setting("TEXT_MAX_HITS", 1000, "int", "hits one text:search pattern keeps at most (the best; more found is "
            "said in KG-Text-Truncated)", shown="1,000"),
    Setting("RESULT_CACHE_MB", 32, "int", "MB of finished answers kept per worker; 0 turns the cache off",
            "--result-cache-mb"),
    Setting("SERVICE_ALLOWLIST", [], "list", "IRI prefixes SERVICE may call (the flag repeats); empty: SERVICE refused",
            "--service-allow", shown="none", metavar="IRI_PREFIX"),
    Setting("CORS_ORIGINS", "*", "str", "comma-separated origins allowed by CORS, * for any, empty for none",
            "--cors-origins"),
    Setting("CORS_MAX_AGE", 86400, "int", "seconds a browser may keep a CORS preflight answer"),
    Setting("GZIP_MIN_SIZE", 1024, "int", "bytes; smaller answers are not compressed", shown="1,024"),
    Setting("GZIP_LEVEL", 5, "int", "gzip compression level (1-9)"),
    Setting("SHACL_TIMEOUT", 30.0, "float", "seconds one /shacl validation may take (then 503); 0 turns the service off",
            shown="30 s"),
    Setting("SHACL_MAX_TRIPLES", 20_000, "int", "triples one /shacl request may hold (more: 413)", shown="20,000"),
    Setting("SHACL_MAX_DEPTH", 64, "int", "how deeply the brackets of /shacl data may nest (deeper: 413)"),
    Setting("SHACL_MEMORY_MB", 512, "int", "MB one /shacl validation may allocate beyond the worker's (then 503)"),
    Setting("DUMPS_DIR", None, "str", "the private directory of the /dumps/ cache (mode 0700)", "--dumps-dir",
            shown="STATE_DIR/dumps, else ~/.cache/deepseek-kg/dumps", metavar="DIR"),
    Setting("METRICS_BIND", None, "str", "host:port of a listener that serves /metrics only (no token); keep it off "
            "public interfaces", "--metrics-bind", shown="none: /metrics is not served there", metavar="HOST:PORT"),
    Setting("METRICS_TOKEN_FILE", None, "str", "a file holding the bearer token /metrics needs on the public address "
            "(unset: /metrics is 404 there)", "--metrics-token-file", shown="none", metavar="FILE"),
    Setting("METRICS_DIR", None, "str", "where gunicorn's processes keep their metric values when /metrics is served "
            "(private, emptied at start)", "--metrics-dir", shown="a fresh temporary directory", metavar="DIR"),
    # -- curation (writes) ------------------------------------------------------------------------
    Setting("ALLOW_UPDATE", False, "bool", "accept SPARQL Update and Graph Store writes from curators with a write "
            "token", "--allow-update", group="curation"),
    Setting("STATE_DIR", None, "str", "where the curated graph is kept (base snapshot + journal); made on first start",
            "--state-dir", group="curation", shown="none", metavar="DIR"),
    Setting("TOKENS", None, "str", "the curators' tokens file (kg token add NAME --file FILE); re-read when it changes",
            "--tokens", group="curation", shown="none", metavar="FILE"),
    Setting("WRITABLE_GRAPHS", None, "str", "graphs curators may write: an IRI prefix, or * for any",
            "--writable-graphs", group="curation", shown="https://w3id.org/deepseek-kg/graph/", metavar="IRI_PREFIX"),
    Setting("WRITE_DEFAULT_GRAPH", True, "bool", "writes may go to the store's unnamed default graph", group="curation"),
    Setting("READ_TOKEN_REQUIRED", False, "bool", "every request needs a token (read role or better), not only "
            "writes", "--read-token-required", group="curation"),
    Setting("SHAPES", None, "str", "the shapes file writes are checked against", group="curation",
            shown="shapes/ (as kg validate)"),
    Setting("VALIDATION_TIMEOUT", 120.0, "float", "seconds the shapes check of a large write may take (then 503)",
            group="curation", shown="120 s"),
    Setting("VALIDATION_FORK_ABOVE", 1000, "int", "changes of more quads are checked in a forked child at low CPU "
            "priority, under VALIDATION_TIMEOUT; smaller ones in the writing thread (milliseconds)", group="curation",
            shown="1,000"),
    Setting("WRITE_MAX_REMOVED", 500, "int", "quads one write may remove unless the token has the admin role "
            "(mass deletion is a separate authority); 0: no limit", group="curation"),
    Setting("KEPT_GRAPHS", None, "list", "graphs no write may change, whatever the token (the service cannot live "
            "without them as loaded); empty: the admin role may change them too", group="curation",
            shown="the ontology graph"),
    Setting("WRITE_LOCK_TIMEOUT", 60.0, "float", "seconds a write waits for the writers' lock (then 503)",
            group="curation", shown="60 s"),
]

#: name -> Setting, in the order of the docs' table
SETTINGS: dict[str, Setting] = {s.name: s for s in _ROWS}


def app_defaults() -> dict:
    """The ``create_app`` config defaults: every app-scope setting (copies of mutable defaults)."""
    return {s.name: json.loads(json.dumps(s.default)) if isinstance(s.default, (list, dict)) else s.default
            for s in _ROWS if s.scope == "app"}


def from_env(environ: Mapping[str, str] | None = None, scope: str | None = None) -> dict:
    """The settings given as ``KG_*`` variables in ``environ`` (default: os.environ), parsed."""
    environ = os.environ if environ is None else environ
    return {s.name: s.parse(environ[s.env]) for s in _ROWS
            if s.env in environ and (scope is None or s.scope == scope)}


def add_arguments(p: argparse.ArgumentParser) -> None:
    """One flag per setting that has one, grouped as in the docs; every default is None (unset),
    so :func:`resolve` can tell a flag given from one left out."""
    groups = {"server": p.add_argument_group("server"), "endpoint": p,
              "curation": p.add_argument_group("curation (writes; off by default, see docs/curation.md)")}
    for s in _ROWS:
        if s.flag is None:
            continue
        shown = s.shown or (repr(s.default) if s.default not in (None, "") else "none")
        help_text = f"{s.help} ({s.env}; default {shown})"
        kw: dict = {"dest": s.name, "default": None, "help": help_text.replace("%", "%%")}
        if s.type == "bool":
            kw.update(action="store_const", const=not s.flag.startswith("--no-"))
        elif s.type == "list":
            kw.update(action="append", metavar=s.metavar)
        else:
            kw.update(type=PARSERS[s.type] if s.type != "str" else str, metavar=s.metavar)
        groups[s.group].add_argument(s.flag, **kw)


def resolve(args: argparse.Namespace | None = None, environ: Mapping[str, str] | None = None) -> dict:
    """Every setting's value: the flag if given, else its ``KG_*`` variable, else the default."""
    values = {s.name: app_defaults().get(s.name, s.default) for s in _ROWS}
    values.update(from_env(environ))
    for s in _ROWS:
        given = getattr(args, s.name, None) if args is not None else None
        if given is not None:
            values[s.name] = given
        if values[s.name] == "" and s.default is None:  # KG_STATE_DIR= means unset
            values[s.name] = None
    return values


def markdown_table() -> str:
    """The settings as the Markdown table in docs/endpoint.md (``python -m kg.settings`` prints it)."""
    lines = ["| flag | environment variable / `create_app` key | default | meaning |", "|---|---|---|---|"]
    for s in _ROWS:
        flag = f"`{s.flag}`" if s.flag else ""
        key = f"`{s.env}`" + (f" / `{s.name}`" if s.scope == "app" else "")
        shown = s.shown or ("none" if s.default in (None, "", []) else f"`{s.default}`")
        lines.append(f"| {flag} | {key} | {shown} | {s.help} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(markdown_table(), end="")
