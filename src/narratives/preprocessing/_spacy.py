"""Building the spaCy pipeline and the taxonomy / gazetteer phrase matchers."""

from __future__ import annotations

import functools
import logging
from importlib import resources
from typing import Any

import spacy
import yaml
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from .._exceptions import InputError

__all__ = ["Matchers", "build_nlp", "load_gazetteer"]

log = logging.getLogger(__name__)
DEFAULT_SPACY = "blank:en"


@Language.component("narratives_line_breaks")
def line_breaks(doc: Doc) -> Doc:
    """Start a sentence after every line break, so headings and list items stand alone."""
    for tok in doc[:-1]:
        if "\n" in tok.text:
            doc[tok.i + 1].is_sent_start = True
    return doc


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
        try:
            nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
            nlp.initialize()
        except Exception as exc:  # spacy-lookups-data missing: degrade to lower-case forms
            log.warning("lookup lemmatizer unavailable (%s); using lower-case tokens", exc)
            if "lemmatizer" in nlp.pipe_names:
                nlp.remove_pipe("lemmatizer")
    nlp.max_length = 2_000_000
    return nlp


@functools.lru_cache(maxsize=1)
def load_gazetteer() -> dict[str, Any]:
    text = resources.files("narratives.resources").joinpath("gazetteer.yaml").read_text("utf-8")
    return yaml.safe_load(text)["entries"]


class Matchers:
    """Phrase matchers for taxonomy cues, stance cues and the actor gazetteer.

    Match ids are strings: ``"cue:<frame>"``, ``"stance:<stance>"``, ``"actor:<key>"``.
    """

    def __init__(
        self, nlp: Language, cues: dict[str, list[str]], stance_cues: dict[str, list[str]]
    ):
        self.lower = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.exact = PhraseMatcher(nlp.vocab, attr="ORTH")
        make = nlp.make_doc
        for label, phrases in cues.items():
            self.lower.add(f"cue:{label}", [make(p.lower()) for p in phrases if p.strip()])
        for stance, phrases in stance_cues.items():
            self.lower.add(f"stance:{stance}", [make(p.lower()) for p in phrases if p.strip()])
        for key, entry in load_gazetteer().items():
            names = entry.get("names") or []
            if names:
                self.lower.add(f"actor:{key}", [make(n.lower()) for n in names])
            exact = entry.get("exact") or []
            if exact:
                self.exact.add(f"actor:{key}", [make(n) for n in exact])
        self.strings = nlp.vocab.strings
        self.actor_types = {k: v.get("type", "other") for k, v in load_gazetteer().items()}

    def __call__(self, doc: Doc) -> list[tuple[str, int, int]]:
        """``(match id, start char, end char)`` of every match, exact acronyms de-duplicated."""
        out = []
        seen = set()
        for matcher in (self.lower, self.exact):
            for mid, s, e in matcher(doc):
                key = (self.strings[mid], s, e)
                if key not in seen:
                    seen.add(key)
                    span = doc[s:e]
                    out.append((key[0], span.start_char, span.end_char))
        return out
