"""Random changes to the essay's graph, valid and invalid, for the differential test of incremental
validation (tests/validation/test_incremental.py) and its long run (bench/validation.py).

Each change is what a curator's write does to the data: the quads it removes and adds. The kinds
cover what can make a shape's verdict move somewhere other than the node written to: deletions
(a triple, a whole node), type changes of nodes other than the focus (a claimant that stops being
an agent), changes to the ontology's class hierarchy, edits of quotes and offsets (valid: moved to
another span of the text consistently; invalid: one of them only), new nodes (complete or missing
parts), duplicate labels, mistyped literals, undeclared terms, links between existing nodes, and a
triple moved to another graph (the union does not change). :data:`SHAPE_VARIANTS` rewrite the
shapes: other targets, and extra shapes that use what the project's shapes do not (inverse,
alternative and zero-or-more paths, sh:closed, sh:lessThan, sh:equals, sh:xone, sh:not,
sh:qualifiedValueShape, a per-node SPARQL constraint, a SPARQL target, literals as focus nodes).
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

import pyoxigraph as ox

__all__ = ["Change", "ChangeMaker", "SHAPE_VARIANTS", "reduced", "exact", "variant_shapes", "differential"]

DSK = "https://w3id.org/deepseek-kg/ontology#"
DS = "https://w3id.org/deepseek-kg/id/"
OA = "http://www.w3.org/ns/oa#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
ESSAY_G = "https://w3id.org/deepseek-kg/graph/essay"
ONTOLOGY_G = "https://w3id.org/deepseek-kg/graph/ontology"
TYPE, LABEL = ox.NamedNode(RDF + "type"), ox.NamedNode(RDFS + "label")
N = ox.NamedNode


@dataclass
class Change:
    kind: str
    removed: list = field(default_factory=list)
    added: list = field(default_factory=list)


def exact(state: ox.Store, ch: Change) -> Change:
    """The change as a store makes it: quads read back from a store (pyoxigraph keeps numbers by
    value: "08"^^xsd:integer is stored as "8", an xsd:nonNegativeInteger as an xsd:integer), removals
    of quads that are there, additions of quads that are not."""
    scratch = ox.Store()
    scratch.extend(ch.added)
    added = [q for q in scratch if q not in state]
    removed = [q for q in dict.fromkeys(ch.removed) if q in state]
    both = set(added) & set(removed)
    return Change(ch.kind, [q for q in removed if q not in both], [q for q in added if q not in both])


def _lit(text, dt=None, lang=None):
    if lang:
        return ox.Literal(text, language=lang)
    return ox.Literal(text, datatype=N(dt)) if dt else ox.Literal(text)


class ChangeMaker:
    """Random changes to ``state`` (an ox.Store of data quads), from a seeded generator."""

    def __init__(self, state: ox.Store, seed: int):
        self.st, self.rng = state, random.Random(seed)
        self.n = 0
        text = next(iter(state.quads_for_pattern(None, N(DSK + "fullText"), None, None)), None)
        self.text = text.object.value if text else ""
        self.essay = text.subject if text else N(DS + "essay")
        self.kinds = [m[5:] for m in dir(self) if m.startswith("make_")]

    # -- helpers ----------------------------------------------------------------------------------------
    def quads(self, s=None, p=None, o=None):
        return list(self.st.quads_for_pattern(s, p, o, None))

    def pick(self, items):
        items = list(items)
        return self.rng.choice(items) if items else None

    def of_type(self, cls: str):
        return sorted({q.subject for q in self.quads(None, TYPE, N(cls))}, key=str)

    def classes(self):
        return sorted({q.object for q in self.quads(None, TYPE, None) if isinstance(q.object, ox.NamedNode)}, key=str)

    def fresh(self, what: str) -> ox.NamedNode:
        self.n += 1
        return N(f"{DS}test-{what}-{self.rng.randrange(1 << 30)}-{self.n}")

    def span(self):
        """A random span of the text: (start, end, exact)."""
        if len(self.text) < 20:
            return 0, 1, self.text[:1]
        start = self.rng.randrange(0, len(self.text) - 20)
        end = start + self.rng.randrange(5, 60)
        return start, end, self.text[start:end]

    def make(self) -> Change:
        for _ in range(20):
            kind = self.rng.choice(self.kinds)
            ch = getattr(self, "make_" + kind)()
            if ch is not None and (ch.removed or ch.added):
                ch.kind = kind
                return ch
        return Change("noop")

    # -- the kinds ---------------------------------------------------------------------------------------
    def make_delete_triple(self):
        q = self.pick(self.quads())
        return Change("", [q]) if q else None

    def make_delete_node(self):
        s = self.pick({q.subject for q in self.quads(None, TYPE, None)})
        if s is None:
            return None
        out = self.quads(s) + (self.quads(None, None, s) if self.rng.random() < 0.5 else [])
        return Change("", list(dict.fromkeys(out)))

    def make_retype(self):
        """A node changes type (often a node other than the focus of the shape that notices)."""
        q = self.pick(self.quads(None, TYPE, None))
        new = self.pick(self.classes())
        if q is None or new is None:
            return None
        return Change("", [q], [ox.Quad(q.subject, TYPE, new, q.graph_name)])

    def make_drop_type(self):
        q = self.pick(self.quads(None, TYPE, None))
        return Change("", [q]) if q else None

    def make_hierarchy(self):
        """rdfs:subClassOf changes in the ontology: every instance below moves in or out of classes."""
        sub = self.quads(None, N(RDFS + "subClassOf"), None)
        if sub and self.rng.random() < 0.5:
            return Change("", [self.pick(sub)])
        a, b = self.pick(self.classes()), self.pick(self.classes())
        if a is None or a == b:
            return None
        return Change("", [], [ox.Quad(a, N(RDFS + "subClassOf"), b, N(ONTOLOGY_G))])

    def make_edit_quote(self):
        q = self.pick(self.quads(None, N(OA + "exact"), None))
        if q is None:
            return None
        old = q.object.value
        new = old[:-1] if len(old) > 1 and self.rng.random() < 0.5 else old + "x"
        return Change("", [q], [ox.Quad(q.subject, q.predicate, _lit(new), q.graph_name)])

    def make_move_anchor(self):
        """An anchor moved to another span: both selectors consistently (valid) or the offsets only."""
        anchor = self.pick({q.object for q in self.quads(None, N(DSK + "anchor"), None)})
        if anchor is None:
            return None
        start, end, exact = self.span()
        removed, added = [], []
        consistent = self.rng.random() < 0.6
        for sel in [q.object for q in self.quads(anchor, N(OA + "hasSelector"), None)]:
            for q in self.quads(sel):
                if q.predicate.value in (OA + "start", OA + "end") or (consistent and q.predicate.value == OA + "exact"):
                    removed.append(q)
                    value = {OA + "start": _lit(str(start), XSD + "nonNegativeInteger"),
                             OA + "end": _lit(str(end), XSD + "nonNegativeInteger"),
                             OA + "exact": _lit(exact)}[q.predicate.value]
                    added.append(ox.Quad(q.subject, q.predicate, value, q.graph_name))
        return Change("", removed, added)

    def make_new_claim(self):
        """A new claim, anchored at a real span; some parts left out now and then."""
        c, a = self.fresh("claim"), ox.BlankNode()
        qs, ts = ox.BlankNode(), ox.BlankNode()
        start, end, exact = self.span()
        g = N(ESSAY_G)
        claimant = self.pick(self.of_type(DSK + "Person") + self.of_type(DSK + "Organization") + [N(DS + "author")])
        about = self.pick(self.of_type(SKOS + "Concept")) or N(DS + "deepseek")
        triples = [
            (c, TYPE, N(DSK + "Claim")), (c, LABEL, _lit(f"test claim {c.value[-12:]}", lang="en")),
            (c, N(DSK + "statement"), _lit("A statement made for the differential test.")),
            (c, N(DSK + "claimant"), claimant), (c, N(DSK + "about"), about),
            (c, N(DSK + "isDirectQuote"), _lit("false", XSD + "boolean")),
            (c, N(DSK + "authorStance"), N(DSK + self.rng.choice(["endorses", "rejects", "reports", "qualifies"]))),
            (c, N(DSK + "anchor"), a), (a, TYPE, N(OA + "SpecificResource")), (a, N(OA + "hasSource"), self.essay),
            (a, N(OA + "hasSelector"), qs), (qs, TYPE, N(OA + "TextQuoteSelector")), (qs, N(OA + "exact"), _lit(exact)),
            (a, N(OA + "hasSelector"), ts), (ts, TYPE, N(OA + "TextPositionSelector")),
            (ts, N(OA + "start"), _lit(str(start), XSD + "nonNegativeInteger")),
            (ts, N(OA + "end"), _lit(str(end), XSD + "nonNegativeInteger"))]
        if self.rng.random() < 0.4:
            del triples[self.rng.randrange(len(triples))]
        return Change("", [], [ox.Quad(s, p, o, g) for s, p, o in triples])

    def make_duplicate_label(self):
        a, b = self.pick(self.quads(None, LABEL, None)), self.pick(self.quads(None, LABEL, None))
        if a is None or b is None or a.subject == b.subject:
            return None
        return Change("", [a], [ox.Quad(a.subject, LABEL, b.object, a.graph_name)])

    def make_mistype_literal(self):
        q = self.pick([q for q in self.quads() if isinstance(q.object, ox.Literal)])
        if q is None:
            return None
        new = self.rng.choice([_lit(q.object.value), _lit("x"), _lit(q.object.value, lang="en"),
                               _lit("7", XSD + "integer"), _lit("2024", XSD + "gYear")])
        return Change("", [q], [ox.Quad(q.subject, q.predicate, new, q.graph_name)])

    def make_undeclared_term(self):
        s = self.pick({q.subject for q in self.quads(None, TYPE, None)})
        if s is None:
            return None
        p = N(DSK + self.rng.choice(["claimaint", "abuot", "statment"]))
        return Change("", [], [ox.Quad(s, p, _lit("typo"), N(ESSAY_G))])

    def make_link(self):
        """A triple between existing nodes, with a predicate already in use."""
        a, b = self.pick(self.quads()), self.pick(self.quads())
        if a is None or b is None or isinstance(a.subject, ox.Triple):
            return None
        return Change("", [], [ox.Quad(a.subject, b.predicate, b.object, N(ESSAY_G))])

    def make_unlink_actor(self):
        """Every link into an actor removed: it may end up unconnected."""
        agent = self.pick(self.of_type(DSK + "Person") + self.of_type(DSK + "Company") + self.of_type(DSK + "Group"))
        if agent is None:
            return None
        return Change("", [q for q in self.quads(None, None, agent) if q.predicate != TYPE])

    def make_other_graph(self):
        """A triple moved to, or repeated in, another graph: the union is unchanged (or not)."""
        q = self.pick(self.quads())
        if q is None:
            return None
        other = N(ONTOLOGY_G if q.graph_name == N(ESSAY_G) else ESSAY_G)
        moved = ox.Quad(q.subject, q.predicate, q.object, other)
        return Change("", [q] if self.rng.random() < 0.5 else [], [moved])

    def make_batch(self):
        """Several changes in one write."""
        out = Change("")
        for _ in range(self.rng.randrange(2, 5)):
            kind = self.rng.choice([k for k in self.kinds if k != "batch"])
            ch = getattr(self, "make_" + kind)()
            if ch is not None:
                seen = set(out.removed)
                out.removed += [q for q in ch.removed if q not in seen and q not in out.added]
                out.added += [q for q in ch.added if q not in out.added]
        removed = set(out.removed)
        out.added = [q for q in out.added if q not in removed]
        return out


def reduced(store: ox.Store, keep: float, seed: int) -> list:
    """The ontology, the stored text and about ``keep`` of the essay's described nodes with everything
    they hold (blank nodes reached from them): a smaller graph of the same shape, for quick runs."""
    rng = random.Random(seed)
    essay = N(ESSAY_G)
    out = [q for q in store.quads_for_pattern(None, None, None, None)
           if q.graph_name != essay or q.predicate.value == DSK + "fullText"
           or q.subject == N(DS + "essay") or q.subject == N(DS + "author")]
    subjects = sorted({q.subject for q in store.quads_for_pattern(None, None, None, essay)
                       if isinstance(q.subject, ox.NamedNode)}, key=str)
    kept = [s for s in subjects if rng.random() < keep]
    todo, seen = list(kept), set(kept)
    while todo:
        s = todo.pop()
        for q in store.quads_for_pattern(s, None, None, essay):
            out.append(q)
            if isinstance(q.object, ox.BlankNode) and q.object not in seen:
                seen.add(q.object)
                todo.append(q.object)
    return list(dict.fromkeys(out))


#: name -> Turtle appended to (or replacing parts of) the project's shapes; see the module docstring
EXTRA_SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix dsk: <https://w3id.org/deepseek-kg/ontology#> .
@prefix oa: <http://www.w3.org/ns/oa#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ex: <urn:x-test:shapes#> . @prefix ds: <https://w3id.org/deepseek-kg/id/> .
ex:Claimed a sh:NodeShape ; sh:targetClass dsk:Person ;
    sh:property [ sh:path [ sh:inversePath dsk:claimant ] ; sh:maxCount 6 ] .
ex:AgentsEither a sh:NodeShape ; sh:targetClass dsk:Claim ;
    sh:property [ sh:path [ sh:alternativePath ( dsk:claimant dsk:citedSource ) ] ; sh:class dsk:Agent ] .
ex:Schemes a sh:NodeShape ; sh:targetClass skos:Concept ;
    sh:property [ sh:path ( skos:inScheme [ sh:zeroOrMorePath skos:hasTopConcept ] ) ; sh:nodeKind sh:IRI ] .
ex:ClosedSelector a sh:NodeShape ; sh:targetClass oa:TextPositionSelector ; sh:closed true ;
    sh:ignoredProperties ( <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> ) ;
    sh:property [ sh:path oa:start ; sh:lessThan oa:end ] , [ sh:path oa:end ] .
ex:Stance a sh:NodeShape ; sh:targetSubjectsOf dsk:authorStance ;
    sh:xone ( [ sh:path dsk:authorStance ; sh:hasValue dsk:endorses ] [ sh:path dsk:authorStance ; sh:hasValue dsk:rejects ]
              [ sh:path dsk:authorStance ; sh:in ( dsk:reports dsk:qualifies ) ] ) ;
    sh:not [ sh:path dsk:statement ; sh:equals rdfs:label ] .
ex:EventParts a sh:NodeShape ; sh:targetClass dsk:Event ;
    sh:property [ sh:path dsk:participation ; sh:qualifiedValueShape [ sh:path dsk:role ; sh:minCount 1 ] ;
                  sh:qualifiedMinCount 1 ] .
ex:AnchorQuote a sh:NodeShape ; sh:targetObjectsOf dsk:anchor ;
    sh:sparql [ sh:message "anchor {$this} quotes nothing" ;
        sh:select "SELECT $this WHERE { $this <http://www.w3.org/ns/oa#hasSelector>/<http://www.w3.org/ns/oa#exact> ?e FILTER(STRLEN(?e) < 2) }" ] .
ex:Statements a sh:NodeShape ; sh:targetObjectsOf dsk:statement ;
    sh:datatype xsd:string ; sh:minLength 12 ; sh:not [ sh:pattern "^test" ] .
ex:Typed a sh:NodeShape ;
    sh:target [ a sh:SPARQLTarget ; sh:select "SELECT ?this WHERE { ?this <https://w3id.org/deepseek-kg/ontology#about> ?x . ?x a <http://www.w3.org/2004/02/skos/core#Concept> }" ] ;
    sh:property [ sh:path dsk:about ; sh:minCount 1 ; sh:class skos:Concept ] .
"""

