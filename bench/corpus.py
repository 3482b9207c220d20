"""A corpus of synthetic essays shaped like the real one, for benchmarks at 100k-10M triples.

    python bench/corpus.py 1000000            # -> bench/.corpus/corpus-1000000.nq (+ .json), cached
    python bench/corpus.py 2 --essays --out /tmp/two.nq   # exactly 2 essays

Each essay lives in its own named graph (``https://w3id.org/deepseek-kg/graph/synthetic/N``) and
is built like data/source.ttl + data/deepseek.ttl, with the same classes, properties and shapes:

- a ``dsk:Document`` (``…/id/synthetic/N/essay``) with its own stored text (``dsk:fullText``), a
  title, an anonymous author (``…/N/author``);
- actors: a shared pool of people, companies, states, outlets, groups and government bodies
  (``…/id/synthetic/actor/K``, picked with a Zipf-like popularity so that a few appear in many
  essays), plus one anonymous person per essay; every actor an essay uses is described (type,
  label) inside that essay's graph, so each graph stands alone, as the real essay's does;
- concepts, event types, roles and measures from shared SKOS schemes (``…/id/synthetic/concept/K``
  etc.), likewise described in each graph that uses them;
- two opposing viewpoints and a thesis claim in the opening; per paragraph an event (type, date
  as a ``time:Instant`` of year, month or day precision or a ``time:ProperInterval``,
  participations with roles, often a quantity), the author's claim about it, a direct quote by
  another actor (between “ ”, sometimes with a cited outlet and a viewpoint), the author's
  causal assertion between two concepts with the claim it is part of, a causal assertion
  between this event and the previous one, and a support or attack relation; one pull quote;
- every claim, event, causal assertion, argument relation, viewpoint and pull quote is anchored
  to the exact words of the text: an ``oa:SpecificResource`` with a ``TextQuoteSelector``
  (``oa:exact``) and a ``TextPositionSelector`` (``oa:start``/``oa:end``, 0-based code points,
  end exclusive). The text contains non-ASCII punctuation (’ “ ” —), so offsets are code points,
  not bytes.

``tests/test_bench_corpus.py`` proves that each generated essay validates with
``kg.validate.validate`` (ontology + essay graph) and that every quote is the text at its offsets.

Output is streamed N-Quads, deterministic for a given size and seed, written to
``bench/.corpus/`` (gitignored) with a JSON manifest of what each essay contains (the benchmark
picks its query parameters from it). A corpus already there with the same size, seed and
generator version is reused.
"""
from __future__ import annotations

import argparse
import bisect
import itertools
import json
import os
import random
import sys
import time
from pathlib import Path

VERSION = 1  # bump when the output changes, so cached corpora are rebuilt
ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(__file__).resolve().parent / ".corpus"

B = "https://w3id.org/deepseek-kg/"
DSK = B + "ontology#"
SYN = B + "id/synthetic/"
GRAPH = B + "graph/synthetic/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
OA = "http://www.w3.org/ns/oa#"
TIME = "http://www.w3.org/2006/time#"
DCT = "http://purl.org/dc/terms/"

# predicates and classes, pre-wrapped in <>
A = f"<{RDF}type>"
LABEL = f"<{RDFS}label>"
P = {name: f"<{DSK}{name}>" for name in (
    "fullText about claimant statement isDirectQuote authorStance anchor viewpoint citedSource modality "
    "eventType when participation participant role quantity value unit comparator measures dateText "
    "cause effect polarity assertedBy partOfClaim premise conclusion arguedBy heldBy opposes repeats "
    "anonymous description subtitle concept valueText publicationDate").split()}
C = {name: f"<{DSK}{name}>" for name in (
    "Document Claim Event Participation Quantity CausalAssertion Support Attack Viewpoint PullQuote "
    "Person Company State MediaOutlet Group GovernmentBody OutsideKnowledge "
    "endorses rejects reports qualifies promotes inhibits asserted hedged attributed perceived "
    "exactly approximately lessThan moreThan atLeast atMost percent usDollar count hoursPerWeek year").split()}
SPECIFIC, TQS, TPS = f"<{OA}SpecificResource>", f"<{OA}TextQuoteSelector>", f"<{OA}TextPositionSelector>"
HAS_SOURCE, HAS_SELECTOR, EXACT, START, END = (f"<{OA}{x}>" for x in ("hasSource", "hasSelector", "exact", "start", "end"))
INSTANT, INTERVAL = f"<{TIME}Instant>", f"<{TIME}ProperInterval>"
T_YEAR, T_YM, T_DATE, UNIT_TYPE = (f"<{TIME}{x}>" for x in ("inXSDgYear", "inXSDgYearMonth", "inXSDDate", "unitType"))
U_YEAR, U_MONTH, U_DAY = (f"<{TIME}{x}>" for x in ("unitYear", "unitMonth", "unitDay"))
HAS_BEGINNING, HAS_END = f"<{TIME}hasBeginning>", f"<{TIME}hasEnd>"
CONCEPT, SCHEME, IN_SCHEME, DEFINITION = f"<{SKOS}Concept>", f"<{SKOS}ConceptScheme>", f"<{SKOS}inScheme>", f"<{SKOS}definition>"
TITLE, CREATOR, SOURCE = f"<{DCT}title>", f"<{DCT}creator>", f"<{DCT}source>"
TRUE, FALSE = f'"true"^^<{XSD}boolean>', f'"false"^^<{XSD}boolean>'

