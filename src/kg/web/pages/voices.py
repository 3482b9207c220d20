"""Who says what, in a reader's words: the kind of a node, who voices it, the author's stance, what
supports and what counters it, and whether it carries the thesis. Read from the catalog (built by
SPARQL in model.py); shared by the reader, the argument page and the resource pages."""
from __future__ import annotations

from dataclasses import dataclass, field

from ...namespaces import DSK
from .model import AUTHOR, ArgLink, Catalog

#: (ontology class, CSS key, reader's name), most specific first: a node takes the first that fits
KINDS = [("ThesisPoint", "thesis", "thesis point"), ("Viewpoint", "viewpoint", "viewpoint"),
         ("Support", "argument", "reason for"), ("Attack", "argument", "reason against"),
         ("CausalAssertion", "causal", "causal link"), ("Claim", "claim", "claim"),
         ("Event", "event", "event"), ("PullQuote", "pullquote", "pull quote")]
STANCES = ["rejects", "qualifies", "reports", "endorses"]       # strongest disagreement first
#: the author's stance, said to a reader
STANCE_PHRASE = {"endorses": "the author agrees", "rejects": "the author rejects it",
                 "reports": "the author reports it without taking a side",
                 "qualifies": "the author agrees only in part"}
STANCE_SHORT = {"endorses": "agrees", "rejects": "rejects", "reports": "reports", "qualifies": "agrees in part"}


def kind(cat: Catalog, iri: str) -> tuple[str, str]:
    """(CSS key, reader's name) of a node's kind; ("other", first type label) when none fits."""
    types = cat.kind(iri)
    for cls, key, name in KINDS:
        if str(DSK) + cls in types:
            return key, name
    return "other", (cat.label(types[0]) if types else "")


def others(cat: Catalog, iri: str) -> bool:
    """Whether someone other than the author voices the node (claimant, asserter, holder, arguer)."""
    return any(w != AUTHOR for w in cat.voices.get(iri, ()))


@dataclass
class NodeView:
    iri: str
    kind: str
    kind_name: str
    who: list[str]
    others: bool
    stance: str | None
    direct: bool
    support: list[ArgLink] = field(default_factory=list)     # reasons given for it
    attack: list[ArgLink] = field(default_factory=list)      # reasons given against it
    supports: list[ArgLink] = field(default_factory=list)    # what it is a reason for
    counters: list[ArgLink] = field(default_factory=list)    # what it is a reason against
    thesis: list[tuple[int, str]] = field(default_factory=list)   # thesis points it carries
    viewpoints: list[str] = field(default_factory=list)
    argument: ArgLink | None = None                          # for a support/attack: itself

    @property
    def stance_phrase(self) -> str:
        return STANCE_PHRASE.get(self.stance or "", "")

    @property
    def stance_short(self) -> str:
        return STANCE_SHORT.get(self.stance or "", "")


def view(cat: Catalog, iri: str) -> NodeView:
    key, name = kind(cat, iri)
    ins, outs = cat.args_in.get(iri, []), cat.args_out.get(iri, [])
    rank = dict((p, n) for n, p in cat.thesis)
    own = None
    if key == "argument":
        own = next((l for links in cat.args_out.values() for l in links if l.arg == iri), None)
    return NodeView(iri, key, name, cat.voices.get(iri, []), others(cat, iri), cat.stance.get(iri),
                    iri in cat.direct,
                    support=[l for l in ins if l.kind == "support"], attack=[l for l in ins if l.kind == "attack"],
                    supports=[l for l in outs if l.kind == "support"], counters=[l for l in outs if l.kind == "attack"],
                    thesis=[(rank.get(p, 0), p) for p in cat.carries.get(iri, [])],
                    viewpoints=cat.viewpoints_of.get(iri, []), argument=own)


def segment_classes(cat: Catalog, nodes: list[str]) -> list[str]:
    """CSS classes for a stretch of text covered by ``nodes``: kinds, whose voice, the stance toward others."""
    classes: set[str] = set()
    stances = set()
    for n in nodes:
        key, _ = kind(cat, n)
        classes.add("k-" + key)
        if others(cat, n):
            classes.add("v-other")
            if n in cat.stance:
                stances.add(cat.stance[n])
        elif key in ("claim", "causal", "viewpoint"):
            classes.add("v-author")
    for s in STANCES:
        if s in stances:
            classes.add("s-" + s)
            break
    return sorted(classes)


@dataclass
class Section:
    """A people-first section of a resource page: a heading and the nodes under it, essay order."""
    key: str
    title: str
    nodes: list[str]
    limit: int = 40

    @property
    def shown(self) -> list[str]:
        return self.nodes[:self.limit]

    @property
    def more(self) -> int:
        return max(0, len(self.nodes) - self.limit)


#: (key, heading with {name}, SPARQL pattern binding ?n from <IRI>); headings speak of the resource by name
SECTIONS = [
    ("says", "What {name} says", "?n dsk:claimant|dsk:assertedBy|dsk:arguedBy <{iri}>"),
    ("holds", "Views {name} holds", "?n dsk:heldBy <{iri}>"),
    ("about", "What the essay says about {name}",
     "{{ ?n dsk:about <{iri}> }} UNION {{ ?n dsk:cause <{iri}> }} UNION {{ ?n dsk:effect <{iri}> }}"),
    ("events", "Events {name} takes part in", "?n dsk:participation/dsk:participant <{iri}>"),
    ("within", "What is said within this view", "?n dsk:viewpoint <{iri}>"),
]


def sections(store, cat: Catalog, iri: str) -> list[Section]:
    """The people-first sections of ``iri``'s page that have something in them."""
    from .model import rows
    first: dict[str, int] = {}
    for a in cat.anchors:
        first.setdefault(a.node, a.start)
    name = cat.label(iri)
    out = []
    for key, title, pattern in SECTIONS:
        found = {r["n"].value for r in rows(store, f"SELECT DISTINCT ?n WHERE {{ {pattern.format(iri=iri)} FILTER(isIRI(?n)) }}")}
        if key == "about":     # what it says itself is listed above
            found -= {n for n in found if iri in cat.voices.get(n, ())}
        if found:
            out.append(Section(key, title.format(name=name),
                               sorted(found, key=lambda n: (first.get(n, 10 ** 9), n))))
    return out


__all__ = ["Section", "sections", "KINDS", "STANCES", "STANCE_PHRASE", "NodeView", "view", "kind", "others", "segment_classes"]
