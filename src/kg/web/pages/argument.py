"""/argument: the essay's argument for a reader who has not read it.

The thesis (the dsk:ThesisPoint nodes, in rank order, each with its quote and the claims that
carry it), the debates the essay takes on (viewpoints that oppose each other, with what the
author says of the pair: "somewhat of a false dichotomy"), and each viewpoint with who holds it,
the author's stance and the reasons given for and against it. Everything is read from the store
by SPARQL (the catalog's who-says-what tables and the three queries below)."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import url_for

from .base import bp, cat, render, store
from .indexes import sparql_twins
from .model import ESSAY, Catalog, rows

THESIS_Q = f"""SELECT ?point ?rank ?label ?statement ?carrier ?exact WHERE {{
        ?point a dsk:ThesisPoint ; dsk:thesisOf <{ESSAY}> ; dsk:rank ?rank ; rdfs:label ?label .
        OPTIONAL {{ ?point dsk:statement ?statement }} OPTIONAL {{ ?point dsk:carriedBy ?carrier }}
        OPTIONAL {{ ?point dsk:anchor/oa:hasSelector/oa:exact ?exact }} }} ORDER BY ?rank ?carrier"""
VIEWPOINTS_Q = """SELECT ?viewpoint ?label ?definition ?holder ?stance WHERE {
        ?viewpoint a dsk:Viewpoint ; rdfs:label ?label .
        OPTIONAL { ?viewpoint skos:definition ?definition } OPTIONAL { ?viewpoint dsk:heldBy ?holder }
        OPTIONAL { ?viewpoint dsk:authorStance ?stance } } ORDER BY ?viewpoint ?holder"""
DEBATES_Q = """SELECT DISTINCT ?a ?b ?claim WHERE {
        ?a dsk:opposes ?b . FILTER(STR(?a) < STR(?b))
        OPTIONAL { ?claim a dsk:Claim ; dsk:about ?a, ?b } } ORDER BY ?a ?b ?claim"""


@dataclass
class Point:
    iri: str
    rank: int
    label: str
    statement: str
    carriers: list[str]


@dataclass
class Reason:
    premise: str
    direct: bool                  # about the viewpoint itself, not only claims made within it
    on: list[str] = field(default_factory=list)   # the claims within the view it bears on


@dataclass
class ViewpointCard:
    iri: str
    definition: str
    holders: list[str]
    stance: str | None
    author_holds: bool
    pro: list[Reason] = field(default_factory=list)
    con: list[Reason] = field(default_factory=list)
    within: list[str] = field(default_factory=list)     # claims and causal links made within it


@dataclass
class Debate:
    sides: tuple[str, str]
    author: list[str]            # the author's verdict on the pair: the author's claims about both that
                                 # argue against something or carry the thesis
    others: list[str]            # what others say of the pair
    also: list[str] = field(default_factory=list)        # the author's other claims about both
    positions: list[str] = field(default_factory=list)   # the author's own viewpoint on it, if any


def _order(c: Catalog):
    first: dict[str, int] = {}
    for a in c.anchors:
        first.setdefault(a.node, a.start)
    return lambda iri: (first.get(iri, 10 ** 9), iri)


def thesis(s, c: Catalog) -> list[Point]:
    points: dict[str, Point] = {}
    for r in rows(s, THESIS_Q):
        p = points.get(r["point"].value)
        if p is None:
            try:
                rank = int(r["rank"].value)
            except ValueError:
                continue
            p = points[r["point"].value] = Point(r["point"].value, rank, r["label"].value,
                                                 r["statement"].value if "statement" in r else "", [])
        if "carrier" in r and r["carrier"].value not in p.carriers:
            p.carriers.append(r["carrier"].value)
    order = _order(c)
    for p in points.values():
        p.carriers.sort(key=order)
    return sorted(points.values(), key=lambda p: (p.rank, p.iri))


def viewpoints(s, c: Catalog) -> list[ViewpointCard]:
    from .model import AUTHOR
    cards: dict[str, ViewpointCard] = {}
    for r in rows(s, VIEWPOINTS_Q):
        v = r["viewpoint"].value
        card = cards.get(v)
        if card is None:
            card = cards[v] = ViewpointCard(v, r["definition"].value if "definition" in r else "", [],
                                            c.stance.get(v), False)
        if "holder" in r and r["holder"].value not in card.holders:
            card.holders.append(r["holder"].value)
    order = _order(c)
    within: dict[str, list[str]] = {}
    for n, vs in c.viewpoints_of.items():
        for v in vs:
            within.setdefault(v, []).append(n)
    for v, card in cards.items():
        card.holders.sort(key=lambda h: c.label(h).casefold())
        card.author_holds = AUTHOR in card.holders
        card.within = sorted(within.get(v, []), key=order)
        by_premise: dict[tuple[str, str], Reason] = {}
        for target in [v, *card.within]:
            for link in c.args_in.get(target, []):
                reason = by_premise.get((link.kind, link.premise))
                if reason is None:
                    reason = by_premise[(link.kind, link.premise)] = Reason(link.premise, False)
                    (card.pro if link.kind == "support" else card.con).append(reason)
                if target == v:
                    reason.direct = True
                elif target not in reason.on:
                    reason.on.append(target)
        for reasons in (card.pro, card.con):
            reasons.sort(key=lambda r: (not r.direct, order(r.premise)))
    return sorted(cards.values(), key=lambda card: order(card.iri))


def debates(s, c: Catalog) -> list[Debate]:
    from .model import AUTHOR
    out: dict[tuple[str, str], Debate] = {}
    for r in rows(s, DEBATES_Q):
        key = (r["a"].value, r["b"].value)
        d = out.setdefault(key, Debate(key, [], []))
        if "claim" in r:
            claim = r["claim"].value
            if c.voices.get(claim) != [AUTHOR]:
                d.others.append(claim)
            elif claim in c.carries or any(l.kind == "attack" for l in c.args_out.get(claim, [])):
                d.author.append(claim)
            else:
                d.also.append(claim)
    order = _order(c)
    for d in out.values():
        d.author.sort(key=order)
        d.others.sort(key=order)
        d.also.sort(key=order)
        d.sides = tuple(sorted(d.sides, key=order))
        # the author's viewpoint that carries the same thesis point as the author's verdict on the pair
        points = {p for claim in d.author for p in c.carries.get(claim, [])}
        d.positions = sorted({v for p in points for v in c.carried_by.get(p, [])
                              if "https://w3id.org/deepseek-kg/ontology#Viewpoint" in c.kind(v)}, key=order)
    return sorted(out.values(), key=lambda d: order(d.sides[0]))


def quote_of(c: Catalog, iri: str) -> tuple[str, str]:
    """(exact words, reader address) of a node's first anchor."""
    anchors = c.by_node.get(iri)
    if not anchors:
        return "", ""
    a = anchors[0]
    return a.exact or c.text[a.start:a.end], url_for("pages.reader") + "#t-" + a.key


@bp.route("/argument")
def argument():
    c, s = cat(), store()
    return render("argument.html", points=thesis(s, c), debates=debates(s, c), viewpoints=viewpoints(s, c),
                  quote_of=lambda iri: quote_of(c, iri), title=c.labels.get(ESSAY, "the essay"),
                  twins=sparql_twins(THESIS_Q))


__all__ = ["thesis", "viewpoints", "debates", "THESIS_Q", "VIEWPOINTS_Q", "DEBATES_Q"]