# --- shared vocabulary -------------------------------------------------------------------------
FIRST = ("Mei Arjun Lena Tomás Aiko Kwame Sofia Dmitri Yara Ravi Ingrid Omar Chen Lucía Hamid Nora "
         "Jonas Amara Felix Zhou Priya Mateo Elif Hana Samuel Leila Viktor Ana Kenji Zara").split()
LAST = ("Lin Okafor Novak Haddad Sato Moreau Kowalski Duarte Nakamura Osei Bergström Petrov Alvarez "
        "Wang Rahman Fischer Costa Ibrahim Lindqvist Tanaka Mensah Rossi Kaur Silva Yilmaz Park").split()
SYLL = ("Nova Orbit Quanta Helix Vertex Lumen Cobalt Zenith Aster Sigma Nimbus Pylon Tessera Arbor "
        "Cinder Delta Ember Fathom Glyph Harbor Ion Jasper Kestrel Lattice").split()
ORG_KIND = ("Labs", "Systems", "Robotics", "Semiconductor", "Cloud", "Capital", "Analytics", "Dynamics")
STATES = ("Freedonia Genovia Elbonia Latveria Sokovia Wakanda Zubrowka Borduria Syldavia Ruritania "
          "Grand Fenwick Qumar Krakozhia Markovia Kasnia Orsinia Carpania Moldavia Nordlund Veridia").split(" ")
OUTLET = ("Review", "Dispatch", "Ledger", "Monitor", "Courier", "Observer", "Gazette", "Bulletin")
GROUPS = ("engineers", "investors", "regulators", "commentators", "founders", "analysts", "workers", "officials")
GROUP_OF = ("Nova", "Orbit", "Quanta", "Helix", "Vertex", "Lumen", "Cobalt", "Zenith", "western", "eastern", "young", "senior")
N_ACTORS = 2000
CONCEPT_WORDS = ("open weights|export controls|patient capital|flat management|state subsidy|talent pipeline|"
                 "chip supply|compute cost|model distillation|overtime culture|venture funding|research autonomy|"
                 "market saturation|price war|technology transfer|indigenous innovation|industrial policy|"
                 "academic collaboration|performance ranking|data centres|energy demand|benchmark gaming|"
                 "reasoning models|inference cost|open-source licensing|talent mobility|content censorship|"
                 "platform regulation|labour protection|trade sanctions").split("|")
CONCEPT_MOD = ("", "long-term ", "cross-border ", "regional ", "corporate ", "public ", "private ", "rapid ", "fragile ", "global ")
N_CONCEPTS = len(CONCEPT_WORDS) * len(CONCEPT_MOD)  # 300
EVENT_TYPES = ("model release|model training|funding round|export ban|price cut|hiring drive|layoffs|"
               "stock decline|policy change|lawsuit|acquisition|worker protest|chip shipment|benchmark result|"
               "partnership|product launch|investigation|subsidy award|strike|market entry").split("|")
ROLES = (("agent", "The participant who carries out the event."),
         ("affected", "The participant the event happens to or acts on."),
         ("beneficiary", "The participant the event is carried out for."),
         ("reporter", "The participant who reports or comments on the event."))
MEASURES = (("amount invested", "usDollar", "dollars"), ("share price change", "percent", "percent"),
            ("training cost", "usDollar", "dollars"), ("jobs affected", "count", "jobs"),
            ("weekly working hours", "hoursPerWeek", "hours a week"), ("market share", "percent", "percent of the market"),
            ("chips shipped", "count", "chips"), ("revenue", "usDollar", "dollars in revenue"),
            ("users", "count", "users"), ("years of delay", "year", "years"))
COMPARATORS = (("exactly", ""), ("approximately", "about "), ("lessThan", "under "), ("moreThan", "more than "),
               ("atLeast", "at least "), ("atMost", "at most "))
MONTHS = "January February March April May June July August September October November December".split()
VERBS = ("announced a push for", "quietly abandoned", "doubled down on", "lobbied against", "bet heavily on",
         "was reshaped by", "struggled with", "profited from", "publicly questioned", "invested in")
PROMOTES = ("fuels", "strengthens", "makes room for", "accelerates", "sustains")
INHIBITS = ("stifles", "undermines", "crowds out", "slows", "erodes")
QUOTES = ("nobody expected it to work this fast", "this is a question of survival", "the numbers simply do not add up",
          "we were told to copy, and we refused", "it is cheaper than anyone admits", "the rules changed overnight",
          "talent goes where it is trusted", "the market will punish hesitation", "they have built something new",
          "it is all smoke and mirrors", "the state had nothing to do with it", "speed is the only strategy left")
