"""Text normalisation that remembers where every character came from.

The normalised text feeds tokenisation and features; the offset map turns any span of it back into
a span of the ORIGINAL text, so passages and evidence point at what the user gave us.

Two repairs run before the character rules, each replacing a span of the original text as one
piece (so offsets stay exact): the contents of ``<script>`` and ``<style>`` elements are dropped,
and mojibake (UTF-8 read as Windows-1252, Latin-1 or Windows-1251: ``cafÃ©``, ``â€™``,
``РџСЂРёРІРµС‚``) is decoded by ftfy, one run of non-ASCII characters at a time and only in a
text that looks misread (see ``_MOJIBAKE_HINT``), so clean text costs one regex search.
"""

from __future__ import annotations

import bisect
import contextlib
import html
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["Normalized", "fold_cyrillic", "normalize"]

_CHAR_MAP = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"',
    "\u00bb": '"', "\u2039": "'", "\u203a": "'",
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",
    "\u2212": "-", "\u2026": "...", "\u02bc": "'",
    "\u00a0": " ", "\u2007": " ", "\u202f": " ", "\u2009": " ", "\u200a": " ", "\u3000": " ",
    "\u2028": "\n", "\u2029": "\n",
}  # fmt: skip

_CTRL = (
    r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\ufff9-\ufffc"
)
_HSPACE = " \t\u00a0\u2007\u202f\u2009\u200a\u3000"
_MAPPED = "".join(re.escape(c) for c in _CHAR_MAP)
# One alternation, scanned once: HTML tags, entities, runs of horizontal space, runs of blank
# lines, control/format characters (zero-width included) and single characters to map. The
# leading lookahead (every character an alternative can start with) lets the scan skip ordinary
# characters without trying each alternative: three times faster, same matches.
_SPECIAL = re.compile(
    r"(?=[<&\r\n" + _HSPACE + _CTRL + _MAPPED + r"])(?:"
    r"(?P<tag><(?:/?[A-Za-z][A-Za-z0-9:-]{0,20}(?:\s[^<>]{0,400})?/?|!--.{0,2000}?--)>)"
    r"|(?P<ent>&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});)"
    r"|(?P<hspace>[" + _HSPACE + r"]{2,}|\t)"
    r"|(?P<nl>(?:[ \t]*(?:\r\n|\r|\n)){3,}|\r\n|\r)"
    r"|(?P<ctrl>[" + _CTRL + r"])"
    r"|(?P<map>[" + _MAPPED + r"]))",
    re.S,
)
# Cyrillic folding, one character for one (so offsets are untouched): yo to ye (most Russian
# text omits the dots, and the lemma dictionaries accept both), and Latin letters that look
# Cyrillic inside a mostly Cyrillic word (channels write "нaцисты" with a Latin "a" to dodge
# keyword filters), or Cyrillic look-alikes inside a mostly Latin word.
_YO = str.maketrans("ёЁ", "еЕ")
# Latin letter -> Cyrillic letter drawn alike (a c e i o p x y, and capitals A B C E H K M O P T X Y).
_LOOKALIKES = "a\u0430 c\u0441 e\u0435 i\u0456 o\u043e p\u0440 x\u0445 y\u0443 A\u0410 B\u0412 C\u0421 E\u0415 H\u041d K\u041a M\u041c O\u041e P\u0420 T\u0422 X\u0425 Y\u0423"
_TO_CYRILLIC = str.maketrans({p[0]: p[1] for p in _LOOKALIKES.split()})
_TO_LATIN = str.maketrans({p[1]: p[0] for p in _LOOKALIKES.split()})
_CYRILLIC = re.compile(r"[Ѐ-ӿ]")
_MIXED_WORD = re.compile(r"\b(?=[^\W\d_]*[A-Za-z])(?=[^\W\d_]*[Ѐ-ӿ])[^\W\d_]+\b")
_BLOCK_TAGS = re.compile(
    r"</?(?:p|div|br|li|ul|ol|h[1-6]|tr|table|section|article|blockquote)\b", re.I
)
# A whole <script> or <style> element, contents included (code and CSS are not text). Only a
# closed element: "<script>" alone in an article about web security stays text.
_SCRIPT = re.compile(
    r"<(script|style)\b(?:\s[^<>]{0,400})?>.*?</\1\s*>|<(?:script|style)\b(?:\s[^<>]{0,400})?/>",
    re.I | re.S,
)
# Mojibake never contains ASCII: every byte of a multi-byte UTF-8 sequence is >= 0x80.
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")
_C1_ONLY = re.compile(r"[\x80-\x9f]+")


