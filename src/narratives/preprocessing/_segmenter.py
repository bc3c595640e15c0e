"""Segmentation without scikit-learn: :class:`Segmenter` holds everything
:class:`~narratives.preprocessing.Preprocessor` does (normalise, spaCy, passages, cue and actor
matches); the Preprocessor adds the scikit-learn estimator API on top. Tagging a model loaded
from disk uses :class:`LeanPreprocessor`, which reads the same saved state, so that tagging one
document does not import scikit-learn (issue 15)."""

from __future__ import annotations

import bisect
import functools
import inspect
import json
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from spacy import util as spacy_util

from .._exceptions import InputError
from ._boilerplate import classify_line
from ._language import document_language, guess_language
from ._normalize import normalize
from ._spacy import DEFAULT_SPACY, LookupForms, Matchers, build_nlp, token_form
from ._units import Passage, Processed, Segmented, _as_taxonomy

log = logging.getLogger(__name__)

__all__ = ["BLOCK_CHARS", "LeanPreprocessor", "Segmenter"]

#: spaCy sees the text in blocks of at most this many characters (cut at line breaks).
BLOCK_CHARS = 100_000


# Components of a blank: pipeline that LookupForms replaces.
_LEXICAL_PIPES = ("narratives_line_breaks", "sentencizer", "lemmatizer")


@functools.lru_cache(maxsize=8)
def _lookup_forms(spacy_model: str, lemmatize: bool) -> LookupForms:
    return LookupForms(build_nlp(spacy_model, lemmatize), lemmatize)


@functools.lru_cache(maxsize=16)
def _matchers(spacy_model: str, lemmatize: bool, cue_blob: str) -> Matchers:
    cues, stance = json.loads(cue_blob)
    return Matchers(build_nlp(spacy_model, lemmatize), cues, stance)


