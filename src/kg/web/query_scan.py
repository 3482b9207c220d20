"""A SPARQL lexer just good enough to tell what a query asks for before it runs, in linear time.

It finds the query form (to negotiate the answer's format first), FROM clauses (pyoxigraph's
union-default flag would override them), how deeply the text nests (the engine recurses once
per level and dies of a stack overflow past a few thousand) and the operations that make the
engine reach out to the network: SERVICE and LOAD. Strings, comments, IRIs, prefixed names and
variables are whole tokens, so ``"SERVICE"``, ``# SERVICE``, ``<http://x/SERVICE>``,
``ex:SERVICE`` and ``?service`` are not the keyword.

Two rules keep it safe and fast on hostile text:

- **Linear time.** Every token is matched by a pattern that never backtracks (possessive
  quantifiers); an unterminated string is one token to the end of its line (or of the text),
  and a run of name characters without a colon is matched once and then split, so no stretch
  of text is scanned twice whatever it holds (``tests/test_scanner.py`` times the pathological
  shapes; the old scanner took tens of seconds on 100 KB of them).
- **Keywords as the engine reads them.** pyoxigraph's parser matches keywords without a word
  boundary: ``SERVICESILENT<x>`` and ``LOAD:x`` are SERVICE and LOAD to it. So a bare word
  that holds SERVICE or LOAD is split around the keyword, and a prefixed name whose prefix
  starts with SERVICE, LOAD or SILENT counts as the keyword followed by the rest.

>>> scan('PREFIX s: <http://x/> SELECT * { ?s s:SERVICE "SERVICE" } # SERVICE').services
[]
>>> scan('select * { service silent <http://127.0.0.1:9/> { ?s ?p ?o } }').services
['http://127.0.0.1:9/']
>>> scan('PREFIX e: <http://e/> ASK FROM <http://g> { SERVICE e:q {} }').services
['http://e/q']
>>> scan('SELECT * { SERVICESILENT<http://h/> {} }').services, scan('LOADSILENT<http://h/>').loads
(['http://h/'], ['http://h/'])
>>> scan('ASK {}').form, scan('CONSTRUCT WHERE { ?s ?p ?o }').form
('ASK', 'CONSTRUCT')
>>> scan('SELECT * { { ?s ?p ( 1 ( 2 ) ) } }').depth
4
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

_START = r"A-Za-z\u00C0-\U000EFFFF"            # a prefix name's first character
_CHAR = r"\w\-\u00B7\u00C0-\U000EFFFF"         # its other characters (a dot only inside)
_RUN = rf"[{_START}][{_CHAR}]*+(?:\.++[{_CHAR}]++)*+"  # dots inside only; no lookahead per character
_LOCAL_PART = r"(?:[\w:\-\u00B7\u00C0-\U000EFFFF]++|%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%])"
_LOCAL = rf"{_LOCAL_PART}*+(?:\.++{_LOCAL_PART}++)*+"  # a dot only inside, as in _RUN
_TOKEN = re.compile(
    r"""(?P<ws>\s++)
    |(?P<comment>\#[^\r\n]*+)
    |(?P<string>'''(?:[^'\\]|\\.|'(?!''))*+(?:'''|(?P<open1>))
        |\"\"\"(?:[^"\\]|\\.|"(?!""))*+(?:\"\"\"|(?P<open2>))
        |'(?:[^'\\\r\n]|\\.)*+(?:'|(?P<open3>))
        |"(?:[^"\\\r\n]|\\.)*+(?:"|(?P<open4>)))
    |(?P<iri><(?:[^<>"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*+>)
    |(?P<var>[?$]\w++)
    |(?P<bnode>_:[\w\-.]*+)
    |(?P<name>""" + _RUN + r"""(?::""" + _LOCAL + r""")?+)
    |(?P<pname>:""" + _LOCAL + r""")
    |(?P<word>[A-Za-z_][A-Za-z0-9_]*+)
    |(?P<other>.)""",
    re.VERBOSE | re.DOTALL,
)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SPLIT = re.compile(r"(?P<word>[A-Za-z_][A-Za-z0-9_]*+)|(?P<other>.)", re.DOTALL)
_UCHAR = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_GLUED = re.compile(r"(SERVICE|LOAD)", re.IGNORECASE)
_DATASET_WORDS = re.compile(r"USING|WITH")
_SCANNED = ("SELECT|ASK|CONSTRUCT|DESCRIBE|FROM|USING|WITH|PREFIX|SILENT|INSERT|DELETE|CLEAR|CREATE|DROP|COPY|MOVE|"
            "ADD")
#: the words :func:`scan` acts on, inside a run of name characters: whole words (runs of
#: [A-Za-z0-9_]), and SERVICE / LOAD anywhere in one (glued to other letters, as the engine reads them)
_SCANNED_WORDS = frozenset(_SCANNED.split("|"))
_RUN_WORD = re.compile(r"[A-Za-z0-9_]+")
_GLUED_ONLY = re.compile(r"SERVICE|LOAD", re.IGNORECASE)


def _run_keywords(run: str):
    """(offset, keyword) for the keywords :func:`scan` acts on in ``run``, in order: nothing to do
    (one substring search per keyword) for the usual run, one C-level split into words otherwise."""
    up = run.upper()
    if not any(k in up for k in _SCANNED_WORDS) and "SERVICE" not in up and "LOAD" not in up:
        return
    for m in _RUN_WORD.finditer(run):
        u = m.group().upper()
        if u in _SCANNED_WORDS:
            yield m.start(), m.group()
        elif "SERVICE" in u or "LOAD" in u:
            for g in _GLUED_ONLY.finditer(m.group()):
                yield m.start() + g.start(), g.group()
_GLUED_PREFIX = re.compile(r"(SERVICE|LOAD|SILENT)", re.IGNORECASE)

FORMS = {"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"}
UPDATE_WORDS = {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"}
OPEN, CLOSE = {"{": 1, "(": 1, "[": 1}, {"}": 1, ")": 1, "]": 1}


@dataclass
class Scan:
    form: str | None = None          # SELECT / ASK / CONSTRUCT / DESCRIBE (None: not a query)
    has_from: bool = False           # FROM or FROM NAMED present
    has_using: bool = False          # USING / USING NAMED present (updates)
    services: list[str] = field(default_factory=list)  # target IRIs, "?var" for variables
    loads: list[str] = field(default_factory=list)     # LOAD source IRIs
    update_ops: list[str] = field(default_factory=list)
    has_with: bool = False           # WITH present (updates)
    iris: set[str] = field(default_factory=set)        # every IRI named (prefixed names expanded)
    depth: int = 0                   # deepest nesting of { ( [ and << (the engine recurses per level)
    unterminated: bool = False       # a string runs to the end of its line or of the text


def unescape_iri(text: str) -> str:
    r"""An IRIREF's text with its ``\u``/``\U`` escapes decoded, as the engine reads it.

    >>> unescape_iri(r"http://a\u0040b/")
    'http://a@b/'
    """
    if "\\" not in text:
        return text
    return _UCHAR.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)


def _local(text: str) -> str:
    r"""A prefixed name's local part as the engine reads it: ``\x`` escapes lose their backslash."""
    return re.sub(r"\\(.)", r"\1", text) if "\\" in text else text


def tokens(text: str, keywords_only_in_runs: bool = False):
    """(kind, text) pairs, whitespace and comments dropped; kinds: string, iri, var, bnode,
    pname, word, other (one character). Unterminated strings come as kind "open".

    ``keywords_only_in_runs``: from a run of name characters that is not a prefixed name
    (``a.b-c.d``), give only the keywords :func:`scan` looks at, found by one C-level search
    instead of a token per character (what :func:`scan` uses: such runs are rare in queries and
    the cheapest way to make a long text expensive)."""
    for kind, val, _ in lex(text, keywords_only_in_runs):
        yield kind, val


def lex(text: str, keywords_only_in_runs: bool = False):
    """(kind, text, offset) triples: :func:`tokens` with where each starts (for rewrites that splice)."""
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind in ("ws", "comment"):
            continue
        val = m.group()
        if kind == "string":
            if m.group("open1") is not None or m.group("open2") is not None or \
                    m.group("open3") is not None or m.group("open4") is not None:
                kind = "open"
        elif kind == "name":
            if ":" in val:
                kind = "pname"
            elif _WORD.fullmatch(val):
                kind = "word"
            elif keywords_only_in_runs:
                for at, word in _run_keywords(val):
                    yield "word", word, m.start() + at
                continue
            else:  # dots, hyphens or letters beyond ASCII: split as the engine would read them
                for sub in _SPLIT.finditer(val):
                    yield sub.lastgroup, sub.group(), m.start() + sub.start()
                continue
        yield kind, val, m.start()


def _engine_tokens(text: str, keywords_only_in_runs: bool = False):
    """:func:`tokens` with keywords glued to their neighbours split off (see the module doc);
    linear however many keywords are glued together."""
    prev = None
    for kind, val in tokens(text, keywords_only_in_runs):
        if kind == "word" and val.upper() not in ("SERVICE", "LOAD") and _GLUED.search(val):
            for part in _GLUED.split(val):  # the keywords and the words between them
                if part:
                    yield "word", part
            prev = "word"
            continue
        if kind == "pname" and prev != "PREFIX":
            colon = val.index(":")
            prefix, rest = val[:colon], val[colon:]
            m = _GLUED_PREFIX.match(prefix)
            if m:  # SERVICE:x, SERVICEex:x, SILENTex:x: the keywords, then a prefixed name
                while m:
                    yield "word", m.group(1)
                    prefix = prefix[m.end(1):]
                    m = _GLUED_PREFIX.match(prefix)
                yield "pname", prefix + rest
                prev = "pname"
                continue
        yield kind, val
        prev = val.upper() if kind == "word" else kind


def scan(text: str) -> Scan:
    upper = text.upper()  # no glued keyword without one of these words (a plain `in` is fastest)
    glued = "SERVICE" in upper or "LOAD" in upper or "SILENT" in upper
    toks = list(_engine_tokens(text, True) if glued else tokens(text, True))
    prefixes: dict[str, str] = {}
    out = Scan()

    def target(i: int) -> str:
        """The IRI (or variable) named by the token at i, after an optional SILENT."""
        if i < len(toks) and toks[i][0] == "word" and toks[i][1].upper() == "SILENT":
            i += 1
        if i >= len(toks):
            return ""
        kind, val = toks[i]
        if kind == "iri":
            return unescape_iri(val[1:-1])
        if kind == "pname":
            pre, _, local = val.partition(":")
            return prefixes[pre] + _local(local) if pre in prefixes else val
        return val

    depth, pair = 0, False
    for i, (kind, val) in enumerate(toks):
        if kind == "other":
            if pair:  # the second half of << or >>
                pair = False
            elif val in OPEN or val == "<" and i + 1 < len(toks) and toks[i + 1] == ("other", "<"):
                depth += 1
                pair = val == "<"
                if depth > out.depth:
                    out.depth = depth
            elif val in CLOSE or val == ">" and i + 1 < len(toks) and toks[i + 1] == ("other", ">"):
                depth = max(0, depth - 1)
                pair = val == ">"
            continue
        if kind in ("iri", "pname"):
            out.iris.add(target(i))
            continue
        if kind == "open":
            out.unterminated = True
            continue
        if kind != "word":
            continue
        word = val.upper()
        if word == "PREFIX" and i + 2 < len(toks) and toks[i + 2][0] == "iri":
            prefixes[toks[i + 1][1].rstrip(":")] = unescape_iri(toks[i + 2][1][1:-1])
        elif word in FORMS and out.form is None and not out.update_ops:
            out.form = word
        elif word == "FROM":
            out.has_from = True
        elif word == "USING":
            out.has_using = True
        elif word == "WITH":
            out.has_with = True
        elif word == "SERVICE":
            out.services.append(target(i + 1))
        elif word == "LOAD":
            out.loads.append(target(i + 1))
        if word in UPDATE_WORDS and out.form is None:
            out.update_ops.append(word)
    return out


def add_using(update: str, default_graphs: list[str], named_graphs: list[str]) -> str:
    """The update with USING / USING NAMED clauses for the protocol's ``using-graph-uri`` and
    ``using-named-graph-uri`` put before the WHERE of every operation that has one.

    The graphs must already be checked absolute IRIs (``kg.web.limits.graph_iris``): they are
    written as ``<IRI>`` terms, and the caller scans the final text again before it runs.

    >>> add_using("INSERT { ?s a 1 } WHERE { ?s ?p ?o }", ["http://g"], [])
    'INSERT { ?s a 1 } USING <http://g> WHERE { ?s ?p ?o }'

    Raises ValueError where the protocol says the parameters cannot apply.
    """
    clause = " ".join([f"USING <{g}>" for g in default_graphs] + [f"USING NAMED <{g}>" for g in named_graphs]) + " "
    out, last, depth, prev = [], 0, 0, None
    for m in _TOKEN.finditer(update):
        kind, val = m.lastgroup, m.group()
        if kind in ("ws", "comment"):
            continue
        if kind == "other" and val in "{}":
            depth += 1 if val == "{" else -1
        elif kind in ("word", "name") and depth == 0 and ":" not in val:
            given = _DATASET_WORDS.search(val.upper())
            if given:  # the engine reads USING/WITH glued to a neighbour too
                raise ValueError(f"the update has {given.group()} and the request has using-graph-uri/"
                                 "using-named-graph-uri: give the dataset one way only")
            if val.upper() == "WHERE":
                if prev == "DELETE":
                    raise ValueError("DELETE WHERE { ... } cannot take using-graph-uri; write DELETE { ... } WHERE { ... }")
                out.append(update[last:m.start()] + clause)
                last = m.start()
        prev = val.upper() if kind in ("word", "name") else val
    out.append(update[last:])
    return "".join(out)


def operations(update: str) -> list[tuple[str, list[str], str]]:
    """The operations of a SPARQL Update: (the PREFIX/BASE declarations before it, its leading
    keywords in upper case, the text after them), so one operation can be run on its own.

    >>> [(k, b.strip()) for _, k, b in operations('PREFIX e: <http://e/> INSERT DATA { e:a e:b "x;y" } ; DELETE WHERE { ?s ?p ?o }')]
    [(['INSERT', 'DATA'], '{ e:a e:b "x;y" }'), (['DELETE', 'WHERE'], '{ ?s ?p ?o }')]
    >>> operations('PREFIX e: <http://e/> INSERT DATA { e:a e:b 1 }')[0][0]
    'PREFIX e: <http://e/>'
    """
    out, prologue, depth = [], [], 0
    keywords: list[str] = []
    body = decl = None

    def close(end: int) -> None:
        if keywords:
            out.append((" ".join(prologue), list(keywords), update[body:end]))

    for kind, val, start in lex(update):
        if depth == 0 and decl is not None:  # inside PREFIX p: <iri> or BASE <iri>
            if kind == "iri":
                prologue.append(update[decl:start + len(val)])
                decl = None
            continue
        if kind == "other" and val in "{}":
            depth += 1 if val == "{" else -1
        if depth == 0 and kind == "word" and val.upper() in ("PREFIX", "BASE") and not keywords:
            decl = start
            continue
        if depth == 0 and kind == "other" and val == ";":
            close(start)
            keywords, body = [], None
            continue
        if depth == 0 and kind == "word" and body is None:
            keywords.append(val.upper())
            continue
        if body is None:
            body = start
    close(len(update))
    return out


def graphs_only(update: str) -> list[str] | None:
    """The graphs an update reads and writes when it names them all: every pattern and template of
    every operation inside ``GRAPH <iri> { ... }`` (or a prefixed name), nothing in the default
    graph, no ``GRAPH ?var``, no WITH or USING; None otherwise (or for graph management: CLEAR,
    DROP, LOAD, ...). Such an update can be run on a store holding just those graphs.

    >>> graphs_only('PREFIX e: <http://e/> DELETE WHERE { GRAPH e:g { e:a e:b ?o } } ; INSERT DATA { GRAPH <http://e/h> { e:a e:b 1 } }')
    ['http://e/g', 'http://e/h']
    >>> graphs_only('DELETE WHERE { ?s ?p ?o }'), graphs_only('DELETE WHERE { GRAPH ?g { ?s ?p ?o } }')
    (None, None)
    >>> graphs_only('DELETE { GRAPH <http://e/g> { ?s ?p ?o } } WHERE { GRAPH <http://e/g> { ?s ?p ?o } FILTER EXISTS { ?s ?p ?x } }') is None
    True
    """
    prefixes: dict[str, str] = {}
    graphs: list[str] = []
    toks = list(tokens(update))
    depth, i = 0, 0
    while i < len(toks):
        kind, val = toks[i]
        word = val.upper() if kind == "word" else None
        if depth == 0:
            if word == "PREFIX" and i + 2 < len(toks) and toks[i + 2][0] == "iri":
                prefixes[toks[i + 1][1].rstrip(":")] = toks[i + 2][1][1:-1]
                i += 3
                continue
            if word in ("WITH", "USING", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "BASE"):
                return None
            if kind == "other" and val == "{":
                depth = 1
            elif not (word in ("INSERT", "DELETE", "DATA", "WHERE") or (kind == "other" and val == ";")):
                return None
        elif depth == 1:
            if word == "GRAPH" and i + 2 < len(toks) and toks[i + 2] == ("other", "{"):
                kind2, name = toks[i + 1]
                if kind2 == "iri":
                    graphs.append(name[1:-1])
                elif kind2 == "pname" and name.partition(":")[0] in prefixes:
                    pre, _, local = name.partition(":")
                    graphs.append(prefixes[pre] + local)
                else:
                    return None
                depth, i = 2, i + 3
                continue
            if kind == "other" and val == "}":
                depth = 0
            elif not (kind == "other" and val == "."):
                return None
        else:
            if kind == "other" and val in "{}":
                depth += 1 if val == "{" else -1
        i += 1
    return sorted(set(graphs)) if graphs and depth == 0 else None


__all__ = ["Scan", "scan", "tokens", "lex", "add_using", "operations", "graphs_only", "unescape_iri"]
