"""Index pages: home, actors by kind, claims (filter by claimant and stance), events on a
timeline, causal assertions, concepts, and the dataset page."""
from __future__ import annotations

from flask import request, url_for

from ...namespaces import DS, DSK
from ..state import current_state
from .base import bp, cat, render, store
from .model import _PREFIX_LINES, AUTHOR, ESSAY, PROVENANCE, format_literal, rows

ACTOR_CLASSES = ["Person", "Company", "InvestmentFund", "MediaOutlet", "GovernmentBody",
                 "AcademicInstitution", "Organization", "State", "Group"]
STANCES = ["endorses", "rejects", "reports", "qualifies"]
COUNTED = [("Claim", "claims", "pages.claims"), ("Event", "events", "pages.events"),
           ("CausalAssertion", "causal assertions", "pages.causal"),
           ("Support", "supporting arguments", None), ("Attack", "attacking arguments", None),
           ("Viewpoint", "viewpoints", None)]


def sparql_twins(query: str) -> list[tuple[str, str, str]]:
    """The SPARQL answers an index page is built from, as its machine-readable twins."""
    q = _PREFIX_LINES + query
    return [(url_for("sparql.sparql", query=q, format=f), t, f) for f, t in
            (("json", "application/sparql-results+json"), ("csv", "text/csv"))]


def _first_anchor(iri: str) -> int:
    anchors = cat().by_node.get(iri)
    return anchors[0].start if anchors else 10 ** 9


def _excerpt(iri: str, n: int = 160) -> str:
    anchors = cat().by_node.get(iri)
    if not anchors:
        return ""
    t = anchors[0].exact or cat().text[anchors[0].start:anchors[0].end]
    return t if len(t) <= n else t[: n - 1].rstrip() + "…"


def _counts() -> list[tuple[str, int, str | None]]:
    c = cat()
    out = []
    for cls, name, endpoint in COUNTED:
        iri = str(DSK) + cls
        n = sum(1 for ts in c.types.values() if iri in ts)
        out.append((name, n, endpoint))
    actors = sum(1 for ts in c.types.values() if any(str(DSK) + a in ts for a in ACTOR_CLASSES))
    concepts = len(_concept_rows())
    return out + [("actors", actors, "pages.actors"), ("concepts", concepts, "pages.concepts")]


@bp.route("/")
def home():
    c = cat()
    return render("home.html", twins=[(url_for("sparql.sparql", format="turtle"), "text/turtle", "service description")], counts=_counts(), anchors=len(c.anchors),
                  paragraphs=len(c.paragraphs), title=c.labels.get(ESSAY, "the essay"))


@bp.route("/actors")
def actors():
    c = cat()
    groups = []
    claimed = {}
    for r in rows(store(), "SELECT ?a (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c dsk:claimant ?a } GROUP BY ?a"):
        claimed[r["a"].value] = int(r["n"].value)
    placed: set[str] = set()
    for cls in ACTOR_CLASSES:
        iri = str(DSK) + cls
        members = sorted((s for s, ts in c.types.items() if iri in ts and s not in placed),
                         key=lambda s: c.label(s).casefold())
        placed.update(members)
        if members:
            groups.append((cls, c.label(iri), members))
    return render("actors.html", groups=groups, claimed=claimed, twins=sparql_twins(ACTORS_Q))


@bp.route("/claims")
def claims():
    c = cat()
    data = rows(store(), CLAIMS_Q)
    claims_: dict[str, dict] = {}
    for r in data:
        row = claims_.setdefault(r["c"].value, {"iri": r["c"].value, "claimants": [], "stance": None,
                                                 "direct": False, "statement": ""})
        if "claimant" in r and r["claimant"].value not in row["claimants"]:
            row["claimants"].append(r["claimant"].value)
        if "stance" in r:
            row["stance"] = r["stance"].value
        if "direct" in r:
            row["direct"] = r["direct"].value in ("true", "1")
        if "statement" in r:
            row["statement"] = r["statement"].value
    all_claimants = sorted({a for row in claims_.values() for a in row["claimants"]},
                           key=lambda a: c.label(a).casefold())
    want_claimant = request.args.get("claimant", "")
    want_stance = request.args.get("stance", "")
    want_voice = request.args.get("voice", "")
    want_voice = want_voice if want_voice in VOICES else ""
    for row in claims_.values():
        row["others"] = any(a != AUTHOR for a in row["claimants"])
        row["stance_name"] = (row["stance"] or "").rsplit("#", 1)[-1]

    def keep(row, skip=""):
        return ((skip == "claimant" or not want_claimant or want_claimant in row["claimants"]
                 or str(DS) + want_claimant in row["claimants"])
                and (skip == "stance" or not want_stance or row["stance_name"] == want_stance)
                and (skip == "voice" or not want_voice or row["others"] == (want_voice == "others")))

    # facet counts (datasette-style): each facet counted over the rows the other filters keep
    facet_voice = [(v, name, sum(1 for r in claims_.values() if keep(r, "voice") and r["others"] == (v == "others")))
                   for v, name in VOICES.items()]
    facet_stance = [(st, sum(1 for r in claims_.values() if keep(r, "stance") and r["stance_name"] == st))
                    for st in STANCES]
    claimant_counts: dict[str, int] = {}
    for r in claims_.values():
        if keep(r, "claimant"):
            for a in r["claimants"]:
                claimant_counts[a] = claimant_counts.get(a, 0) + 1
    facet_claimant = sorted(claimant_counts.items(), key=lambda kv: (-kv[1], c.label(kv[0]).casefold()))
    shown = [row for row in claims_.values() if keep(row)]
    sort, reverse = sort_choice(CLAIM_SORTS)
    for row in shown:
        row["quote"] = _excerpt(row["iri"])
    shown.sort(key=lambda row: (_first_anchor(row["iri"]), row["iri"]))
    shown.sort(key=CLAIM_SORTS[sort](c), reverse=reverse)
    return render("claims.html", claims=shown, total=len(claims_), claimants=all_claimants,
                  stances=STANCES, want_claimant=want_claimant, want_stance=want_stance, want_voice=want_voice,
                  voices=VOICES, facet_voice=facet_voice, facet_stance=facet_stance,
                  facet_claimant=facet_claimant, sort=sort, reverse=reverse, sorts=CLAIM_SORTS,
                  twins=sparql_twins(CLAIMS_Q))


