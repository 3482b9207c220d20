"""What the pages show, read from the Store by SPARQL and cached once per process.

Terms leave this module as plain :class:`Term` objects (no engine types), so templates and
tests never see pyoxigraph. :class:`Catalog` holds everything derived once per loaded store:
labels, types, the essay text, its paragraphs and every anchored span.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from ...namespaces import BASE, DS, DSK, PREFIXES, curie
from ...text import Span, paragraphs

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
TIME = "http://www.w3.org/2006/time#"
OA = "http://www.w3.org/ns/oa#"
ESSAY = str(DS.essay)
AUTHOR = str(DS.author)
ONTOLOGY = BASE + "ontology"
_PREFIX_LINES = "\n".join(f"PREFIX {p}: <{ns}>" for p, ns in PREFIXES.items()) + "\n"
# the rows of a resource and of the blank nodes it owns, four levels deep (anchor > selector ...)
_CLOSURE = """{{ BIND(<{iri}> AS ?s) ?s ?p ?o }}
UNION {{ <{iri}> ?p1 ?s . FILTER(isBlank(?s)) ?s ?p ?o }}
UNION {{ <{iri}> ?p1 ?b1 . FILTER(isBlank(?b1)) ?b1 ?p2 ?s . FILTER(isBlank(?s)) ?s ?p ?o }}
UNION {{ <{iri}> ?p1 ?b1 . FILTER(isBlank(?b1)) ?b1 ?p2 ?b2 . FILTER(isBlank(?b2))
         ?b2 ?p3 ?s . FILTER(isBlank(?s)) ?s ?p ?o }}"""
_IRI_OK = re.compile(r"^[^\s<>\"{}|\\^`\x00-\x20]+$")


@dataclass(frozen=True)
class Term:
    kind: str                     # "iri" | "bnode" | "literal"
    value: str
    lang: str | None = None
    datatype: str | None = None

    @property
    def is_iri(self) -> bool:
        return self.kind == "iri"


def term(t) -> Term | None:
    """A pyoxigraph term as a :class:`Term`."""
    if t is None:
        return None
    name = type(t).__name__
    if name == "NamedNode":
        return Term("iri", t.value)
    if name == "BlankNode":
        return Term("bnode", t.value)
    dt = t.datatype.value if t.datatype is not None else None
    return Term("literal", t.value, t.language or None, None if t.language else dt)


def safe_iri(iri: str) -> bool:
    """Whether ``iri`` can be written between < > in a query without breaking out of it."""
    return bool(iri) and len(iri) < 2000 and bool(_IRI_OK.match(iri))


def fold(s: str) -> str:
    """Case- and accent-insensitive form for search: NFKD, marks dropped, casefolded."""
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if not unicodedata.combining(c))
    return " ".join(s.casefold().replace("’", "'").split())


def local_name(iri: str) -> str:
    return re.split(r"[#/]", iri.rstrip("/#"))[-1] or iri


#: labels for the common vocabulary terms the ontology does not label itself
WELL_KNOWN = {
    RDF_TYPE: "type", RDFS + "label": "label", RDFS + "comment": "comment", RDFS + "seeAlso": "see also",
    RDFS + "subClassOf": "subclass of", RDFS + "subPropertyOf": "subproperty of", RDFS + "domain": "domain",
    RDFS + "range": "range", SKOS + "definition": "definition", SKOS + "inScheme": "in scheme",
    SKOS + "prefLabel": "preferred label", OA + "hasSource": "source", OA + "hasSelector": "selector",
    OA + "exact": "exact text", OA + "start": "start", OA + "end": "end", TIME + "inXSDgYear": "year",
    TIME + "inXSDgYearMonth": "year and month", TIME + "inXSDDate": "date", TIME + "unitType": "precision",
    TIME + "hasBeginning": "beginning", TIME + "hasEnd": "end", "http://purl.org/dc/terms/title": "title",
    "http://purl.org/dc/terms/description": "description", "http://purl.org/dc/terms/license": "licence",
    "http://purl.org/dc/terms/creator": "creator", "http://purl.org/dc/terms/publisher": "publisher",
    "http://purl.org/dc/terms/issued": "issued", "http://purl.org/dc/terms/rights": "rights",
    "http://purl.org/dc/terms/source": "source", "http://purl.org/dc/terms/language": "language",
    "https://schema.org/citation": "citation", "https://schema.org/url": "address",
}


@dataclass(frozen=True)
class Anchor:
    node: str      # IRI of the claim, event, ... the anchor belongs to
    start: int
    end: int
    exact: str

    @property
    def key(self) -> str:   # the span's stable address in the reader
        return f"a-{self.start}-{self.end}"


@dataclass(frozen=True)
class ArgLink:
    """One argument relation: ``premise`` is offered for (support) or against (attack) ``conclusion``."""
    arg: str
    kind: str          # "support" | "attack"
    premise: str
    conclusion: str


@dataclass
class Catalog:
    """Everything derived once per loaded store (labels, types, text, anchors, quantities)."""
    labels: dict[str, str] = field(default_factory=dict)
    types: dict[str, list[str]] = field(default_factory=dict)
    subjects: set[str] = field(default_factory=set)
    text: str = ""
    paragraphs: list[Span] = field(default_factory=list)
    anchors: list[Anchor] = field(default_factory=list)
    by_node: dict[str, list[Anchor]] = field(default_factory=dict)
    quantities: dict[str, str] = field(default_factory=dict)
    search_index: list[tuple[str, str]] = field(default_factory=list)  # (folded label, iri)
    # who says what (see voices.py): agents voicing a node, the author's stance, argument links
    voices: dict[str, list[str]] = field(default_factory=dict)     # node -> claimant/asserter/holder/arguer
    stance: dict[str, str] = field(default_factory=dict)           # node -> "endorses" | "rejects" | ...
    direct: set[str] = field(default_factory=set)                  # claims in the claimant's own words
    args_in: dict[str, list["ArgLink"]] = field(default_factory=dict)    # conclusion -> its arguments
    args_out: dict[str, list["ArgLink"]] = field(default_factory=dict)   # premise -> its arguments
    viewpoints_of: dict[str, list[str]] = field(default_factory=dict)    # claim/causal -> viewpoints
    thesis: list[tuple[int, str]] = field(default_factory=list)          # (rank, thesis point), in order
    carried_by: dict[str, list[str]] = field(default_factory=dict)       # thesis point -> carriers
    carries: dict[str, list[str]] = field(default_factory=dict)          # carrier -> thesis points

    def label(self, iri: str) -> str:
        if iri in self.labels:
            return self.labels[iri]
        if iri in WELL_KNOWN:
            return WELL_KNOWN[iri]
        return curie(iri) if not iri.startswith(str(DS)) else local_name(iri)

    def kind(self, iri: str) -> list[str]:
        return self.types.get(iri, [])

    def paragraph_of(self, offset: int) -> tuple[int, Span] | None:
        for i, p in enumerate(self.paragraphs):
            if p.start <= offset < p.end:
                return i, p
        return None


#: how much of a 404's path the "did you mean" compares with every label (its cost grows with both)
SUGGEST_CHARS, SUGGEST_WORDS = 64, 6


def suggest(cat: "Catalog", q: str, limit: int = 12) -> list[str]:
    """Labels near ``q`` (for a 404): exact-word hits first, then similar spellings. Only the
    first SUGGEST_CHARS characters and SUGGEST_WORDS words of ``q`` count: the path of a 404 is
    whatever a client sends, and each character is compared with every label."""
    from difflib import SequenceMatcher
    target = fold(q[:4 * SUGGEST_CHARS])[:SUGGEST_CHARS]
    words = [w for w in target.split() if len(w) >= 3][:SUGGEST_WORDS]
    if not target:
        return []
    scored = []
    for lab, iri in cat.search_index:
        m = SequenceMatcher(None, target, lab[:4 * SUGGEST_CHARS])
        ratio = m.ratio() if m.real_quick_ratio() >= 0.6 and m.quick_ratio() >= 0.6 else 0.0
        hits = sum(1 for w in words if w in lab or any(x.startswith(w[:4]) for x in lab.split()))
        if ratio >= 0.6 or hits:
            scored.append((-(hits + ratio), lab, iri))
    scored.sort()
    return [iri for _, _, iri in scored[:limit]]


def rows(store, query: str) -> list[dict[str, Term]]:
    """A SELECT as a list of {var: Term}; the store's default graph is the union of the named graphs,
    the inferred graph left out: pages show what the graph states (SPARQL serves the entailments)."""
    result = store.query(_PREFIX_LINES + query, inferred=False)
    names = [v.value for v in result.variables]
    return [{n: term(sol[n]) for n in names if sol[n] is not None} for sol in result]


def build_catalog(store) -> Catalog:
    cat = Catalog()
    rank: dict[str, tuple[int, str]] = {}
    for r in rows(store, "SELECT ?s ?l WHERE { ?s rdfs:label|skos:prefLabel|dcterms:title ?l FILTER(isIRI(?s)) }"):
        s, lab = r["s"].value, r["l"]
        score = (0 if lab.lang == "en" else 1 if not lab.lang else 2, lab.value)  # ties: the same on every engine
        if score < rank.get(s, (9, "")):
            cat.labels[s], rank[s] = lab.value, score
    for r in rows(store, "SELECT DISTINCT ?s ?c WHERE { ?s a ?c FILTER(isIRI(?s) && isIRI(?c)) }"):
        cat.types.setdefault(r["s"].value, []).append(r["c"].value)
    for classes in cat.types.values():  # in IRI order, not the engine's
        classes.sort()
    cat.subjects = {r["s"].value for r in rows(store, "SELECT DISTINCT ?s WHERE { ?s ?p ?o FILTER(isIRI(?s)) }")}
    text = rows(store, f"SELECT ?t WHERE {{ <{ESSAY}> dsk:fullText ?t }} LIMIT 1")
    cat.text = text[0]["t"].value if text else ""
    cat.paragraphs = paragraphs(cat.text)
    seen = set()
    for r in rows(store, f"""SELECT ?n ?start ?end ?exact WHERE {{
            ?n dsk:anchor ?a . ?a oa:hasSource <{ESSAY}> ; oa:hasSelector ?ps .
            ?ps oa:start ?start ; oa:end ?end .
            OPTIONAL {{ ?a oa:hasSelector/oa:exact ?exact }} FILTER(isIRI(?n)) }}"""):
        try:
            a = Anchor(r["n"].value, int(r["start"].value), int(r["end"].value),
                       r["exact"].value if "exact" in r else "")
        except ValueError:
            continue
        if 0 <= a.start < a.end <= len(cat.text) and (a.node, a.start, a.end) not in seen:
            seen.add((a.node, a.start, a.end))
            cat.anchors.append(a)
            cat.by_node.setdefault(a.node, []).append(a)
    cat.anchors.sort(key=lambda a: (a.start, -a.end, a.node))
    for r in rows(store, """SELECT ?q ?v ?lo ?hi ?words ?dir ?unit ?sym ?ulabel ?cmp WHERE {
            ?q a dsk:Quantity . OPTIONAL { ?q dsk:value ?v } OPTIONAL { ?q dsk:minValue ?lo ; dsk:maxValue ?hi }
            OPTIONAL { ?q dsk:valueText ?words } OPTIONAL { ?q dsk:direction ?dir }
            OPTIONAL { ?q dsk:unit ?unit OPTIONAL { ?unit dsk:symbol ?sym }
            OPTIONAL { ?unit rdfs:label ?ulabel } } OPTIONAL { ?q dsk:comparator ?cmp } FILTER(isIRI(?q)) }"""):
        got = {k: v.value for k, v in r.items()}
        if "v" in got:
            number = got["v"]
        elif "lo" in got and "hi" in got:   # a range, both bounds as the essay gives them
            number = f"{format_number(got['lo'])}–{format_number(got['hi'])}"
        elif "words" in got:                # a vague amount keeps its words ("billions")
            cat.quantities[got["q"]] = f"“{got['words']}”"
            continue
        else:
            continue
        shown = format_quantity(number, got.get("unit"), got.get("sym"), got.get("ulabel"), got.get("cmp"))
        cat.quantities[got["q"]] = _DIRECTIONS.get(local_name(got.get("dir", "")), "") + shown
    cat.search_index = [(fold(lab), iri) for iri, lab in cat.labels.items()]
    _who_says_what(store, cat)
    return cat


def _who_says_what(store, cat: Catalog) -> None:
    """Voices, stances, argument links, viewpoints and the thesis, in deterministic order."""
    first = {}
    for a in cat.anchors:
        first.setdefault(a.node, a.start)

    def order(iri: str):
        return (first.get(iri, 10 ** 9), iri)

    for r in rows(store, """SELECT DISTINCT ?n ?who WHERE {
            ?n dsk:claimant|dsk:assertedBy|dsk:heldBy|dsk:arguedBy ?who FILTER(isIRI(?n) && isIRI(?who)) }"""):
        cat.voices.setdefault(r["n"].value, []).append(r["who"].value)
    for who in cat.voices.values():
        who.sort(key=lambda w: (w != AUTHOR, cat.label(w).casefold(), w))
    for r in rows(store, "SELECT ?n ?s WHERE { ?n dsk:authorStance ?s FILTER(isIRI(?n)) }"):
        cat.stance[r["n"].value] = local_name(r["s"].value)
    cat.direct = {r["n"].value for r in rows(store, "SELECT ?n WHERE { ?n dsk:isDirectQuote true }")}
    for r in rows(store, """SELECT ?arg ?kind ?premise ?conclusion WHERE {
            ?arg a ?kind ; dsk:premise ?premise ; dsk:conclusion ?conclusion .
            VALUES ?kind { dsk:Support dsk:Attack } FILTER(isIRI(?arg)) }"""):
        link = ArgLink(r["arg"].value, "support" if r["kind"].value.endswith("Support") else "attack",
                       r["premise"].value, r["conclusion"].value)
        cat.args_in.setdefault(link.conclusion, []).append(link)
        cat.args_out.setdefault(link.premise, []).append(link)
    for links in (*cat.args_in.values(), *cat.args_out.values()):
        links.sort(key=lambda l: (l.kind, order(l.premise), l.arg))
    for r in rows(store, "SELECT ?n ?v WHERE { ?n dsk:viewpoint ?v FILTER(isIRI(?n)) }"):
        cat.viewpoints_of.setdefault(r["n"].value, []).append(r["v"].value)
    ranks: dict[str, int] = {}
    for r in rows(store, """SELECT ?p ?rank ?carrier WHERE {
            ?p a dsk:ThesisPoint ; dsk:rank ?rank OPTIONAL { ?p dsk:carriedBy ?carrier } }"""):
        p = r["p"].value
        try:
            ranks[p] = int(r["rank"].value)
        except ValueError:
            continue
        if "carrier" in r and r["carrier"].value not in cat.carried_by.setdefault(p, []):
            cat.carried_by[p].append(r["carrier"].value)
    cat.thesis = sorted(((n, p) for p, n in ranks.items()))
    for p, carriers in cat.carried_by.items():
        carriers.sort(key=order)
        for c in carriers:
            cat.carries.setdefault(c, []).append(p)
    for points in cat.carries.values():
        points.sort(key=lambda p: ranks.get(p, 0))


# --- formatting --------------------------------------------------------------------------

_COMPARATORS = {"exactly": "", "approximately": "≈ ", "lessThan": "< ", "moreThan": "> ",
                "atMost": "≤ ", "atLeast": "≥ "}
_DIRECTIONS = {"decrease": "down ", "increase": "up "}
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"]


def format_number(lexical: str) -> str:
    try:
        d = Decimal(lexical)
    except InvalidOperation:
        return lexical
    grouped = abs(d) >= 10000   # 600,000,000,000 but not 1094 (an offset) or 2025
    if d == d.to_integral_value():
        return f"{int(d):,}" if grouped else str(int(d))
    return f"{d.normalize():,f}" if grouped else f"{d.normalize():f}"


def format_quantity(value: str, unit: str | None, symbol: str | None, unit_label: str | None,
                    comparator: str | None) -> str:
    num = format_number(value)
    cmp = _COMPARATORS.get(local_name(comparator), "") if comparator else ""
    if symbol == "$":
        body = f"${num}"
    elif symbol == "%":
        body = f"{num}%"
    elif symbol:
        body = f"{num} {symbol}"
    elif unit_label and unit_label != "count":
        body = f"{num} {unit_label}"
    else:
        body = num
    return cmp + body


def format_literal(t: Term) -> str:
    """A literal as a reader would write it: dates at their precision, numbers grouped."""
    dt = t.datatype or ""
    v = t.value
    try:
        if dt == XSD + "gYearMonth":
            y, m = v[:-3], int(v[-2:])
            return f"{_MONTHS[m - 1]} {y}"
        if dt == XSD + "date" and re.match(r"^-?\d{4,}-\d\d-\d\d$", v):
            y, m, d = v.rsplit("-", 2)
            return f"{int(d)} {_MONTHS[int(m) - 1]} {y}"
    except (ValueError, IndexError):
        return v
    if dt in (XSD + "integer", XSD + "decimal", XSD + "double", XSD + "int", XSD + "long"):
        return format_number(v)
    return v


# --- one resource --------------------------------------------------------------------------

@dataclass
class Node:
    """A subject and its statements grouped by property; blank-node objects nest as Nodes."""
    term: Term
    groups: list[tuple[str, list]] = field(default_factory=list)   # (property IRI, [Term | Node])
    summary: str = ""
    provenance: str = ""   # "outside knowledge" / "derived": a value the essay's text does not state


def closure_rows(store, iri: str) -> list[tuple[Term, Term, Term]]:
    out = rows(store, f"SELECT DISTINCT ?s ?p ?o WHERE {{ {_CLOSURE.format(iri=iri)} }}")
    return [(r["s"], r["p"], r["o"]) for r in out]


def closure_triples(store, iri: str):
    """The resource's triples with the blank nodes it owns, as engine triples (for serialising)."""
    return list(store.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {_CLOSURE.format(iri=iri)} }}", inferred=False))