ADJ = ("inevitable", "overrated", "decisive", "a myth", "the main driver", "a passing phase", "dangerous", "misunderstood")
STANCES = ("endorses", "rejects", "reports", "qualifies")


def _actor(k: int) -> tuple[str, str, str]:
    """(class, label, description) of shared actor k; labels are distinct for k < N_ACTORS."""
    kind = k % 6
    j = k // 6
    if kind == 0:
        return "Person", f"{FIRST[j % len(FIRST)]} {LAST[(j // len(FIRST)) % len(LAST)]}", "a person quoted or discussed"
    if kind == 1:
        return "Company", f"{SYLL[j % len(SYLL)]}{SYLL[(j // len(SYLL)) % len(SYLL)].lower()} {ORG_KIND[(j // 576) % len(ORG_KIND)]}", "a company"
    if kind == 2:
        return "State", f"{STATES[j % len(STATES)]}" + (f" {j // len(STATES) + 1}" if j >= len(STATES) else ""), "a state"
    if kind == 3:
        return "MediaOutlet", f"The {SYLL[j % len(SYLL)]} {OUTLET[(j // len(SYLL)) % len(OUTLET)]}" + (f" {j // 192 + 1}" if j >= 192 else ""), "a media outlet"
    if kind == 4:
        return "Group", f"{GROUP_OF[j % len(GROUP_OF)]} {GROUPS[(j // len(GROUP_OF)) % len(GROUPS)]}" + (f" {j // 96 + 1}" if j >= 96 else ""), "a group of people"
    return "GovernmentBody", f"the {SYLL[j % len(SYLL)]} {('Ministry', 'Commission', 'Agency', 'Bureau')[(j // len(SYLL)) % 4]}" + (f" {j // 96 + 1}" if j >= 96 else ""), "a government body"


