"""Building the spaCy pipeline and the taxonomy / gazetteer phrase matchers."""

from __future__ import annotations

import functools
import itertools
import logging
from importlib import resources
from typing import Any

import numpy as np
import spacy
import yaml
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc

from .._exceptions import InputError
from ._normalize import fold_cyrillic

__all__ = [
    "MORPH_LANGUAGES",
    "LookupForms",
    "Matchers",
    "build_nlp",
    "lemma_of",
    "load_gazetteer",
    "token_form",
]

log = logging.getLogger(__name__)
DEFAULT_SPACY = "blank:en"
#: Whitespace-delimited chunks spaCy's tokenizer remembers the tokens of (its default, 10,000, is
#: full after a few hundred news articles; every chunk past it goes through the prefix, suffix
#: and infix rules again). A cached chunk gives the tokens the rules give (spaCy's own cache), so
#: only speed changes; each entry costs about 200 bytes.
TOKENIZER_CACHE = 100_000
#: Languages lemmatised with pymorphy3 (through spaCy's own rule-based lemmatizer for them).
MORPH_LANGUAGES = ("ru", "uk")


@functools.cache
def _morph(lang: str) -> Any:
    from pymorphy3 import MorphAnalyzer  # its dictionaries are PyPI packages, read locally

    return MorphAnalyzer(lang=lang)


@functools.lru_cache(maxsize=200_000)
def _morph_lemma(lang: str, text: str) -> str:
    normal = {a.normal_form for a in _morph(lang).parse(text)}
    return next(iter(normal)) if len(normal) == 1 else text


def lemma_of(lang: str) -> Any:
    """The lemma function of a pymorphy3 language: spaCy's ``pymorphy3_lookup`` rule (the one
    dictionary form when every analysis agrees, else the word itself), as
    ``RussianLemmatizer`` applies it without a tagger; ``None`` for other languages."""
    if lang not in MORPH_LANGUAGES:
        return None
    return functools.partial(_morph_lemma, lang)


@Language.component("narratives_line_breaks")
def line_breaks(doc: Doc) -> Doc:
    """Start a sentence after every line break, so headings and list items stand alone."""
    if len(doc) < 2:
        return doc
    # Token ids instead of Token objects: this runs on every block of every document.
    orth = doc.to_array("ORTH")[:-1]
    strings = doc.vocab.strings
    newline = [o for o in np.unique(orth) if "\n" in strings[int(o)]]
    for i in np.flatnonzero(np.isin(orth, newline)):
        doc[int(i) + 1].is_sent_start = True
    return doc


_LOOKUP_CACHE_TOKENS = 1_000_000


