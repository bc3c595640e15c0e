"""Language identification: ISO 639-1 codes (``en``, ``ru``, ``uk``, ``de``, ...).

Two stages, because a statistical identifier costs about 0.2 ms a call and most input is
English: a cheap screen (script share, English function-word share) answers ``en`` for ordinary
English text and for short Latin-script texts (headlines and claims are too short to identify
reliably, and in an English corpus they are nearly always English); only the rest goes to
py3langid, whose model ships inside its package (nothing is downloaded). Cyrillic text is
identified among the Cyrillic-script languages only (Russian, Ukrainian, Belarusian, ...).
"""

from __future__ import annotations

import functools
import re

__all__ = ["document_language", "guess_language"]

#: Languages considered for mostly-Cyrillic text.
CYRILLIC_LANGUAGES = ("ru", "uk", "be", "bg", "mk", "sr", "kk", "ky", "mn")
#: A Latin-script text needs this many words, a low English function-word share and this
#: confidence from the identifier before it is called non-English.
_MIN_WORDS = 8
_MIN_CONFIDENCE = 0.9

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


# Letters that only Russian (ы э) or only Ukrainian (ї є ґ, і) use among the two, and letters of
# other Cyrillic alphabets (Belarusian ў; Kazakh, Kyrgyz, Mongolian ә ғ қ ң ө ұ ү һ; Serbian and
# Macedonian ђ ј љ њ ћ џ ѓ ќ ѕ): a text with only one side's letters is decided without the
# statistical identifier.
_RU_ONLY = frozenset("ыэЫЭ")
_UK_ONLY = frozenset("їєґЇЄҐ")
_OTHER_CYRILLIC = frozenset("ўЎәғқңөұүһӘҒҚҢӨҰҮҺђјљњћџѓќѕЂЈЉЊЋЏЃЌЅ")


def _by_letters(letters: list[str]) -> str | None:
    seen = set(letters)
    if seen & _OTHER_CYRILLIC:
        return None
    ru, uk = bool(seen & _RU_ONLY), bool(seen & _UK_ONLY or "і" in seen or "І" in seen)
    if ru != uk:
        return "ru" if ru else "uk"
    return None


_ASCII_LETTER = re.compile(r"[A-Za-z]")
_ASCII_LETTERS = re.compile(r"[A-Za-z]+")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


@functools.cache
def _identifier():
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)


def _identify(text: str, among: tuple[str, ...] | None = None) -> tuple[str, float]:
    ranked = _identifier().rank(text)
    total = sum(p for _, p in ranked) or 1.0
    for lang, p in ranked:
        if among is None or lang in among:
            return lang, p / total
    return "und", 0.0


def guess_language(tokens: list[str], text: str, hint: str | None = None) -> str:
    """ISO 639-1 code of ``text`` (``"und"`` when no language can be told).

    ``tokens`` are lower-cased word tokens. Texts without letters, and Latin-script texts of
    fewer than 8 words, count as English. A Cyrillic text counts as ``hint`` (the language of
    the document it comes from) when that is a Cyrillic language: a document is routed as one.
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
                if hint in CYRILLIC_LANGUAGES:
                    return hint  # a passage of a document already identified (and routed)
                return _by_letters(other) or _identify(text, CYRILLIC_LANGUAGES)[0]
            return _identify(text)[0]
    words = list(filter(str.isalpha, tokens))
    if len(words) < _MIN_WORDS:
        return "en"
    share = sum(map(_EN_STOP.__contains__, words)) / len(words)
    if share >= 0.12:
        return "en"
    lang, confidence = _identify(text)
    return lang if lang != "en" and confidence >= _MIN_CONFIDENCE else "en"


#: Characters of a document that decide its language (its start; documents are rarely mixed).
DOCUMENT_SAMPLE = 3000
_WORD = re.compile(r"[^\W\d_]+")


def document_language(text: str) -> str:
    """ISO 639-1 code of a whole document, judged on its first ``DOCUMENT_SAMPLE`` characters:
    the route to a language's tokenizer and lemmas."""
    sample = text[:DOCUMENT_SAMPLE]
    return guess_language(_WORD.findall(sample.lower()), sample)