class Segmenter:
    """The preprocessing stage's work: text -> :class:`Segmented` documents and
    :class:`Processed` records. Parameters as :class:`~narratives.preprocessing.Preprocessor`."""

    def __init__(
        self,
        spacy_model: str = DEFAULT_SPACY,
        lemmatize: bool = True,
        taxonomy: Any = None,
        passage_sentences: int = 3,
        max_passage_chars: int = 1000,
        max_chars: int = 2_000_000,
        batch_size: int = 64,
        languages: Any = "auto",
        force_language: str | None = None,
    ):
        self.spacy_model = spacy_model
        self.lemmatize = lemmatize
        self.taxonomy = taxonomy
        self.passage_sentences = passage_sentences
        self.max_passage_chars = max_passage_chars
        self.max_chars = max_chars
        self.batch_size = batch_size
        self.languages = languages
        self.force_language = force_language

    def __setstate__(self, state: dict[str, Any]) -> None:
        # Preprocessors saved before languages existed tagged English only.
        state.setdefault("languages", "auto")
        state.setdefault("force_language", None)
        if "taxonomy_" in state:
            state.setdefault("languages_", ["en"])
        self.__dict__.update(state)

    def fit(self, X: Iterable[str] | None = None, y: Any = None) -> Segmenter:
        if self.passage_sentences < 1 or self.max_passage_chars < 50 or self.max_chars < 1:
            raise InputError("passage_sentences >= 1, max_passage_chars >= 50, max_chars >= 1")
        tax = _as_taxonomy(self.taxonomy)
        self.taxonomy_ = tax.to_dict()
        self.cue_blob_ = json.dumps(
            [tax.cues(), {k: list(v) for k, v in tax.stance_cues.items()}], sort_keys=True
        )
        self.languages_ = self._fit_languages(X)
        return self

    def _fit_languages(self, X: Iterable[str] | None) -> list[str]:
        primary = self.nlp.lang
        if self.languages != "auto":
            wanted = [self.languages] if isinstance(self.languages, str) else self.languages
            langs = [str(x).strip().lower() for x in wanted]
        else:
            texts = [] if X is None else [t for t in X if isinstance(t, str)]
            counts = Counter(document_language(normalize(t[:3000]).text) for t in texts)
            floor = max(3, 0.01 * len(texts))
            langs = [lang for lang, n in counts.most_common() if n >= floor]
        out = [primary]
        for lang in langs:
            if lang in out:
                continue
            try:
                spacy_util.get_lang_class(lang)
            except Exception:
                if self.languages != "auto":
                    raise InputError(f"no spaCy tokenizer for language {lang!r}") from None
                log.warning("no spaCy tokenizer for language %r: its texts stay untagged", lang)
                continue
            out.append(lang)
        return out

    def _route(self, lang: str) -> str:
        """The spaCy pipeline of a document in ``lang`` (a fitted language)."""
        if self.spacy_model.startswith("blank:") or lang != self.nlp.lang:
            return f"blank:{lang}"
        return self.spacy_model

    def transform(self, X: Iterable[str]) -> list[Processed]:
        """Document-level :class:`Processed` record per text (boilerplate left out)."""
        return [s.document for s in self.segment(X)]

    # segmentation -------------------------------------------------------------
    @property
    def nlp(self):
        return build_nlp(self.spacy_model, self.lemmatize)

    def segment(self, X: Iterable[str], lang: str | None = None) -> list[Segmented]:
        """Split each text into passages with offsets into the original text.

        Each document goes to the pipeline of its detected language (``lang``, or the
        ``force_language`` parameter, forces one for all; it must be one of ``languages_``).
        """
        texts = list(_check_texts(X))
        if not hasattr(self, "cue_blob_"):
            self.fit()
        langs = self.languages_
        lang = lang or self.force_language
        if lang is not None and lang not in langs:
            raise InputError(f"language {lang!r} is not one this model tags ({', '.join(langs)})")
        prepared = []
        # Blocks per pipeline, so nlp.pipe batches across the documents of one language.
        by_route: dict[str, list[tuple[int, int, str]]] = {}
        for i, text in enumerate(texts):
            truncated = len(text) > self.max_chars
            original = text[: self.max_chars] if truncated else text
            norm = normalize(original)
            doc_lang = lang or (document_language(norm.text) if len(langs) > 1 else langs[0])
            route = self._route(doc_lang if doc_lang in langs else langs[0])
            prepared.append((original, norm, truncated, doc_lang))
            for b_start, b_text in _blocks(norm.text):
                by_route.setdefault(route, []).append((i, b_start, b_text))
        per_doc: list[list[tuple[int, str, Any]]] = [[] for _ in texts]
        contexts: list[Any] = [None] * len(texts)
        for route, items in by_route.items():
            ctx = self._context(route)
            nlp = build_nlp(route, self.lemmatize)
            docs = nlp.pipe([b for _, _, b in items], batch_size=self.batch_size, disable=ctx[3])
            for (i, b_start, b_text), doc in zip(items, docs, strict=True):
                per_doc[i].append((b_start, b_text, doc))
                contexts[i] = ctx
        empty = self._context(self._route(langs[0]))
        return [
            self._segment_one(prep, per_doc[i], contexts[i] or empty, lang)
            for i, prep in enumerate(prepared)
        ]

    def _context(self, route: str) -> tuple[Matchers, bool, LookupForms | None, list[str]]:
        """Matchers, lemmatize flag, fast lexical path and disabled pipes of one pipeline."""
        nlp = build_nlp(route, self.lemmatize)
        # In a blank: pipeline every component is a rule over token texts (line breaks,
        # sentencizer, lemmatizer): skip them and let LookupForms compute the same
        # sentences and forms from token ids, each distinct token once.
        lookup = _lookup_forms(route, self.lemmatize) if route.startswith("blank:") else None
        disable = [] if lookup is None else [n for n in nlp.pipe_names if n in _LEXICAL_PIPES]
        return (
            _matchers(route, self.lemmatize, self.cue_blob_),
            self.lemmatize and "lemmatizer" in nlp.pipe_names,
            lookup,
            disable,
        )

    def _segment_one(self, prep, docs, context, forced) -> Segmented:
        original, norm, truncated, doc_lang = prep
        matchers, lemmatize, lookup, _ = context
        ntext = norm.text
        # Line kinds, indexed by normalised line start.
        line_starts, line_kinds, para_breaks = [], [], []  # para_breaks: ascending line indices
        pos = 0
        for line in ntext.split("\n"):
            kind = classify_line(line)
            line_starts.append(pos)
            line_kinds.append(kind)
            if kind == "blank":
                para_breaks.append(len(line_starts) - 1)
            pos += len(line) + 1

        # Sentences as (norm start, norm end, line index, feature forms).
        sents = []
        matches: list[tuple[str, int, int]] = []
        cap = self.max_passage_chars
        for b_start, dtext, doc in docs:
            words = lookup.match_words(doc) if lookup is not None and matchers.lemma else None
            for mid, s, e in matchers(doc, words):
                matches.append((mid, b_start + s, b_start + e))
            idx = doc.to_array("IDX").tolist()
            if lookup is not None:
                forms, doc_sents = lookup(doc, idx)
            else:
                forms = [token_form(t, lemmatize) for t in doc]
                doc_sents = [(s.start, s.end, s.start_char, s.end_char) for s in doc.sents]
            for t0, t1, c0, c1 in doc_sents:
                stext = dtext[c0:c1]
                stripped = stext.strip()
                if not stripped:
                    continue
                lead = len(stext) - len(stext.lstrip())
                s0 = b_start + c0 + lead
                s1 = s0 + len(stripped)
                li = bisect.bisect_right(line_starts, s0) - 1
                if s1 - s0 <= cap:
                    sents.append((s0, s1, li, [f for f in forms[t0:t1] if f is not None]))
                else:  # token positions only for the rare sentence that must be cut
                    toks = [
                        (b_start + idx[k], forms[k]) for k in range(t0, t1) if forms[k] is not None
                    ]
                    sents.extend(self._split_long(s0, s1, li, toks))
        matches.sort(key=lambda m: m[1])
        sents = _snap_sentences(sents, norm)

        # Group sentences into passages.
        groups: list[tuple[str, list]] = []
        cur: list = []
        cur_kind = "text"
        n_text = 0

        def close() -> None:
            nonlocal cur, n_text, cur_kind
            if cur:
                groups.append((cur_kind if n_text or cur_kind == "boilerplate" else "heading", cur))
            cur, n_text, cur_kind = [], 0, "text"

        prev_line = -1
        for sent in sents:
            s0, s1, li, _ = sent
            kind = line_kinds[li]
            # a blank line strictly between the previous sentence's line and this one
            crossed_para = prev_line >= 0 and bisect.bisect_right(
                para_breaks, prev_line
            ) < bisect.bisect_left(para_breaks, li)
            if kind == "boilerplate":
                if cur_kind != "boilerplate" or crossed_para:
                    close()
                cur_kind = "boilerplate"
                cur.append(sent)
            elif kind == "heading":
                if cur_kind == "boilerplate" or n_text:
                    close()
                cur.append(sent)
            else:
                # A heading is attached to the text that follows it, even across a blank line.
                if cur_kind == "boilerplate" or (crossed_para and n_text):
                    close()
                if n_text and (
                    n_text >= self.passage_sentences or s1 - cur[0][0] > self.max_passage_chars
                ):
                    close()
                cur.append(sent)
                n_text += 1
            prev_line = li
        close()

        passages: list[Passage] = []
        doc_parts: list[Processed] = []
        for kind, group in groups:
            n0, n1 = group[0][0], group[-1][1]
            o0, o1 = norm.span_to_original(n0, n1)
            proc = self._processed(ntext, (n0, n1), group, matches, norm, (forced, doc_lang))
            passages.append(
                Passage(
                    index=len(passages),
                    start=o0,
                    end=o1,
                    kind=kind,
                    processed=proc,
                    sentences=[norm.span_to_original(s[0], s[1]) for s in group],
                    taggable=kind == "text" and proc.lang in self.languages_,
                )
            )
            if kind != "boilerplate":
                doc_parts.append(proc)
        document = _merge(doc_parts)
        return Segmented(
            passages=passages,
            document=document,
            n_chars=len(original),
            truncated=truncated,
            supported=document.lang in self.languages_,
        )

    def _split_long(self, s0, s1, li, toks):
        """Cut a sentence longer than ``max_passage_chars`` at token starts (``toks``: (norm
        start, form)); the pieces carry their forms."""
        cap = self.max_passage_chars
        out, start, chunk = [], s0, []
        for p, f in toks:
            if p - start > cap and chunk:
                out.append((start, p, li, chunk))
                start, chunk = p, []
            chunk.append((p, f))
        # Tokens without feature forms (punctuation runs) can still leave a giant span: hard cut.
        pieces = [*out, (start, s1, li, chunk)]
        final = []
        for a, b, li_, ch in pieces:
            while b - a > cap:
                final.append((a, a + cap, li_, [f for p, f in ch if a <= p < a + cap]))
                ch = [t for t in ch if t[0] >= a + cap]
                a += cap
            final.append((a, b, li_, [f for _, f in ch]))
        return final

    @staticmethod
    def _processed(ntext, span, group, matches, norm, langs) -> Processed:
        """``langs``: the forced language (or None) and the document's language."""
        n0, n1 = span
        forms = [f for sent in group for f in sent[3]]
        counts: dict[str, dict[str, int]] = {"cue": {}, "actor": {}, "stance": {}}
        hits = []
        lo = bisect.bisect_left(matches, n0, key=lambda m: m[1])
        for mid, s, e in matches[lo:]:
            if s >= n1:
                break
            kind, _, name = mid.partition(":")
            c = counts[kind]
            c[name] = c.get(name, 0) + 1
            if kind != "actor":  # cues and stance cues are evidence
                hits.append((mid, *norm.span_to_original(s, e)))
        text = ntext[n0:n1]
        return Processed(
            tokens=" ".join(forms),
            text=text,
            cues=counts["cue"],
            actors=counts["actor"],
            stance=counts["stance"],
            n_words=len(forms),
            lang=langs[0] or guess_language(forms, text, hint=langs[1]),
            hits=hits,
        )