def _continuations(codec: str) -> str:
    """What the UTF-8 continuation bytes 0x80-0xBF read as in ``codec`` (undefined bytes as the
    C1 controls browsers and ftfy's sloppy codecs make of them, and as Latin-1 reads them)."""
    chars = {chr(b) for b in range(0x80, 0xC0)}
    for b in range(0x80, 0xC0):
        with contextlib.suppress(UnicodeDecodeError):
            chars.add(bytes([b]).decode(codec))
    return "".join(sorted(chars))


# What a UTF-8 sequence misread as Windows-1252 or Latin-1 (a lead byte C2-F4: "Â".."ô", then a
# continuation) or as Windows-1251 (Cyrillic letters: "Р"/"С" then a continuation; punctuation:
# "вЂ") starts with. ftfy's badness regex (much slower) only runs on texts where it matches.
_MOJIBAKE_HINT = re.compile(
    "(?:[\u00c2-\u00f4][" + re.escape(_continuations("cp1252")) + "]"
    "|[\u0420\u0421][" + re.escape(_continuations("cp1251")) + "]"
    "|\u0432\u0402)"
)
# The same pairs, loosely (any lead, then any continuation of either code page): a pattern that
# starts with one character class is searched several times faster than the alternation, so it
# screens texts first (Russian: 6x faster; it passes about 5% of Russian texts on to the precise
# pattern, and a third of Ukrainian ones, where "ві" is common).
_MOJIBAKE_PAIR = re.compile(
    "[\u00c2-\u00f4\u0420\u0421\u0432]["
    + re.escape("".join(sorted(set(_continuations("cp1252") + _continuations("cp1251")))))
    + "]"
)


@dataclass(frozen=True)
class Normalized:
    """Normalised text plus the map back to the original.

    ``_norm_starts[k]`` / ``_orig_starts[k]`` / ``_lengths[k]`` describe piece ``k``: verbatim pieces
    map character by character; replaced pieces (length -1 in ``_verbatim``) map their start and end
    to the start and end of the replaced original span.
    """

    text: str
    original_length: int
    _norm_starts: tuple[int, ...]
    _orig_starts: tuple[int, ...]
    _orig_ends: tuple[int, ...]
    _verbatim: tuple[bool, ...]

    def to_original(self, i: int) -> int:
        """Original offset of normalised offset ``i`` (``len(text)`` maps to the original length)."""
        if i >= len(self.text):
            return self.original_length
        if i <= 0:
            return self._orig_starts[0] if self._orig_starts and i == 0 else 0
        k = bisect.bisect_right(self._norm_starts, i) - 1
        if self._verbatim[k]:
            return self._orig_starts[k] + (i - self._norm_starts[k])
        return self._orig_starts[k]

    def snap(self, i: int) -> int:
        """``i`` moved forward to the end of the replaced piece it falls inside (else unchanged).

        A replacement longer than one character (``\u2026`` -> ``...``, ``&fjlig;`` -> ``fj``) maps
        as a whole: a boundary strictly inside it has no original position of its own. Segmenters
        snap their cut points so that neighbouring spans never share, or split, a replaced piece.
        """
        if i <= 0 or i >= len(self.text):
            return i
        k = bisect.bisect_right(self._norm_starts, i) - 1
        if k < 0 or self._verbatim[k] or i == self._norm_starts[k]:
            return i
        return self._norm_starts[k + 1] if k + 1 < len(self._norm_starts) else len(self.text)

    def snap_back(self, i: int) -> int:
        """``i`` moved back to the start of the replaced piece it falls inside (else unchanged)."""
        if i <= 0 or i >= len(self.text):
            return i
        k = bisect.bisect_right(self._norm_starts, i) - 1
        if k < 0 or self._verbatim[k]:
            return i
        return self._norm_starts[k]

    def span_to_original(self, start: int, end: int) -> tuple[int, int]:
        """Original ``(start, end)`` of the normalised span ``[start, end)``."""
        if end <= start:
            o = self.to_original(start)
            return o, o
        o_start = self.to_original(start)
        k = bisect.bisect_right(self._norm_starts, end - 1) - 1
        if self._verbatim[k]:
            o_end = self._orig_starts[k] + (end - self._norm_starts[k])
        else:
            o_end = self._orig_ends[k]
        return o_start, max(o_start, o_end)