_ORDER = {RDF_TYPE: 0, RDFS + "label": 1, str(DSK.statement): 2, str(DSK.description): 3,
          SKOS + "definition": 3, str(DSK.anchor): 20}   # the anchor is also shown as the quote


def build_node(cat: Catalog, triples: list[tuple[Term, Term, Term]], root: Term) -> Node:
    by_subject: dict[Term, list[tuple[Term, Term]]] = {}
    for s, p, o in triples:
        by_subject.setdefault(s, []).append((p, o))

    def make(t: Term, seen: frozenset) -> Node:
        node = Node(t)
        groups: dict[str, list] = {}
        for p, o in by_subject.get(t, []):
            if o.kind == "bnode" and o not in seen and o in by_subject:
                groups.setdefault(p.value, []).append(make(o, seen | {o}))
            else:
                groups.setdefault(p.value, []).append(o)
        for vals in groups.values():
            vals.sort(key=lambda v: (0, cat.label(v.value).casefold()) if isinstance(v, Term) and v.is_iri
                      else (1, v.value if isinstance(v, Term) else ""))
        node.groups = sorted(groups.items(), key=lambda kv: (_ORDER.get(kv[0], 9), cat.label(kv[0]).casefold()))
        node.summary = _time_summary(node)
        node.provenance = provenance(node)
        return node

    return make(root, frozenset({root}))