class LeanPreprocessor(Segmenter):
    """The saved state of a :class:`~narratives.preprocessing.Preprocessor`, for tagging only:
    what a model loaded from disk segments with (``get_params``/``set_params`` over the same
    parameters; no fitting API)."""

    #: The Preprocessor's parameters (those of ``__init__``).
    _PARAMS = tuple(inspect.signature(Segmenter.__init__).parameters)[1:]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._PARAMS}

    def set_params(self, **params: Any) -> LeanPreprocessor:
        bad = [name for name in params if name not in self._PARAMS]
        if bad:
            raise ValueError(f"Invalid parameter {bad[0]!r} for LeanPreprocessor")
        for name, value in params.items():
            setattr(self, name, value)
        return self


def _snap_sentences(sents: list, norm: Any) -> list:
    """Move sentence boundaries that fall inside a replaced piece (``\u2026`` -> ``...``) out of
    it, so no two sentences share one original character: a start goes back to the piece's start
    when the sentence before ends there (so the piece stays covered; e.g. a line break composed
    with a combining mark), else forward to its end like every end; a sentence left empty joins
    the one before it."""
    out: list = []
    for s0, s1, li, toks in sents:
        back = norm.snap_back(s0)
        s0 = back if back < s0 and (not out or out[-1][1] <= back) else norm.snap(s0)
        s1 = norm.snap(s1)
        if out and s0 < out[-1][1]:
            s0 = out[-1][1]
        if s0 >= s1:
            if out:
                p0, p1, pli, ptoks = out[-1]
                out[-1] = (p0, max(p1, s1), pli, ptoks + toks)
            continue
        out.append((s0, s1, li, toks))
    return out