def _concept(k: int) -> str:
    return CONCEPT_MOD[k // len(CONCEPT_WORDS)] + CONCEPT_WORDS[k % len(CONCEPT_WORDS)]


def cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def lit(text: str) -> str:
    """An N-Quads string literal."""
    if "\\" in text or '"' in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{text}"'


def en(text: str) -> str:
    return lit(text) + "@en"


def typed(value, dt: str) -> str:
    return f'"{value}"^^<{XSD}{dt}>'


_ACTOR_CUM = list(itertools.accumulate(1.0 / (k + 1) ** 0.9 for k in range(N_ACTORS)))
_CONCEPT_CUM = list(itertools.accumulate(1.0 / (k + 1) ** 0.6 for k in range(N_CONCEPTS)))


def _pick(rnd: random.Random, cum: list[float]) -> int:
    return bisect.bisect_left(cum, rnd.random() * cum[-1])


class Essay:
    """One synthetic essay: builds its text and its triples together, so every offset is exact."""

    def __init__(self, n: int, seed: int, paragraphs: int | None = None):
        self.n = n
        self.rnd = rnd = random.Random(f"{seed}/{n}")
        self.graph = f"<{GRAPH}{n}>"
        self.base = f"{SYN}{n}/"
        self.doc = f"<{self.base}essay>"
        self.author = f"<{self.base}author>"
        self.anon = f"<{self.base}anonymous-source>"
        self.lines: list[str] = []
        self.parts: list[str] = []   # the text, piece by piece
        self.pos = 0                 # its length so far, in code points
        self.bnodes = 0
        self.actors: set[int] = set()
        self.concepts: set[int] = set()
        self.event_types: set[int] = set()
        self.measures: set[int] = set()
        self.roles: set[int] = set()
        self.paragraphs = paragraphs if paragraphs is not None else rnd.randint(20, 40)
        k = min(12, max(2, self.paragraphs))
        picks: list[int] = []
        while len(picks) < k:
            a = _pick(rnd, _ACTOR_CUM)
            if a not in picks:
                picks.append(a)
        self.cast = picks
        self.meta: dict = {"n": n, "graph": f"{GRAPH}{n}", "essay": f"{self.base}essay", "author": f"{self.base}author"}

    # -- helpers --------------------------------------------------------------------------------
    def t(self, s: str, p: str, o: str) -> None:
        self.lines.append(f"{s} {p} {o} {self.graph} .\n")

    def bnode(self) -> str:
        self.bnodes += 1
        return f"_:s{self.n}b{self.bnodes}"

    def write(self, text: str) -> tuple[int, int]:
        """Append text; return its (start, end) offsets."""
        start = self.pos
        self.parts.append(text)
        self.pos += len(text)
        return start, self.pos

    def anchor(self, node: str, span: tuple[int, int], exact: str, prop: str = P["anchor"]) -> None:
        sr, q, pos = self.bnode(), self.bnode(), self.bnode()
        t = self.t
        t(node, prop, sr)
        t(sr, A, SPECIFIC)
        t(sr, HAS_SOURCE, self.doc)
        t(sr, HAS_SELECTOR, q)
        t(sr, HAS_SELECTOR, pos)
        t(q, A, TQS)
        t(q, EXACT, lit(exact))
        t(pos, A, TPS)
        t(pos, START, typed(span[0], "integer"))
        t(pos, END, typed(span[1], "integer"))

    def sentence(self, text: str) -> tuple[int, int]:
        if self.parts and not self.parts[-1].endswith("\n"):
            self.write(" ")
        return self.write(text)

    def actor(self, k: int) -> str:
        self.actors.add(k)
        return f"<{SYN}actor/{k}>"

    def actor_label(self, k: int) -> str:
        return _actor(k)[1]

    def concept(self, k: int) -> str:
        self.concepts.add(k)
        return f"<{SYN}concept/{k}>"

    def role(self, k: int) -> str:
        self.roles.add(k)
        return f"<{SYN}role/{ROLES[k][0]}>"

    # -- the essay ------------------------------------------------------------------------------
    def build(self) -> "Essay":
        rnd, t, base = self.rnd, self.t, self.base
        cast = self.cast
        c_main = _pick(rnd, _CONCEPT_CUM)
        title = f"What {self.actor_label(cast[0])} tells us about {_concept(c_main)}"
        subtitle = f"Essay {self.n}: a synthetic essay shaped like “DeepSeeking the Truth”"
        self.write(title + "\n\n")
        self.write(subtitle + "\n\n")
        t(self.doc, A, C["Document"])
        t(self.doc, LABEL, en(f"{title} (synthetic essay {self.n})"))
        t(self.doc, TITLE, en(title))
        t(self.doc, P["subtitle"], en(subtitle))
        t(self.doc, CREATOR, self.author)
        # the date is not in the essay's text: outside knowledge with its source (the date rule)
        published = f"<{self.base}publication-date>"
        t(self.doc, P["publicationDate"], published)
        t(published, A, INSTANT)
        t(published, A, C["OutsideKnowledge"])
        t(published, T_YEAR, typed(2020 + self.n % 6, "gYear"))
        t(published, UNIT_TYPE, f"<{TIME}unitYear>")
        t(published, SOURCE, f"<https://example.org/synthetic/{self.n}>")
        t(self.doc, P["about"], self.actor(cast[0]))
        t(self.doc, P["about"], self.concept(c_main))
        t(self.author, A, C["Person"])
        t(self.author, LABEL, en(f"the author of synthetic essay {self.n}"))
        t(self.author, P["anonymous"], TRUE)
        t(self.anon, A, C["Person"])
        t(self.anon, LABEL, en(f"an engineer quoted in synthetic essay {self.n}"))
        t(self.anon, P["anonymous"], TRUE)
        t(self.anon, P["description"], en("an engineer who spoke on condition of anonymity"))

        # opening: two opposing viewpoints, a claim within each, and the author's thesis
        views, view_concepts = [], []
        for v in range(2):
            holder = cast[(v + 1) % len(cast)]
            ck = _pick(rnd, _CONCEPT_CUM)
            view_concepts.append(ck)
            adj = ADJ[(v + self.n) % len(ADJ)] if v == 0 else ADJ[(v + self.n + 3) % len(ADJ)]
            text = f"{cap(self.actor_label(holder))} would have us believe that {_concept(ck)} is {adj}."
            span = self.sentence(text)
            vp = f"<{base}viewpoint-{v + 1}>"
            views.append(vp)
            t(vp, A, C["Viewpoint"])
            t(vp, LABEL, en(f"the view that {_concept(ck)} is {adj}"))
            t(vp, DEFINITION, en(f"{_concept(ck)[0].upper()}{_concept(ck)[1:]} is {adj}."))
            t(vp, P["heldBy"], self.actor(holder))
            t(vp, P["about"], self.concept(ck))
            t(vp, P["authorStance"], C["rejects"] if v == 0 else C["qualifies"])
            self.anchor(vp, span, text)
            cl = f"<{base}claim-view-{v + 1}>"
            t(cl, A, C["Claim"])
            t(cl, LABEL, en(f"{self.actor_label(holder)}: {_concept(ck)} is {adj}"))
            t(cl, P["statement"], lit(f"{_concept(ck)[0].upper()}{_concept(ck)[1:]} is {adj}."))
            t(cl, P["claimant"], self.actor(holder))
            t(cl, P["about"], self.concept(ck))
            t(cl, P["isDirectQuote"], FALSE)
            t(cl, P["authorStance"], C["rejects"] if v == 0 else C["qualifies"])
            t(cl, P["viewpoint"], vp)
            self.anchor(cl, span, text)
        t(views[0], P["opposes"], views[1])
        thesis_text = f"As I see it, neither story explains {self.actor_label(cast[0])}; the record below does."
        span = self.sentence(thesis_text)
        thesis = f"<{base}claim-thesis>"
        t(thesis, A, C["Claim"])
        t(thesis, LABEL, en(f"Neither story explains {self.actor_label(cast[0])}"))
        t(thesis, P["statement"], lit(f"Neither of the two views explains {self.actor_label(cast[0])}."))
        t(thesis, P["claimant"], self.author)
        t(thesis, P["about"], self.actor(cast[0]))
        t(thesis, P["isDirectQuote"], FALSE)
        t(thesis, P["authorStance"], C["endorses"])
        self.anchor(thesis, span, thesis_text)
        self.write("\n\n")
        opening_end = self.pos
        self.meta.update(viewpoints=[v[1:-1] for v in views], view_concepts=view_concepts, thesis=thesis[1:-1], opening_end=opening_end)

        prev_event = None
        pull_src = None
        author_about: dict[int, int] = {}
        quant_events: list[tuple[int, int]] = []
        author_causes: list[int] = []
        etypes: list[int] = []
        for i in range(self.paragraphs):
            a_k = cast[i % len(cast)]
            b_k = cast[(i * 7 + 3) % len(cast)]
            if b_k == a_k:
                b_k = cast[(i + 1) % len(cast)]
            a, b = self.actor(a_k), self.actor(b_k)
            al, bl = self.actor_label(a_k), self.actor_label(b_k)
            c1 = _pick(rnd, _CONCEPT_CUM)
            c2 = _pick(rnd, _CONCEPT_CUM)
            if c2 == c1:
                c2 = (c1 + 1) % N_CONCEPTS
            et = rnd.randrange(len(EVENT_TYPES))
            self.event_types.add(et)
            etypes.append(et)
            year = rnd.randint(2008, 2025)
            month = rnd.randint(1, 12)
            day = rnd.randint(1, 28)
            verb = VERBS[rnd.randrange(len(VERBS))]

            # the event and the author's claim about it
            precision = rnd.randrange(4)
            when_text = (f"{year}", f"{MONTHS[month - 1]} {year}", f"{day} {MONTHS[month - 1]} {year}",
                         f"between {year} and {year + 2}")[precision]
            when_phrase = f"{('In', 'In', 'On', 'Between')[precision]} {when_text.removeprefix('between ')}"
            ev_text = f"{when_phrase}, {al} {verb} {_concept(c1)}—a turn that {bl} felt at once."
            span = self.sentence(ev_text)
            ev = f"<{base}event-{i}>"
            t(ev, A, C["Event"])
            t(ev, LABEL, en(f"{al} {verb} {_concept(c1)} (§{i + 1})"))
            t(ev, P["eventType"], f"<{SYN}event-type/{et}>")
            when = self.bnode()
            t(ev, P["when"], when)
            if precision == 3:
                t(when, A, INTERVAL)
                for prop, y in ((HAS_BEGINNING, year), (HAS_END, year + 2)):
                    inst = self.bnode()
                    t(when, prop, inst)
                    t(inst, A, INSTANT)
                    t(inst, T_YEAR, typed(y, "gYear"))
                    t(inst, UNIT_TYPE, U_YEAR)
                    t(inst, P["dateText"], lit(str(y)))
            else:
                t(when, A, INSTANT)
                t(when, (T_YEAR, T_YM, T_DATE)[precision],
                  typed((f"{year}", f"{year}-{month:02d}", f"{year}-{month:02d}-{day:02d}")[precision],
                        ("gYear", "gYearMonth", "date")[precision]))
                t(when, UNIT_TYPE, (U_YEAR, U_MONTH, U_DAY)[precision])
                t(when, P["dateText"], lit(when_text))
            for who, role in ((a, 0), (b, 1)):
                part = self.bnode()
                t(ev, P["participation"], part)
                t(part, A, C["Participation"])
                t(part, P["participant"], who)
                t(part, P["role"], self.role(role))
            t(ev, P["concept"], self.concept(c1))
            self.anchor(ev, (span[0], span[1] - 1), ev_text[:-1])  # without the full stop, as curators often do
            cl_ev = f"<{base}claim-event-{i}>"
            t(cl_ev, A, C["Claim"])
            t(cl_ev, LABEL, en(f"§{i + 1}: {al} {verb} {_concept(c1)}"))
            t(cl_ev, P["statement"], lit(f"{when_phrase}, {al} {verb} {_concept(c1)}, which affected {bl}."))
            t(cl_ev, P["claimant"], self.author)
            t(cl_ev, P["about"], a)
            t(cl_ev, P["about"], ev)
            t(cl_ev, P["about"], self.concept(c1))
            t(cl_ev, P["isDirectQuote"], FALSE)
            t(cl_ev, P["authorStance"], C["endorses"])
            self.anchor(cl_ev, span, ev_text)
            author_about[a_k] = author_about.get(a_k, 0) + 1

            # a number, most of the time
            if rnd.random() < 0.7:
                m = rnd.randrange(len(MEASURES))
                self.measures.add(m)
                cmp_i = rnd.randrange(len(COMPARATORS))
                mlabel, unit, words = MEASURES[m]
                dt = "integer"
                if unit == "percent":
                    value = rnd.randint(1, 95)
                    shown = f"{value} {words}"
                elif unit == "usDollar":
                    big = rnd.random() < 0.5
                    k = rnd.randint(1, 900)
                    value = k * 10 ** (9 if big else 6)
                    shown = f"${k} {'billion' if big else 'million'}"
                elif unit == "year":
                    value, dt = round(rnd.uniform(0.5, 9.5), 1), "decimal"
                    shown = f"{value} {words}"
                elif unit == "hoursPerWeek":
                    value = rnd.randint(30, 80)
                    shown = f"{value} {words}"
                else:
                    value = rnd.randint(2, 90000)
                    shown = f"{value:,} {words}"
                q_text = f"By one count, the {mlabel} came to {COMPARATORS[cmp_i][1]}{shown}."
                self.sentence(q_text)
                qn = f"<{base}quantity-{i}>"
                t(ev, P["quantity"], qn)
                t(qn, A, C["Quantity"])
                t(qn, LABEL, en(f"{mlabel} in §{i + 1}: {COMPARATORS[cmp_i][1]}{shown}"))
                t(qn, P["valueText"], lit(f"{COMPARATORS[cmp_i][1]}{shown}"))   # the essay's words
                t(qn, P["value"], typed(value, dt))
                t(qn, P["unit"], C[unit])
                t(qn, P["comparator"], C[COMPARATORS[cmp_i][0]])
                t(qn, P["measures"], f"<{SYN}measure/{m}>")
                quant_events.append((a_k, et))

            # a direct quote by another actor (or by the essay's anonymous source)
            speaker, speaker_label = (self.anon, "An engineer") if i % 5 == 2 else (b, bl)
            words = QUOTES[rnd.randrange(len(QUOTES))]
            lead = f"{cap(speaker_label)} put it bluntly: "
            quoted = f"“{words[0].upper()}{words[1:]}.”"
            self.sentence(lead)
            span_q = self.write(quoted)
            cl_q = f"<{base}claim-quote-{i}>"
            t(cl_q, A, C["Claim"])
            t(cl_q, LABEL, en(f"§{i + 1}: {speaker_label}: {words}"))
            t(cl_q, P["statement"], lit(f"{speaker_label} says that {words}."))
            t(cl_q, P["claimant"], speaker)
            t(cl_q, P["about"], a)
            t(cl_q, P["about"], self.concept(c2))
            t(cl_q, P["isDirectQuote"], TRUE)
            stance = ("rejects", "reports", "qualifies")[rnd.randrange(3)]
            t(cl_q, P["authorStance"], C[stance])
            if speaker == self.anon:
                outlet = next((k for k in cast if _actor(k)[0] == "MediaOutlet"), None)
                if outlet is not None:
                    t(cl_q, P["citedSource"], self.actor(outlet))
            if rnd.random() < 0.4:
                t(cl_q, P["viewpoint"], views[i % 2])
            self.anchor(cl_q, span_q, quoted)

            # the author's causal assertion between two concepts, and the claim it is part of
            promote = rnd.random() < 0.6
            verb_c = (PROMOTES if promote else INHIBITS)[rnd.randrange(5)]
            hedge = rnd.random() < 0.3
            c_text = f"As I see it, {_concept(c1)} {'probably ' if hedge else ''}{verb_c} {_concept(c2)}."
            span_c = self.sentence(c_text)
            cl_c = f"<{base}claim-causal-{i}>"
            t(cl_c, A, C["Claim"])
            t(cl_c, LABEL, en(f"§{i + 1}: {_concept(c1)} {verb_c} {_concept(c2)}"))
            t(cl_c, P["statement"], lit(f"{_concept(c1)[0].upper()}{_concept(c1)[1:]} {verb_c} {_concept(c2)}."))
            t(cl_c, P["claimant"], self.author)
            t(cl_c, P["about"], self.concept(c1))
            t(cl_c, P["about"], self.concept(c2))
            t(cl_c, P["isDirectQuote"], FALSE)
            t(cl_c, P["authorStance"], C["endorses"])
            self.anchor(cl_c, span_c, c_text)
            ca = f"<{base}causal-{i}>"
            t(ca, A, C["CausalAssertion"])
            t(ca, LABEL, en(f"§{i + 1}: {_concept(c1)} {'promotes' if promote else 'inhibits'} {_concept(c2)}"))
            t(ca, P["statement"], lit(f"{_concept(c1)[0].upper()}{_concept(c1)[1:]} {verb_c} {_concept(c2)}."))
            t(ca, P["cause"], self.concept(c1))
            t(ca, P["effect"], self.concept(c2))
            t(ca, P["polarity"], C["promotes" if promote else "inhibits"])
            t(ca, P["assertedBy"], self.author)
            t(ca, P["modality"], C["hedged" if hedge else "asserted"])
            t(ca, P["authorStance"], C["endorses"])
            t(ca, P["partOfClaim"], cl_c)
            self.anchor(ca, span_c, c_text)
            if promote:
                author_causes.append(c1)
            if pull_src is None and i == 0:
                pull_src = (span_c, c_text)

            # this event as the effect of the previous one, as the other actor tells it
            if prev_event is not None:
                link_text = f"{cap(bl)} traces this back to what came before."
                span_l = self.sentence(link_text)
                cl = f"<{base}causal-event-{i}>"
                t(cl, A, C["CausalAssertion"])
                t(cl, LABEL, en(f"§{i + 1}: the previous event led to this one ({bl})"))
                t(cl, P["statement"], lit(f"The event of §{i} led to the event of §{i + 1}."))
                t(cl, P["cause"], prev_event)
                t(cl, P["effect"], ev)
                t(cl, P["polarity"], C["promotes"])
                t(cl, P["assertedBy"], b)
                t(cl, P["modality"], C["attributed"])
                t(cl, P["authorStance"], C["reports"])
                t(cl, P["viewpoint"], views[(i + 1) % 2])
                self.anchor(cl, span_l, link_text)
            prev_event = ev

            # an argument relation: the event claim supports the thesis, or the causal claim attacks a view
            arg = f"<{base}arg-{i}>"
            if i % 2 == 0:
                a_text = "That alone undercuts the received story."
                span_a = self.sentence(a_text)
                t(arg, A, C["Attack"])
                target = views[(i // 2) % 2] if i % 4 == 0 else cl_q
                t(arg, LABEL, en(f"§{i + 1}: the causal claim attacks {'a view' if i % 4 == 0 else 'the quote'}"))
                t(arg, P["statement"], lit(f"That {_concept(c1)} {verb_c} {_concept(c2)} counts against the received story."))
                t(arg, P["premise"], cl_c)
                t(arg, P["conclusion"], target)
            else:
                a_text = "This is the evidence the thesis rests on."
                span_a = self.sentence(a_text)
                t(arg, A, C["Support"])
                t(arg, LABEL, en(f"§{i + 1}: the event supports the thesis"))
                t(arg, P["statement"], lit(f"What {al} did in {when_text} supports the essay's thesis."))
                t(arg, P["premise"], cl_ev)
                t(arg, P["conclusion"], thesis)
            t(arg, P["arguedBy"], self.author)
            self.anchor(arg, span_a, a_text)
            self.write("\n\n")

            if i == self.paragraphs // 2 and pull_src is not None:  # the pull quote: display copy of a body sentence
                body_span, body_text = pull_src
                disp = self.write(body_text)
                self.write("\n\n")
                pq = f"<{base}pull-quote-1>"
                t(pq, A, C["PullQuote"])
                t(pq, LABEL, en(f"pull quote of synthetic essay {self.n}"))
                self.anchor(pq, disp, body_text)
                self.anchor(pq, body_span, body_text, P["repeats"])
                self.meta["pull_quote"] = pq[1:-1]

        # the closing: what the thesis supports
        close_text = f"What {self.actor_label(cast[0])} shows, in the end, is how much the structure of work matters."
        span = self.sentence(close_text)
        fin = f"<{base}claim-closing>"
        t(fin, A, C["Claim"])
        t(fin, LABEL, en("the structure of work matters"))
        t(fin, P["statement"], lit(f"What {self.actor_label(cast[0])} shows is how much the structure of work matters."))
        t(fin, P["claimant"], self.author)
        t(fin, P["about"], self.actor(cast[0]))
        t(fin, P["isDirectQuote"], FALSE)
        t(fin, P["authorStance"], C["endorses"])
        self.anchor(fin, span, close_text)
        arg = f"<{base}arg-closing>"
        t(arg, A, C["Support"])
        t(arg, LABEL, en("the thesis supports the closing claim"))
        t(arg, P["statement"], lit("That neither story explains the case supports the closing claim."))
        t(arg, P["premise"], thesis)
        t(arg, P["conclusion"], fin)
        t(arg, P["arguedBy"], self.author)
        self.anchor(arg, span, close_text)
        self.write("\n")

        self.text = "".join(self.parts)
        assert len(self.text) == self.pos
        t(self.doc, P["fullText"], lit(self.text))
        self._vocabulary()
        self.meta.update(
            text_length=self.pos, half=self.pos // 2,
            actors=sorted(self.actors), author_about=sorted(author_about, key=lambda k: -author_about[k])[:5],
            actor_event_types=sorted(set(quant_events))[:20], author_causes=sorted(set(author_causes))[:10],
            event_types=sorted(set(etypes)), triples=len(self.lines))
        return self

    def _vocabulary(self) -> None:
        """Describe every shared node the essay uses, in its own graph (each graph stands alone)."""
        t = self.t
        for k in sorted(self.actors):
            cls, label, desc = _actor(k)
            node = f"<{SYN}actor/{k}>"
            t(node, A, C[cls])
            t(node, LABEL, en(label))
            t(node, P["description"], en(desc))
        schemes = set()
        for k in sorted(self.concepts):
            self._concept(f"<{SYN}concept/{k}>", _concept(k), f"The idea of {_concept(k)} as the essays use it.", "concepts")
            schemes.add("concepts")
        for k in sorted(self.event_types):
            self._concept(f"<{SYN}event-type/{k}>", EVENT_TYPES[k], f"An event of the kind: {EVENT_TYPES[k]}.", "event-types")
            schemes.add("event-types")
        for k in sorted(self.roles):
            self._concept(f"<{SYN}role/{ROLES[k][0]}>", ROLES[k][0], ROLES[k][1], "roles")
            schemes.add("roles")
        for k in sorted(self.measures):
            self._concept(f"<{SYN}measure/{k}>", MEASURES[k][0], f"What a number measures: {MEASURES[k][0]}.", "measures")
            schemes.add("measures")
        for s in sorted(schemes):
            node = f"<{SYN}scheme/{s}>"
            t(node, A, SCHEME)
            t(node, LABEL, en(f"synthetic {s.replace('-', ' ')}"))
            t(node, DEFINITION, en(f"The shared {s.replace('-', ' ')} of the synthetic essays."))

    def _concept(self, node: str, label: str, definition: str, scheme: str) -> None:
        self.t(node, A, CONCEPT)
        self.t(node, LABEL, en(label))
        self.t(node, DEFINITION, en(definition))
        self.t(node, IN_SCHEME, f"<{SYN}scheme/{scheme}>")


def generate(target: int, out: Path, *, seed: int = 2025, essays: bool = False, paragraphs: int | None = None,
             progress: bool = True) -> dict:
    """Write essays to ``out`` (N-Quads) until ``target`` triples (or, with ``essays``, ``target`` essays).

    Returns the manifest (also written next to ``out`` as .json)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".part")
    total, n, metas = 0, 0, []
    t0 = last = time.perf_counter()
    with tmp.open("w", encoding="utf-8", buffering=1 << 22) as f:
        while (n < target) if essays else (total < target):
            e = Essay(n, seed, paragraphs).build()
            f.writelines(e.lines)
            total += len(e.lines)
            metas.append(e.meta)
            n += 1
            now = time.perf_counter()
            if progress and now - last > 2:
                last = now
                done = n / target if essays else total / target
                print(f"\r  generating {out.name}: {total:,} triples, {n} essays ({done:.0%}, "
                      f"{total / (now - t0):,.0f} triples/s)", end="", file=sys.stderr, flush=True)
    os.replace(tmp, out)
    manifest = {"version": VERSION, "seed": seed, "target": target, "triples": total, "essays": metas,
                "seconds": round(time.perf_counter() - t0, 2), "bytes": out.stat().st_size}
    out.with_suffix(".json").write_text(json.dumps(manifest), encoding="utf-8")
    if progress:
        print(f"\r  generated {out.name}: {total:,} triples in {n} essays, {out.stat().st_size / 1e6:,.0f} MB, "
              f"{manifest['seconds']:.1f} s" + " " * 20, file=sys.stderr)
    return manifest


def corpus(size: int, *, seed: int = 2025, cache: Path = CACHE, progress: bool = True) -> tuple[Path, dict]:
    """The cached corpus of about ``size`` triples: (path of the .nq file, manifest)."""
    path = cache / f"corpus-{size}-s{seed}.nq"
    meta = path.with_suffix(".json")
    if path.is_file() and meta.is_file():
        manifest = json.loads(meta.read_text(encoding="utf-8"))
        if manifest.get("version") == VERSION and manifest.get("bytes") == path.stat().st_size:
            if progress:
                print(f"  using cached {path.name}: {manifest['triples']:,} triples in {len(manifest['essays'])} essays",
                      file=sys.stderr)
            return path, manifest
    return path, generate(size, path, seed=seed, progress=progress)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("size", type=int, help="triples (or essays, with --essays)")
    p.add_argument("--essays", action="store_true", help="SIZE counts essays, not triples")
    p.add_argument("--paragraphs", type=int, help="paragraphs per essay (default: 20-40 at random)")
    p.add_argument("--seed", type=int, default=2025)
    p.add_argument("--out", type=Path, help="where to write (default: the cache, bench/.corpus/)")
    args = p.parse_args(argv)
    if args.out or args.essays or args.paragraphs:
        out = args.out or CACHE / f"essays-{args.size}.nq"
        generate(args.size, out, seed=args.seed, essays=args.essays, paragraphs=args.paragraphs)
        print(out)
    else:
        print(corpus(args.size, seed=args.seed)[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
