"""Flesch reading ease, for the plain-wording tests: 206.835 − 1.015 × (words per
sentence) − 84.6 × (syllables per word). 60–70 is plain English ("easily understood by
13- to 15-year-olds"); the framework's own summaries score 14–74.

Syllables are counted by the usual rule of thumb (groups of vowels, less a silent final
e, -es or -ed), as readability tools without a dictionary do; it is within a syllable of
a dictionary's count for almost every word.
"""

from __future__ import annotations

import re

_VOWEL_GROUPS = re.compile(r"[aeiouy]+")
_SILENT_ENDING = re.compile(r"(?:[^laeiouy]es|[^laeiouy]ed|[^laeiouy]e)$")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’]*")
_SENTENCE_END = re.compile(r"[.!?]+(?:\s|$)")


def syllables(word: str) -> int:
    word = word.lower().strip("'’")
    if len(word) <= 3:
        return 1
    stem = _SILENT_ENDING.sub("", word)
    stem = stem[1:] if stem.startswith("y") else stem
    return max(1, len(_VOWEL_GROUPS.findall(stem)))


def flesch_reading_ease(text: str) -> float:
    """The score of ``text``; a text without a full stop counts as one sentence."""
    words = _WORD.findall(text.replace("-", " "))
    if not words:
        raise ValueError("no words to score")
    sentences = max(1, len(_SENTENCE_END.findall(text.strip())))
    syllable_count = sum(syllables(word) for word in words)
    return 206.835 - 1.015 * len(words) / sentences - 84.6 * syllable_count / len(words)