def _merge(parts: Sequence[Processed]) -> Processed:
    if not parts:
        return Processed()
    if len(parts) == 1:
        return parts[0]
    cues: Counter[str] = Counter()
    actors: Counter[str] = Counter()
    stance: Counter[str] = Counter()
    words_by_lang: Counter[str] = Counter()
    for p in parts:
        cues.update(p.cues)
        actors.update(p.actors)
        stance.update(p.stance)
        words_by_lang[p.lang] += max(p.n_words, 1)
    return Processed(
        tokens=" ".join(p.tokens for p in parts if p.tokens),
        text="\n".join(p.text for p in parts),
        cues=dict(cues),
        actors=dict(actors),
        stance=dict(stance),
        n_words=sum(p.n_words for p in parts),
        lang=words_by_lang.most_common(1)[0][0],
        hits=[h for p in parts for h in p.hits],
    )


def _blocks(text: str) -> list[tuple[int, str]]:
    """Cut text into pieces of at most BLOCK_CHARS, preferring line breaks, then spaces."""
    if len(text) <= BLOCK_CHARS:
        return [(0, text)] if text else []
    out, start = [], 0
    while start < len(text):
        end = min(start + BLOCK_CHARS, len(text))
        if end < len(text):
            cut = text.rfind("\n", start + BLOCK_CHARS // 2, end)
            if cut < 0:
                cut = text.rfind(" ", start + BLOCK_CHARS // 2, end)
            if cut > start:
                end = cut + 1
        out.append((start, text[start:end]))
        start = end
    return out


def _check_texts(X: Iterable[Any]) -> Iterable[str]:
    if isinstance(X, str):
        raise InputError("expected a list of texts, got a single string")
    for i, t in enumerate(X):
        if not isinstance(t, str):
            raise InputError(f"text #{i} is {type(t).__name__}, not a string")
        yield t
