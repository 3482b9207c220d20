"""A SPARQL lexer just good enough to tell what a query asks for before it runs.

It finds the query form (to negotiate the answer's format first), FROM clauses (pyoxigraph's
union-default flag would override them) and the operations that make the engine reach out
to the network: SERVICE and LOAD. Strings, comments, IRIs, prefixed names and variables are
whole tokens, so ``"SERVICE"``, ``# SERVICE``, ``<http://x/SERVICE>``, ``ex:SERVICE`` and
``?service`` are not the keyword.

>>> scan('PREFIX s: <http://x/> SELECT * { ?s s:SERVICE "SERVICE" } # SERVICE').services
[]
>>> scan('select * { service silent <http://127.0.0.1:9/> { ?s ?p ?o } }').services
['http://127.0.0.1:9/']
>>> scan('PREFIX e: <http://e/> ASK FROM <http://g> { SERVICE e:q {} }').services
['http://e/q']
>>> scan('ASK {}').form, scan('CONSTRUCT WHERE { ?s ?p ?o }').form
('ASK', 'CONSTRUCT')
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

_PN = r"[A-Za-z\u00C0-\U000EFFFF](?:[\w.\-\u00B7\u00C0-\U000EFFFF]*[\w\-\u00B7\u00C0-\U000EFFFF])?"
_LOCAL = r"(?:[\w:\-\u00B7\u00C0-\U000EFFFF]|%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]|\.(?=[\w:%\\\-\u00B7\u00C0-\U000EFFFF]))*"
_TOKEN = re.compile(
    r"""(?P<ws>\s+)
    |(?P<comment>\#[^\r\n]*)
    |(?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
        |'(?:[^'\\\r\n]|\\.)*'|"(?:[^"\\\r\n]|\\.)*")
    |(?P<iri><(?:[^<>"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>)
    |(?P<var>[?$]\w+)
    |(?P<bnode>_:[\w\-.]*)
    |(?P<pname>(?:""" + _PN + r""")?:""" + _LOCAL + r""")
    |(?P<word>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<other>.)""",
    re.VERBOSE | re.DOTALL,
)
FORMS = {"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"}
UPDATE_WORDS = {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"}


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


def tokens(text: str):
    """(kind, text) pairs, whitespace and comments dropped."""
    for kind, val, _ in lex(text):
        yield kind, val


def lex(text: str):
    """(kind, text, offset) triples: :func:`tokens` with where each starts (for rewrites that splice)."""
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind not in ("ws", "comment"):
            yield kind, m.group(), m.start()


def scan(text: str) -> Scan:
    toks = list(tokens(text))
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
            return val[1:-1]
        if kind == "pname":
            pre, _, local = val.partition(":")
            return prefixes.get(pre, val + " (undeclared prefix)") + local if pre in prefixes else val
        return val

    for i, (kind, val) in enumerate(toks):
        if kind in ("iri", "pname"):
            out.iris.add(target(i))
        if kind != "word":
            continue
        word = val.upper()
        if word == "PREFIX" and i + 2 < len(toks) and toks[i + 2][0] == "iri":
            prefixes[toks[i + 1][1].rstrip(":")] = toks[i + 2][1][1:-1]
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
        elif kind == "word" and depth == 0:
            word = val.upper()
            if word in ("USING", "WITH"):
                raise ValueError(f"the update has {word} and the request has using-graph-uri/using-named-graph-uri: "
                                 "give the dataset one way only")
            if word == "WHERE":
                if prev == "DELETE":
                    raise ValueError("DELETE WHERE { ... } cannot take using-graph-uri; write DELETE { ... } WHERE { ... }")
                out.append(update[last:m.start()] + clause)
                last = m.start()
        prev = val.upper() if kind == "word" else val
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

    for m in _TOKEN.finditer(update):
        kind, val = m.lastgroup, m.group()
        if kind in ("ws", "comment"):
            continue
        if depth == 0 and decl is not None:  # inside PREFIX p: <iri> or BASE <iri>
            if kind == "iri":
                prologue.append(update[decl:m.end()])
                decl = None
            continue
        if kind == "other" and val in "{}":
            depth += 1 if val == "{" else -1
        if depth == 0 and kind == "word" and val.upper() in ("PREFIX", "BASE") and not keywords:
            decl = m.start()
            continue
        if depth == 0 and kind == "other" and val == ";":
            close(m.start())
            keywords, body = [], None
            continue
        if depth == 0 and kind == "word" and body is None:
            keywords.append(val.upper())
            continue
        if body is None:
            body = m.start()
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


__all__ = ["Scan", "scan", "tokens", "lex", "add_using", "operations", "graphs_only"]