def _first(node: Node, prop: str):
    for p, vals in node.groups:
        if p == prop and vals:
            return vals[0]
    return None


#: marks for what the essay's text does not state (docs/data-guide.md, "Fidelity rules")
PROVENANCE = {str(DSK.OutsideKnowledge): "outside knowledge", str(DSK.DerivedValue): "derived"}


def provenance(node: Node) -> str:
    """'outside knowledge' or 'derived' when the node is typed so, else ''."""
    kinds = {v.value for p, vals in node.groups if p == RDF_TYPE for v in vals if isinstance(v, Term)}
    return next((mark for cls, mark in PROVENANCE.items() if cls in kinds), "")


def _time_summary(node: Node) -> str:
    """'2010s', 'December 2024', 'from 2023 to 2025' for OWL-Time instants and intervals."""
    for prop in ("inXSDgYear", "inXSDgYearMonth", "inXSDDate", "inXSDDateTimeStamp"):
        v = _first(node, TIME + prop)
        if isinstance(v, Term):
            unit = _first(node, TIME + "unitType")
            if isinstance(unit, Term) and unit.value == str(DSK.unitDecade):
                return v.value + "s"
            return format_literal(v)
    begin, end = _first(node, TIME + "hasBeginning"), _first(node, TIME + "hasEnd")
    parts = []
    if isinstance(begin, Node) and begin.summary:
        parts.append("from " + begin.summary)
    if isinstance(end, Node) and end.summary:
        parts.append("to " + end.summary)
    return " ".join(parts)


