"""Line classification: boilerplate and junk lines are kept out of tagging."""

from __future__ import annotations

import re

__all__ = ["classify_line"]

_BOILERPLATE = re.compile(
    r"""^\W*(?:
        (?:sure|certainly|of\ course|absolutely)\W{0,3}\s*here(?:'s|\ is|\ are)\b
      | here(?:'s|\ is|\ are)\ (?:the|an?|your)\ (?:\w+\ ){0,3}(?:version|rewrite|draft|article|text|summary)\b
      | as\ an\ ai\b | i\ hope\ this\ helps | let\ me\ know\ if\ you
      | (?:please\ )?(?:share|tweet|repost|like)\ (?:this|on|with|and\ subscribe)\b
      | (?:subscribe|follow)\ (?:to\ |us\b|our\b|me\b|on\b|for\b)
      | (?:sign\ up|join)\ (?:for|to|our|us)\b | click\ here | read\ more\b | read\ also\b | see\ also\b
      | related(?:\ articles?|\ stories|\ news)?\s*: | advertisement\b | sponsored\b
      | all\ rights\ reserved | (?:copyright|©)\s | cookies?\ (?:policy|settings)\b
      | (?:download|get)\ (?:our|the)\ app\b | newsletter\b | photo:\ | image\ (?:source|credit)
      | (?:source|credit):\ \w+$
    )""",
    re.I | re.X,
)
_ONLY_LINKS = re.compile(
    r"^\s*(?:(?:https?://|www\.)\S+|#\w+|@\w+|[|•·>\-–—*]+)(?:\s+(?:(?:https?://|www\.)\S+|#\w+|@\w+|[|•·>\-–—*]+))*\s*$"
)
_TERMINAL = frozenset(".!?:;,\"')»…")


def classify_line(line: str) -> str:
    """Return ``"text"``, ``"heading"`` (a bare heading) or ``"boilerplate"`` for one line.

    Examples
    --------
    >>> classify_line("Here is the enhanced version of your article:")
    'boilerplate'
    >>> classify_line("Subscribe to our Telegram channel")
    'boilerplate'
    >>> classify_line("The Soviet Legacy In Central Asia")
    'heading'
    >>> classify_line("Kazakhstan is a fake country lol")
    'text'
    """
    s = line.strip()
    if not s:
        return "blank"
    if len(s) < 240 and (_BOILERPLATE.search(s) or _ONLY_LINKS.match(s)):
        return "boilerplate"
    words = s.split()
    if len(words) <= 12 and s[-1] not in _TERMINAL:
        alpha = [w for w in words if w[:1].isalpha()]
        if alpha:
            caps = sum(1 for w in alpha if w[0].isupper())
            small = sum(1 for w in alpha if w.lower() in _SMALL_WORDS)
            if s.isupper() or (caps + small >= len(alpha) and caps >= max(1, len(alpha) // 2)):
                return "heading"
    return "text"


_SMALL_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "at",
        "but",
        "by",
        "for",
        "from",
        "in",
        "into",
        "of",
        "on",
        "or",
        "over",
        "the",
        "to",
        "up",
        "via",
        "vs",
        "with",
        "is",
        "are",
        "was",
    ]
)
