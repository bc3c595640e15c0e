"""A cheap English detector: script share plus English function-word share."""

from __future__ import annotations

import re

__all__ = ["guess_language"]

_EN_STOP = frozenset(
    [
        "a",
        "about",
        "after",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "he",
        "her",
        "here",
        "him",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "just",
        "like",
        "me",
        "more",
        "most",
        "my",
        "no",
        "not",
        "now",
        "of",
        "on",
        "only",
        "or",
        "other",
        "our",
        "out",
        "over",
        "said",
        "she",
        "should",
        "so",
        "some",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "to",
        "too",
        "under",
        "up",
        "us",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yet",
        "against",
    ]
)


_ASCII_LETTER = re.compile(r"[A-Za-z]")
_ASCII_LETTERS = re.compile(r"[A-Za-z]+")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def guess_language(tokens: list[str], text: str) -> str:
    """Return ``"en"`` or a rough tag for non-English text (``"xx-cyrl"``, ``"xx-latn"``, ...).

    ``tokens`` are lower-cased word tokens; very short texts in Latin script count as English.
    """
    if text.isascii():
        # Every letter is Latin (the usual case, and the hot path): only "any letter?" matters.
        if not _ASCII_LETTER.search(text):
            return "en"
    else:
        # Letters are counted as str.isalpha does; ASCII ones by regex, the (few) others by hand.
        other = [c for c in "".join(_NON_ASCII.findall(text)) if c.isalpha()]
        n_ascii = sum(map(len, _ASCII_LETTERS.findall(text)))
        n_letters = n_ascii + len(other)
        if not n_letters:
            return "en"  # punctuation, numbers or emoji only: nothing to mislabel
        latin = n_ascii + sum(1 for c in other if c < "\u0250")
        if latin / n_letters < 0.6:
            cyr = sum(1 for c in other if "\u0400" <= c <= "\u04ff")
            if cyr / n_letters >= 0.5:
                return "xx-cyrl"
            arab = sum(1 for c in other if "\u0600" <= c <= "\u06ff")
            return "xx-arab" if arab / n_letters >= 0.5 else "xx"
    words = list(filter(str.isalpha, tokens))
    if len(words) < 8:
        return "en"
    share = sum(map(_EN_STOP.__contains__, words)) / len(words)
    return "en" if share >= 0.12 else "xx-latn"