@dataclass
class Incoming:
    prop: str                  # the property pointing here
    via: str | None            # the property from the owner to a blank node, if any
    subjects: list[str]
    count: int


def incoming(store, iri: str, limit: int = 40) -> list[Incoming]:
    """Links into ``iri`` grouped by property; a blank-node subject is shown by its IRI owner.

    Each group's subjects are in IRI order before the first ``limit`` are kept: engines return rows
    in orders of their own, and a page must list the same ones on every store."""
    groups: dict[tuple[str, str | None], list[str]] = {}
    for r in rows(store, f"""SELECT DISTINCT ?s ?p ?owner ?op WHERE {{
            ?s ?p <{iri}> .
            OPTIONAL {{ FILTER(isBlank(?s)) ?owner ?op ?s FILTER(isIRI(?owner)) }}
            FILTER(isIRI(?s) || BOUND(?owner)) }}"""):
        if r["s"].is_iri:
            key, who = (r["p"].value, None), r["s"].value
        else:
            key, who = (r["p"].value, r["op"].value), r["owner"].value
        groups.setdefault(key, [])
        if who not in groups[key]:
            groups[key].append(who)
    out = [Incoming(p, via, sorted(subs)[:limit], len(subs)) for (p, via), subs in groups.items()]
    out.sort(key=lambda g: (-g.count, g.prop, g.via or ""))
    return out


__all__ = ["Term", "Catalog", "Anchor", "ArgLink", "AUTHOR", "Node", "Incoming", "catalog", "build_catalog", "rows",
           "closure_rows", "closure_triples", "build_node", "incoming", "fold", "curie", "local_name",
           "format_literal", "format_quantity", "format_number", "safe_iri", "provenance", "PROVENANCE",
           "ESSAY", "ONTOLOGY"]