#: variant name -> (Turtle to remove (SPARQL Update on the shapes), Turtle to add)
SHAPE_VARIANTS = {
    "project": ("", ""),
    "other-targets": ("""
        PREFIX sh: <http://www.w3.org/ns/shacl#> PREFIX dsks: <https://w3id.org/deepseek-kg/shapes#>
        PREFIX dsk: <https://w3id.org/deepseek-kg/ontology#> PREFIX oa: <http://www.w3.org/ns/oa#>
        DELETE DATA { dsks:ClaimShape sh:targetClass dsk:Claim . dsks:AgentShape sh:targetClass dsk:Agent .
                      dsks:AnchorShape sh:targetClass oa:SpecificResource .
                      dsks:QuoteAtOffsetsShape sh:targetSubjectsOf dsk:fullText } ;
        INSERT DATA { dsks:ClaimShape sh:targetSubjectsOf dsk:claimant . dsks:AgentShape sh:targetClass dsk:Person ;
                          sh:targetObjectsOf dsk:heldBy . dsks:QuoteAtOffsetsShape sh:targetNode <https://w3id.org/deepseek-kg/id/essay> .
                      dsks:EventShape sh:targetNode <https://w3id.org/deepseek-kg/id/deepseek> .
                      dsks:ParticipationShape sh:targetObjectsOf dsk:participation } """, ""),
    "extra-shapes": ("", EXTRA_SHAPES),
}


