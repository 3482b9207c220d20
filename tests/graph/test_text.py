"""Sentences and offsets: what anchors and coverage count with."""
from kg.text import essay_text, locate, normalise_source, paragraphs, sentences


def test_normalise_drops_chrome_and_composes():
    raw = "Skip to content\r\n\r\nTitle\n\nCafe\u0301 text.  \n"
    assert normalise_source(raw) == "Title\n\nCaf\u00e9 text.\n"


def test_sentence_split_keeps_abbreviations_and_ellipses():
    text = "Work ran 9 a.m. to 9 p.m. in the U.S. tech sector. “Innovation . . . the US is responding.” Next one."
    got = [s.text for s in sentences(text)]
    assert got == ["Work ran 9 a.m. to 9 p.m. in the U.S. tech sector.",
                   "“Innovation . . . the US is responding.”", "Next one."]


def test_offsets_are_code_points():
    text = essay_text()
    start, end = locate(text, "Open AI’s model")
    assert text[start:end] == "Open AI’s model"
    for s in sentences(text):
        assert text[s.start:s.end] == s.text
    assert len(paragraphs(text)) == 22


def test_locate_finds_the_nth_occurrence():
    text = essay_text()
    first = locate(text, "This approach comes at a cost")
    second = locate(text, "This approach comes at a cost", occurrence=2)
    assert first < second