class LookupForms:
    """Sentence starts and feature forms for a ``blank:`` pipeline, from token ids alone.

    In a blank pipeline every component is a rule over token texts: the line-break rule, the
    sentencizer (a sentence ends at a ``punct_chars`` token; the next token that is neither
    punctuation nor such a character starts the next one) and the lookup lemmatizer
    (``lemma_lookup[text]``). So they can be skipped and computed here from ``doc.to_array``,
    with each distinct token's properties cached once, instead of creating a Python ``Token``
    object per token per component: the same sentences and forms as the spaCy components and
    :func:`token_form` (tested), in a fraction of the time.
    """

    def __init__(self, nlp: Language, lemmatize: bool):
        self.vocab = nlp.vocab
        self.table = None
        self.morph = lemma_of(nlp.lang) if lemmatize and "lemmatizer" in nlp.pipe_names else None
        if self.morph is None and lemmatize and "lemmatizer" in nlp.pipe_names:
            self.table = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup", {})
        self.punct_chars = set(nlp.get_pipe("sentencizer").punct_chars)
        # orth id -> (form, text length, kind: 0 plain, 1 other punctuation, 2 sentence end,
        # line break inside, match word of a lemma language)
        self.cache: dict[int, tuple[str | None, int, int, bool, str | None]] = {}

    def _compute(self, orth: int) -> tuple[str | None, int, int, bool, str | None]:
        lex = self.vocab[orth]
        text = lex.orth_
        kind = 2 if text in self.punct_chars else 1 if lex.is_punct else 0
        newline = "\n" in text
        match = None
        if self.morph is not None:
            lemma = self.morph(text)
            match = fold_cyrillic((lemma or text).lower())
        else:
            lemma = None if self.table is None else self.table.get(text, text)
        return _feature_form(lex, lemma), len(text), kind, newline, match

    def match_words(self, doc: Doc) -> list[str]:
        """Lower-cased lemma of every token (its lower-cased text where there is none): the
        words the lemma matcher of a pymorphy3 language matches phrases against."""
        cache, compute = self.cache, self._compute
        out = []
        for o in doc.to_array("ORTH").tolist():
            hit = cache.get(o)
            if hit is None:
                hit = cache[o] = compute(o)
            out.append(hit[4])
        return out

    def __call__(
        self, doc: Doc, idx: list[int]
    ) -> tuple[list[str | None], list[tuple[int, int, int, int]]]:
        """Token forms (None for space and punctuation) and sentences as
        ``(first token, end token, start char, end char)``; ``idx`` is ``doc``'s token offsets."""
        if len(self.cache) > _LOOKUP_CACHE_TOKENS:  # bounded memory on open-ended vocabularies
            self.cache.clear()
        cache, compute = self.cache, self._compute
        forms: list[str | None] = []
        lengths: list[int] = []
        kinds: list[int] = []
        newlines: list[bool] = []
        for o in doc.to_array("ORTH").tolist():
            hit = cache.get(o)
            if hit is None:
                hit = cache[o] = compute(o)
            forms.append(hit[0])
            lengths.append(hit[1])
            kinds.append(hit[2])
            newlines.append(hit[3])
        n = len(forms)
        if not n:
            return forms, []
        # The sentencizer's rule (its state ignores the line-break starts, as in spaCy), plus a
        # start after every token holding a line break.
        starts = [0]
        seen_end = kinds[0] == 2
        for i in range(1, n):
            k = kinds[i]
            if seen_end and k == 0:
                starts.append(i)
                seen_end = False
            elif newlines[i - 1]:
                starts.append(i)
            if k == 2:
                seen_end = True
        bounds = [*starts, n]
        sents = [(a, b, idx[a], idx[b - 1] + lengths[b - 1]) for a, b in itertools.pairwise(bounds)]
        return forms, sents


def _feature_form(lex: Any, lemma: str | None) -> str | None:
    """Feature form of a token or lexeme: None for space and punctuation, ``<url>``, ``<num>``,
    else the lower-cased lemma (``lemma`` None: the lower-cased text)."""
    if lex.is_space or lex.is_punct:
        return None
    if lex.like_url:
        return "<url>"
    if lex.like_num and any(c.isdigit() for c in lex.text):
        return "<num>"
    if lemma is not None:
        return fold_cyrillic((lemma or lex.text).lower())
    return lex.lower_


def _match_word(text: str, lemma: Any) -> str:
    return fold_cyrillic((lemma(text) if lemma is not None else text).lower())


def token_form(tok: Any, lemmatize: bool) -> str | None:
    """Feature form of one token: lemma (or lower-case text), ``<url>``, ``<num>`` or None."""
    return _feature_form(tok, tok.lemma_ if lemmatize else None)


@functools.lru_cache(maxsize=8)
def build_nlp(spacy_model: str = DEFAULT_SPACY, lemmatize: bool = True) -> Language:
    """The spaCy pipeline for preprocessing.

    ``"blank:en"`` (default) is ``spacy.blank("en")`` plus rule-based components: line-break
    sentence starts, the sentencizer and, when spacy-lookups-data is installed, a lookup
    lemmatizer. Any other value is the name or path of an installed spaCy pipeline; nothing is
    ever downloaded.
    """
    if spacy_model.startswith("blank:"):
        nlp = spacy.blank(spacy_model.split(":", 1)[1] or "en")
    else:
        try:
            nlp = spacy.load(spacy_model, exclude=["ner", "textcat", "textcat_multilabel"])
        except OSError:
            raise InputError(
                f"spaCy pipeline {spacy_model!r} is not installed (narratives never downloads "
                "models; install it with pip or use the default 'blank:en')"
            ) from None
    has_sents = any(n in nlp.pipe_names for n in ("parser", "senter", "sentencizer"))
    first = nlp.pipe_names[0] if nlp.pipe_names else None
    if first:
        nlp.add_pipe("narratives_line_breaks", before=first)
    else:
        nlp.add_pipe("narratives_line_breaks")
    if not has_sents:
        nlp.add_pipe("sentencizer")
    if lemmatize and "lemmatizer" not in nlp.pipe_names and spacy_model.startswith("blank:"):
        mode = "pymorphy3_lookup" if nlp.lang in MORPH_LANGUAGES else "lookup"
        try:
            nlp.add_pipe("lemmatizer", config={"mode": mode})
            nlp.initialize()
        except Exception as exc:  # lookup tables or dictionaries missing: lower-case forms
            log.warning("lookup lemmatizer unavailable (%s); using lower-case tokens", exc)
            if "lemmatizer" in nlp.pipe_names:
                nlp.remove_pipe("lemmatizer")
    nlp.max_length = 2_000_000
    if isinstance(nlp.tokenizer, Tokenizer):  # not the custom tokenizers (ja, zh, ko, ...)
        nlp.tokenizer.max_cache_size = max(nlp.tokenizer.max_cache_size, TOKENIZER_CACHE)
    return nlp