VOICES = {"others": "Others' voices", "author": "The author's own"}

#: sortable columns: name -> (catalog -> row key); rows are first put in essay order, so ties keep it
CLAIM_SORTS = {
    "essay": lambda c: lambda row: _first_anchor(row["iri"]),
    "claim": lambda c: lambda row: c.label(row["iri"]).casefold(),
    "claimant": lambda c: lambda row: c.label(row["claimants"][0]).casefold() if row["claimants"] else "",
    "stance": lambda c: lambda row: STANCES.index(row["stance_name"]) if row["stance_name"] in STANCES else 9,
}
CAUSAL_SORTS = {
    "essay": lambda c: lambda row: _first_anchor(row["iri"]),
    "cause": lambda c: lambda row: c.label(row.get("cause", "")).casefold(),
    "effect": lambda c: lambda row: c.label(row.get("effect", "")).casefold(),
    "by": lambda c: lambda row: c.label(row.get("by", "")).casefold(),
    "modality": lambda c: lambda row: c.label(row.get("modality", "")).casefold(),
    "polarity": lambda c: lambda row: c.label(row.get("polarity", "")).casefold(),
}
EVENT_SORTS = {
    "date": lambda c: lambda e: (e["sort"] is None, e["sort"] or ""),
    "essay": lambda c: lambda e: _first_anchor(e["iri"]),
    "event": lambda c: lambda e: c.label(e["iri"]).casefold(),
}


def sort_choice(sorts: dict) -> tuple[str, bool]:
    """``?sort=name`` or ``?sort=-name`` (descending) among ``sorts``; the first is the default."""
    given = request.args.get("sort", "")
    name = given.lstrip("-")
    if name not in sorts:
        return next(iter(sorts)), False
    return name, given.startswith("-")


@bp.route("/events")
def events():
    data = rows(store(), EVENTS_Q)
    evs: dict[str, dict] = {}
    for r in data:
        ev = evs.setdefault(r["e"].value, {"iri": r["e"].value, "at": None, "from": None, "to": None,
                                           "text": [], "sort": None, "mark": ""})
        if "mark" in r:   # a date the essay does not state: derived, or outside knowledge
            ev["mark"] = PROVENANCE.get(r["mark"].value, "")
        if "d" in r:
            shown = r["d"].value + "s" if "unit" in r and r["unit"].value == str(DSK.unitDecade) \
                else format_literal(r["d"])
            ev[r["part"].value] = shown
            if ev["sort"] is None or (r["part"].value in ("at", "from")):
                ev["sort"] = r["d"].value
        if "dt" in r and r["dt"].value not in ev["text"]:
            ev["text"].append(r["dt"].value)
    for ev in evs.values():
        ev["date"] = ev["at"] or " ".join(x for x in (ev["from"] and "from " + ev["from"],
                                                      ev["to"] and "to " + ev["to"]) if x)
        ev["quote"] = _excerpt(ev["iri"])
    dated = sorted((e for e in evs.values() if e["sort"]), key=lambda e: (e["sort"], _first_anchor(e["iri"])))
    undated = sorted((e for e in evs.values() if not e["sort"]), key=lambda e: _first_anchor(e["iri"]))
    sort, reverse = sort_choice(EVENT_SORTS)
    if sort != "date" or reverse:      # one list in the order asked for (dated or not)
        every = sorted(dated + undated, key=lambda e: _first_anchor(e["iri"]))
        every.sort(key=EVENT_SORTS[sort](cat()), reverse=reverse)
        dated, undated = every, []
    return render("events.html", dated=dated, undated=undated, sort=sort, reverse=reverse,
                  sorts=list(EVENT_SORTS), twins=sparql_twins(EVENTS_Q))


