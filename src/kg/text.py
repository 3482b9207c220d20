"""The stored essay text and its sentences: what anchors point into and what coverage counts."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .sources import ESSAY_TEXT

CHROME_FIRST_LINE = "Skip to content"


def normalise_source(raw: str) -> str:
    """Page text -> stored text: NFC, the page-chrome first line dropped, trailing space trimmed."""
    text = unicodedata.normalize("NFC", raw).replace("\r\n", "\n")
    first, _, rest = text.partition("\n")
    if first.strip() == CHROME_FIRST_LINE:
        text = rest
    return text.lstrip("\n").rstrip() + "\n"


def essay_text(path: Path | str = ESSAY_TEXT) -> str:
    return Path(path).read_text(encoding="utf-8")


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str


def paragraphs(text: str) -> list[Span]:
    """Blocks separated by blank lines, with their code-point offsets."""
    return [Span(m.start(), m.end(), m.group()) for m in re.finditer(r"[^\n]+", text)]


# Full stops that do not end a sentence: abbreviations, and the ellipsis inside a quotation.
_NOT_AN_END = re.compile(r"(?:\b(?:U\.S|a\.m|p\.m|e\.g|i\.e|Mr|Ms|Dr|St)\.|\. \. \.)$")
_END = re.compile(r"[.!?][”’\"]?(?=\s+[“‘\"(]?[A-Z0-9]|\s*$)")


def sentences(text: str) -> list[Span]:
    """Sentences of each paragraph. A heading or a paragraph without end punctuation is one sentence."""
    out: list[Span] = []
    for para in paragraphs(text):
        start = 0
        body = para.text
        for m in _END.finditer(body):
            if _NOT_AN_END.search(body[: m.start() + 1]):
                continue
            _append(out, para.start, body, start, m.end())
            start = m.end()
        if body[start:].strip():
            _append(out, para.start, body, start, len(body))
    return out


def _append(out: list[Span], base: int, body: str, start: int, end: int) -> None:
    piece = body[start:end]
    lead = len(piece) - len(piece.lstrip())
    piece = piece.strip()
    if piece:
        s = base + start + lead
        out.append(Span(s, s + len(piece), piece))


def locate(text: str, exact: str, *, occurrence: int = 1) -> tuple[int, int]:
    """Offsets of the n-th occurrence of ``exact`` in ``text`` (code points, end exclusive)."""
    pos = -1
    for _ in range(occurrence):
        pos = text.find(exact, pos + 1)
        if pos < 0:
            raise ValueError(f"quote not found (occurrence {occurrence}): {exact[:60]!r}")
    return pos, pos + len(exact)


__all__ = ["normalise_source", "essay_text", "Span", "paragraphs", "sentences", "locate"]