@functools.lru_cache(maxsize=1)
def load_gazetteer() -> dict[str, Any]:
    text = resources.files("narratives.resources").joinpath("gazetteer.yaml").read_text("utf-8")
    # libyaml's parser when PyYAML has it (the same safe constructor, a tenth of the time: the
    # gazetteer is read by every process that tags; tested to give the same entries).
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))["entries"]


class Matchers:
    """Phrase matchers for taxonomy cues, stance cues and the actor gazetteer.

    Match ids are strings: ``"cue:<frame>"``, ``"stance:<stance>"``, ``"actor:<key>"``. In a
    pymorphy3 language (Russian, Ukrainian) phrases are matched on lemmas, so one cue phrase
    finds every inflected form ("искусственное государство", "искусственного государства");
    elsewhere on lower-cased text. Acronyms in the gazetteer's ``exact`` lists match by case.
    """

    def __init__(
        self, nlp: Language, cues: dict[str, list[str]], stance_cues: dict[str, list[str]]
    ):
        self.lemma = lemma_of(nlp.lang)
        self.lower = PhraseMatcher(nlp.vocab, attr="ORTH" if self.lemma else "LOWER")
        self.exact = PhraseMatcher(nlp.vocab, attr="ORTH")
        self.vocab = nlp.vocab
        make = self._pattern(nlp)
        for label, phrases in cues.items():
            self.lower.add(f"cue:{label}", [make(p) for p in phrases if p.strip()])
        for stance, phrases in stance_cues.items():
            self.lower.add(f"stance:{stance}", [make(p) for p in phrases if p.strip()])
        for key, entry in load_gazetteer().items():
            names = entry.get("names") or []
            if names:
                self.lower.add(f"actor:{key}", [make(n) for n in names])
            exact = entry.get("exact") or []
            if exact:
                self.exact.add(f"actor:{key}", [nlp.make_doc(n) for n in exact])
        self.strings = nlp.vocab.strings
        self.actor_types = {k: v.get("type", "other") for k, v in load_gazetteer().items()}

    def _pattern(self, nlp: Language) -> Any:
        if self.lemma is None:
            return lambda phrase: nlp.make_doc(phrase.lower())
        lemma = self.lemma
        return lambda phrase: Doc(
            nlp.vocab, words=[_match_word(t.text, lemma) for t in nlp.make_doc(phrase)]
        )

    def __call__(self, doc: Doc, words: list[str] | None = None) -> list[tuple[str, int, int]]:
        """``(match id, start char, end char)`` of every match, exact acronyms de-duplicated.

        ``words``: the doc's match words in a lemma language (:meth:`LookupForms.match_words`;
        computed from the tokens when not given).
        """
        out = []
        seen = set()
        target = doc
        if self.lemma is not None:
            if words is None:
                words = [_match_word(t.text, self.lemma) for t in doc]
            target = Doc(self.vocab, words=words) if words else doc
        for matcher, on in ((self.lower, target), (self.exact, doc)):
            for mid, s, e in matcher(on):
                key = (self.strings[mid], s, e)
                if key not in seen:
                    seen.add(key)
                    span = doc[s:e]
                    out.append((key[0], span.start_char, span.end_char))
        return out
