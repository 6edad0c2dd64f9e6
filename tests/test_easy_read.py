"""The easy-read version: every text is plain (Flesch reading ease 70 or more, short
sentences), every pre-condition and scale point has its picture with a text alternative,
and it covers the same items and scale as the standard version."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from defusedxml import ElementTree

from preconditions.easy_read import PRECONDITIONS, SCALE
from surveys.models import Score

from .readability import flesch_reading_ease

STATIC = Path(__file__).resolve().parent.parent / "static"
READING_EASE = 70
LONGEST_SENTENCE = 15  # words


def _passages():
    """What a partner reads for each pre-condition, and the scale: Flesch's formula is
    meant for passages, and is noisy on a three-word title alone."""
    for item in PRECONDITIONS.values():
        sentences = [item.title, item.explanation, item.question, *item.signs]
        yield f"pre-condition {item.code}", " ".join(_sentence(str(s)) for s in sentences)
    yield "the scale", " ".join(f"{p.label}. {p.meaning}" for p in SCALE)


def _sentence(text: str) -> str:
    return text if text.endswith((".", "?", "!")) else f"{text}."


@pytest.mark.parametrize(("where", "text"), list(_passages()))
def test_every_easy_read_passage_is_plain(where, text):
    assert flesch_reading_ease(text) >= READING_EASE, where
    for sentence in re.split(r"(?<=[.?!])\s+", text):
        assert len(sentence.split()) <= LONGEST_SENTENCE, (where, sentence)


def test_it_covers_the_nine_preconditions_and_the_whole_scale():
    assert list(PRECONDITIONS) == list("ABCDEFGHI")
    assert [p.score for p in SCALE] == [*Score.values, None]
    assert all(len(item.signs) == 3 for item in PRECONDITIONS.values())


@pytest.mark.parametrize(
    "picture", [item.picture for item in PRECONDITIONS.values()] + [p.picture for p in SCALE]
)
def test_every_picture_exists_and_says_what_it_shows(picture):
    path = STATIC / picture.removeprefix("/static/")
    tree = ElementTree.parse(path)
    title = tree.getroot().find("{http://www.w3.org/2000/svg}title")
    assert title is not None and title.text and len(title.text) > 5


def test_every_picture_has_a_text_alternative():
    alternatives = [item.picture_alt for item in PRECONDITIONS.values()]
    alternatives += [point.picture_alt for point in SCALE]
    assert all(str(alt).strip() for alt in alternatives)
    assert len(set(map(str, alternatives))) == len(alternatives)