def _unmix(m: re.Match[str]) -> str:
    word = m.group()
    n_cyrillic = len(_CYRILLIC.findall(word))
    if n_cyrillic * 2 >= len(word):
        return word.translate(_TO_CYRILLIC)
    return word.translate(_TO_LATIN)


def fold_cyrillic(text: str) -> str:
    """Cyrillic folding of ``text`` (same length; see ``_YO`` and ``_MIXED_WORD``)."""
    if text.isascii() or not _CYRILLIC.search(text):
        return text
    return _MIXED_WORD.sub(_unmix, text.translate(_YO))


def _mojibake_runs(text: str) -> Iterator[tuple[int, int, str]]:
    """``(start, end, fixed)`` for each run of non-ASCII characters that ftfy decodes (mojibake).

    An ASCII text costs one ``str.isascii``, any other text one search for the start of a
    misread UTF-8 sequence (``_MOJIBAKE_PAIR``, then ``_MOJIBAKE_HINT``); only the runs holding one are given to ftfy's
    badness heuristic, and only those it flags are decoded. A run of C1 control characters alone
    is left to the control-character rule.
    """
    if text.isascii():
        return
    pair = _MOJIBAKE_PAIR.search(text)
    if pair is None or not _MOJIBAKE_HINT.search(text, pair.start()):
        return
    from ftfy import TextFixerConfig, fix_encoding
    from ftfy.badness import is_bad

    config = TextFixerConfig(fix_c1_controls=False)
    for m in _NON_ASCII_RUN.finditer(text):
        run = m.group()
        if _C1_ONLY.fullmatch(run) or not _MOJIBAKE_HINT.search(run) or not is_bad(run):
            continue
        fixed = fix_encoding(run, config)
        if fixed != run:
            yield m.start(), m.end(), fixed


def _repairs(text: str) -> list[tuple[int, int, str]]:
    """Spans of ``text`` replaced before the character rules, sorted and disjoint: script and
    style elements (by a space, like a tag) and mojibake runs outside them (by their decoding,
    itself normalised)."""
    drops = [(m.start(), m.end(), " ") for m in _SCRIPT.finditer(text)] if "<" in text else []
    out = list(drops)
    k = 0
    for start, end, fixed in _mojibake_runs(text):
        while k < len(drops) and drops[k][1] <= start:
            k += 1
        if k < len(drops) and drops[k][0] < end:
            continue  # inside a dropped element
        out.append((start, end, _normalize(fixed, repair=False, fold=False).text))
    out.sort()
    return out


