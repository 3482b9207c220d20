"""The annotated essay: every anchored span highlighted; each span links to a section that lists
the nodes it supports (works without JavaScript; reader.js shows the same list beside the text).

Addresses: paragraph N is ``/essay#pN``; the span from code point S to E is ``/essay#a-S-E``
(its section) and ``/essay#t-a-S-E`` (where it starts in the text). Both depend only on the stored
text and the anchors' offsets, so they are stable across reloads and data edits elsewhere.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import request

from ..state import current_state
from .base import bp, cat, render
from .model import ESSAY, Anchor, Catalog
from .voices import segment_classes

#: what the reader can highlight: (mode, key, label), each key a class ``show-KEY`` on the essay
TOGGLES = {
    "voice": [("rejects", "Others' words the author rejects"), ("qualifies", "Others' words the author accepts in part"),
              ("reports", "Others' words the author reports"), ("endorses", "Others' words the author agrees with"),
              ("author", "The author's own claims"), ("thesis", "The thesis")],
    "kind": [("claim", "Claims"), ("event", "Events"), ("causal", "Causal links"), ("argument", "Reasons for and against"),
             ("viewpoint", "Viewpoints"), ("thesis", "The thesis")],
}
DEFAULT_SHOWN = {"voice": {"rejects", "qualifies", "reports", "endorses", "thesis"},
                 "kind": {"claim", "event", "causal", "argument", "viewpoint", "thesis"}}
MODES = {"voice": "Who says what", "kind": "What kind of statement"}


@dataclass
class Segment:
    text: str
    target: str | None = None            # key of the shortest span covering it
    spans: list[str] = field(default_factory=list)   # keys of all spans covering it
    starts: list[str] = field(default_factory=list)  # keys of spans starting here
    classes: list[str] = field(default_factory=list)  # what covers it: kinds, voices, stance (voices.py)


@dataclass
class Paragraph:
    number: int
    heading: bool
    segments: list[Segment]


@dataclass
class SpanInfo:
    key: str
    start: int
    end: int
    text: str
    paragraph: int
    nodes: list[str]


def build_reader(c: Catalog) -> tuple[list[Paragraph], list[SpanInfo]]:
    spans: dict[str, SpanInfo] = {}
    paras = []
    anchors = c.anchors
    for i, p in enumerate(c.paragraphs):
        here = [a for a in anchors if a.start < p.end and a.end > p.start]
        cuts = sorted({p.start, p.end} | {max(p.start, a.start) for a in here} | {min(p.end, a.end) for a in here})
        segs = []
        for lo, hi in zip(cuts, cuts[1:]):
            cover = [a for a in here if a.start <= lo and a.end >= hi]
            keys = sorted({a.key for a in cover}, key=lambda k: (_len(k), k))
            seg = Segment(c.text[lo:hi], keys[0] if keys else None, keys,
                          sorted({a.key for a in here if a.start == lo}),
                          segment_classes(c, sorted({a.node for a in cover})))
            segs.append(seg)
        for a in here:
            info = spans.get(a.key)
            if info is None:
                info = spans[a.key] = SpanInfo(a.key, a.start, a.end, c.text[a.start:a.end], i + 1, [])
            if a.node not in info.nodes:
                info.nodes.append(a.node)
        heading = len(p.text) < 120 and not p.text.rstrip().endswith((".", "?", "!", "”", "’", ":", '"'))
        paras.append(Paragraph(i + 1, heading, segs))
    return paras, sorted(spans.values(), key=lambda s: (s.start, s.end))


def _len(key: str) -> int:
    _, s, e = key.split("-")
    return int(e) - int(s)


def reader_model() -> tuple[list[Paragraph], list[SpanInfo]]:
    """The essay's paragraphs and spans, built once per data version (a curated write renews it)."""
    return current_state().memo("reader", lambda state: build_reader(cat()))


def highlight_choice(args) -> tuple[str, set[str]]:
    """The mode and the shown keys asked for by the (no-JavaScript) form; defaults otherwise."""
    mode = args.get("mode", "voice")
    mode = mode if mode in MODES else "voice"
    known = {k for k, _ in TOGGLES[mode]}
    if args.get("set"):
        return mode, {k for k in args.getlist("show") if k in known}
    return mode, set(DEFAULT_SHOWN[mode])


@bp.route("/essay")
def reader():
    from .resolve import twins
    paras, spans = reader_model()
    mode, shown = highlight_choice(request.args)
    return render("reader.html", paragraphs=paras, spans=spans, anchors=len(cat().anchors),
                  mode=mode, shown=shown, toggles=TOGGLES, modes=MODES,
                  twins=twins("essay") if ESSAY in cat().subjects else [])


__all__ = ["build_reader", "Segment", "Paragraph", "SpanInfo", "Anchor", "TOGGLES", "highlight_choice"]