@bp.route("/causal")
def causal():
    data = rows(store(), CAUSAL_Q)
    out: dict[str, dict] = {}
    for r in data:
        row = out.setdefault(r["c"].value, {"iri": r["c"].value})
        for k in ("cause", "effect", "polarity", "by", "modality", "stance", "viewpoint"):
            if k in r:
                row[k] = r[k].value
    shown = sorted(out.values(), key=lambda row: (_first_anchor(row["iri"]), row["iri"]))
    sort, reverse = sort_choice(CAUSAL_SORTS)
    shown.sort(key=CAUSAL_SORTS[sort](cat()), reverse=reverse)
    for row in shown:
        row["quote"] = _excerpt(row["iri"])
    return render("causal.html", rows=shown, sort=sort, reverse=reverse, twins=sparql_twins(CAUSAL_Q))


def _concept_rows():
    return rows(store(), CONCEPTS_Q)


CONCEPTS_Q = f"""SELECT DISTINCT ?c ?scheme ?def WHERE {{
        ?c skos:inScheme ?scheme . FILTER(isIRI(?c))
        FILTER(STRSTARTS(STR(?c), "{DS}"))
        OPTIONAL {{ ?c skos:definition ?def }} }}"""


@bp.route("/concepts")
def concepts():
    c = cat()
    schemes: dict[str, dict[str, str]] = {}
    for r in _concept_rows():
        schemes.setdefault(r["scheme"].value, {})[r["c"].value] = r["def"].value if "def" in r else ""
    groups = sorted(((s, sorted(items.items(), key=lambda kv: c.label(kv[0]).casefold()))
                     for s, items in schemes.items()),
                    key=lambda g: (g[0] != str(DS.concepts), c.label(g[0]).casefold()))
    return render("concepts.html", groups=groups, twins=sparql_twins(CONCEPTS_Q))


@bp.route("/dataset")
def dataset():
    s = store()
    info = rows(s, f"""SELECT ?p ?o WHERE {{ <{DS.dataset}> ?p ?o }}""")
    props: dict[str, list] = {}
    for r in info:
        props.setdefault(r["p"].value, []).append(r["o"])
    graphs = [(g, s.triple_count(g)) for g in s.named_graphs()]
    from ..dumps import cache, catalog
    dumps = catalog(cache())
    from .resolve import twins
    return render("dataset.html", twins=twins("dataset") if props else [], props=props, graphs=graphs, dumps=dumps, counts=_counts(),
                  quads=current_state().quads, dataset=str(DS.dataset))


__all__ = ["ACTOR_CLASSES"]

CLAIMS_Q = """SELECT ?c ?claimant ?stance ?direct ?statement WHERE {
        ?c a dsk:Claim . OPTIONAL { ?c dsk:claimant ?claimant } OPTIONAL { ?c dsk:authorStance ?stance }
        OPTIONAL { ?c dsk:isDirectQuote ?direct } OPTIONAL { ?c dsk:statement ?statement } }"""

EVENTS_Q = """SELECT ?e ?part ?d ?unit ?dt ?mark WHERE {
        ?e a dsk:Event .
        OPTIONAL {
          { ?e dsk:when ?i . BIND("at" AS ?part) }
          UNION { ?e dsk:when/time:hasBeginning ?i . BIND("from" AS ?part) }
          UNION { ?e dsk:when/time:hasEnd ?i . BIND("to" AS ?part) }
          OPTIONAL { ?i time:inXSDgYear|time:inXSDgYearMonth|time:inXSDDate ?d }
          OPTIONAL { ?i time:unitType ?unit }
          OPTIONAL { ?i dsk:dateText ?dt }
          OPTIONAL { ?i a ?mark FILTER(?mark IN (dsk:DerivedValue, dsk:OutsideKnowledge)) } } }"""

CAUSAL_Q = """SELECT ?c ?cause ?effect ?polarity ?by ?modality ?stance ?viewpoint WHERE {
        ?c a dsk:CausalAssertion . OPTIONAL { ?c dsk:cause ?cause } OPTIONAL { ?c dsk:effect ?effect }
        OPTIONAL { ?c dsk:polarity ?polarity } OPTIONAL { ?c dsk:assertedBy ?by }
        OPTIONAL { ?c dsk:modality ?modality } OPTIONAL { ?c dsk:authorStance ?stance }
        OPTIONAL { ?c dsk:viewpoint ?viewpoint } }"""

ACTORS_Q = """SELECT ?actor ?kind ?label WHERE {
        ?actor a ?kind ; rdfs:label ?label . FILTER(STRSTARTS(STR(?kind), STR(dsk:)))
        VALUES ?kind { """ + " ".join(f"dsk:{c}" for c in ACTOR_CLASSES) + """ } } ORDER BY ?kind ?label"""