def _replacement(m: re.Match[str]) -> str:
    kind = m.lastgroup
    s = m.group()
    if kind == "tag":
        return "\n" if _BLOCK_TAGS.match(s) else " "
    if kind == "ent":
        out = html.unescape(s)
        if out == s:
            return s
        out = "".join(_CHAR_MAP.get(c, c) for c in out)
        return (
            "" if _SPECIAL.fullmatch(out) and _SPECIAL.fullmatch(out).lastgroup == "ctrl" else out
        )
    if kind == "hspace":
        return " "
    if kind == "nl":
        return "\n\n" if s.count("\n") + s.count("\r") - s.count("\r\n") >= 2 else "\n"
    if kind == "ctrl":
        return ""
    return _CHAR_MAP[s]


def normalize(text: str) -> Normalized:
    """Normalise ``text`` for feature extraction, keeping offsets into the original.

    Mojibake decoded (ftfy) and ``<script>``/``<style>`` elements dropped, each as one replaced
    piece; Unicode NFC; curly quotes, guillemets and dashes to ASCII; HTML tags dropped (block
    tags become line breaks) and entities decoded; control and zero-width characters removed; runs of spaces
    collapsed; three or more line breaks collapsed to a paragraph break; in Cyrillic text, yo
    written as ye and Latin look-alike letters inside Cyrillic words made Cyrillic.

    Examples
    --------
    >>> n = normalize("<p>Kyiv&nbsp;\u2014 \u201cfake\u201d  state</p>")
    >>> n.text
    '\\nKyiv - "fake" state\\n'
    >>> s, e = n.span_to_original(n.text.index("fake"), n.text.index("fake") + 4)
    >>> "<p>Kyiv&nbsp;\u2014 \u201cfake\u201d  state</p>"[s:e]
    'fake'
    """
    return _normalize(text, repair=True, fold=True)


def _normalize(text: str, repair: bool, fold: bool) -> Normalized:
    norm_starts: list[int] = []
    orig_starts: list[int] = []
    orig_ends: list[int] = []
    verbatim: list[bool] = []
    out: list[str] = []
    n = 0

    def add(piece: str, o_start: int, o_end: int, is_verbatim: bool) -> None:
        nonlocal n
        if not piece:
            return
        if is_verbatim and not unicodedata.is_normalized("NFC", piece):
            # Compose cluster by cluster (a starter plus its combining marks) so only the
            # clusters that change length lose their character-level offsets.
            start = 0
            for k in range(1, len(piece) + 1):
                if k == len(piece) or not unicodedata.combining(piece[k]):
                    cluster = piece[start:k]
                    nfc = unicodedata.normalize("NFC", cluster)
                    _push(nfc, o_start + start, o_start + k, len(nfc) == len(cluster))
                    start = k
            return
        _push(piece, o_start, o_end, is_verbatim)

    def _push(piece: str, o_start: int, o_end: int, is_verbatim: bool) -> None:
        nonlocal n
        if norm_starts and is_verbatim and verbatim[-1] and orig_ends[-1] == o_start:
            # merge adjacent verbatim pieces (keeps the offset table short)
            orig_ends[-1] = o_end
            out.append(piece)
            n += len(piece)
            return
        norm_starts.append(n)
        orig_starts.append(o_start)
        orig_ends.append(o_end)
        verbatim.append(is_verbatim)
        out.append(piece)
        n += len(piece)

    def scan(lo: int, hi: int) -> None:
        pos = lo
        for m in _SPECIAL.finditer(text, lo, hi):
            if m.start() > pos:
                add(text[pos : m.start()], pos, m.start(), True)
            rep = _replacement(m)
            add(rep, m.start(), m.end(), rep == m.group())
            pos = m.end()
        if pos < hi:
            add(text[pos:hi], pos, hi, True)

    pos = 0
    for start, end, fixed in _repairs(text) if repair else ():
        scan(pos, start)
        add(fixed, start, end, False)
        pos = end
    scan(pos, len(text))
    joined = "".join(out)
    return Normalized(
        text=fold_cyrillic(joined) if fold else joined,
        original_length=len(text),
        _norm_starts=tuple(norm_starts),
        _orig_starts=tuple(orig_starts),
        _orig_ends=tuple(orig_ends),
        _verbatim=tuple(verbatim),
    )