def variant_shapes(name: str, shapes_file=None):
    """The project's shapes rewritten as SHAPE_VARIANTS[name] says (one parsed graph: the reference and
    the incremental validator must share it, blank nodes and all)."""
    from kg.load import parse_file
    from kg.sources import SHAPES_FILE
    g = parse_file(shapes_file or SHAPES_FILE)
    remove, add = SHAPE_VARIANTS[name]
    if remove:
        g.update(remove)
    if add:
        g.parse(data=add, format="turtle")
    return g


def differential(quads: list, shapes, writes: int, seed: int, *, reference_every: int = 1, gate: bool = False) -> dict:
    """Random changes checked by an IncrementalValidator and by a full pySHACL validation of the data
    after each (every ``reference_every``-th change; the others are applied and checked later along
    with the next). Every third change is first tentatively checked and aborted (the validator must
    come back to where it was), every fifth reaches the validator as another process's change
    (``seen``) and is checked together with the next. ``gate``: as the shapes gate of writes does,
    keep only the changes after which the data conforms (the others are undone), and send none as
    another process's. Figures and every mismatch, as a dict."""
    import statistics
    import time
    from collections import Counter

    from kg.canonical import graph_from_quads
    from kg.incremental import IncrementalValidator, reference_results

    state = ox.Store()
    state.extend(quads)
    v = IncrementalValidator(shapes)
    t0 = time.perf_counter()
    start = v.reset(list(state))
    reset_s = time.perf_counter() - t0
    conforms, ref = reference_results(graph_from_quads(state), shapes)
    mismatches = []
    if (conforms, ref) != (start.conforms, start.results):
        mismatches.append({"at": "reset", "missing": len(ref - start.results), "extra": len(start.results - ref)})
    maker = ChangeMaker(state, seed)
    kinds, inc_ms, ref_ms, checked, verdicts = Counter(), [], [], [], Counter()
    for i in range(writes):
        ch = exact(state, maker.make())
        if i % 5 == 4 and not gate:  # another process made it: seen, then checked with the next change
            v.seen(ch.removed, ch.added)
            _apply(state, ch)
            kinds[ch.kind + " (seen)"] += 1
            continue
        if i % 3 == 2:
            before = v.current()
            v.prepare(ch.removed, ch.added)
            v.abort()
            if v.current() != before:
                mismatches.append({"at": i, "kind": ch.kind, "what": "abort did not restore the results"})
        t = time.perf_counter()
        verdict = v.prepare(ch.removed, ch.added)
        inc_ms.append((time.perf_counter() - t) * 1000)
        _apply(state, ch)
        kinds[ch.kind] += 1
        checked.append(verdict.checked)
        if i % reference_every == 0:
            t = time.perf_counter()
            conforms, ref = reference_results(graph_from_quads(state), shapes)
            ref_ms.append((time.perf_counter() - t) * 1000)
            verdicts["conforms" if conforms else "does not conform"] += 1
            if conforms != verdict.conforms or ref != verdict.results:
                mismatches.append({"at": i, "kind": ch.kind, "conforms": [conforms, verdict.conforms],
                                   "missing": [str(r) for r in ref - verdict.results][:5],
                                   "extra": [str(r) for r in verdict.results - ref][:5],
                                   "removed": [str(q) for q in ch.removed][:10],
                                   "added": [str(q) for q in ch.added][:10]})
        if gate and not verdict.conforms:  # refused: undone, in the data and in the validator
            _apply(state, Change(ch.kind, ch.added, ch.removed))
            v.abort()
            kinds["(refused)"] += 1
        else:
            v.commit()
    med = lambda xs: round(statistics.median(xs), 2) if xs else None  # noqa: E731
    return {"quads": len(quads), "writes": writes, "compared": len(ref_ms), "kinds": dict(kinds),
            "verdicts": dict(verdicts), "mismatches": mismatches, "reset_s": round(reset_s, 2),
            "incremental_ms_median": med(inc_ms), "incremental_ms_max": round(max(inc_ms), 1) if inc_ms else None,
            "reference_ms_median": med(ref_ms), "checked_median": med(checked), "start_results": len(ref)}


def _apply(state: ox.Store, ch: Change) -> None:
    for q in ch.removed:
        state.remove(q)
    state.extend(ch.added)
