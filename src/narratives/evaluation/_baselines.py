"""Baselines trained and scored on the same folds as the narratives model.

* :class:`MajorityBaseline` – predicts the most frequent training label set for every text; its
  scores are the training label priors.
* :class:`CueLexiconBaseline` – keyword search: a frame is predicted when its cue phrases occur.
  Uses the taxonomy's ``cues``; a taxonomy without cues (SemEval's) gets a lexicon derived from
  the training folds only (top log-odds n-grams per label, hit count threshold tuned on the
  training fold).
* :class:`SpacyBowBaseline` – spaCy's own ``textcat_multilabel`` with the bag-of-words architecture
  (``spacy.TextCatBOW.v3``) on ``spacy.blank("en")``: what a spaCy user would train instead.
"""

from __future__ import annotations

import logging
import math
import random
import re
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd

from .._exceptions import InputError
from .._taxonomy import Taxonomy
from ._metrics import binarize
from ._systems import Predictions
from ._thresholds import best_threshold

__all__ = [
    "BASELINES",
    "CrossFittedThresholds",
    "CueLexiconBaseline",
    "MajorityBaseline",
    "SpacyBowBaseline",
    "make_baseline",
]

log = logging.getLogger(__name__)


def _fine_sets(frame: pd.DataFrame, none: str) -> list[list[str]]:
    return [[x for x in f if x != none] for f in frame["frames"]]


def _coarse_of(fine: Iterable[str], tax: Taxonomy) -> list[str]:
    parents = tax._parents
    fams = {parents[f] for f in fine if f in parents}
    return [c for c in tax.coarse_labels if c in fams]


def _coarse_scores(P: np.ndarray, tax: Taxonomy) -> np.ndarray:
    """Coarse score = the highest score among a family's frames."""
    fine = tax.fine_labels
    out = np.zeros((P.shape[0], len(tax.coarse_labels)))
    for c, fam in enumerate(tax.coarse_labels):
        cols = [j for j, f in enumerate(fine) if tax.parent(f) == fam]
        if cols:
            out[:, c] = P[:, cols].max(axis=1)
    return out


# ------------------------------------------------------------------------------ majority
class MajorityBaseline:
    """Predict the training folds' most frequent label set for every text (ties: the first seen).

    With many documents labelled ``Other``/none this is the "always none" baseline; its scores
    (each label's training prevalence) make a calibrated but uninformative probability.
    """

    name = "majority"
    title = "majority label set (prior)"

    def __init__(self, taxonomy: Taxonomy):
        self.taxonomy = taxonomy

    def info(self) -> dict[str, Any]:
        return {
            "description": "the most frequent training label set for every text; scores are the training label priors"
        }

    def fit(self, frame: pd.DataFrame, taxonomy: Taxonomy | None = None) -> MajorityBaseline:
        tax = self.taxonomy
        sets = _fine_sets(frame, tax.none_label)
        counts = Counter(tuple(sorted(s)) for s in sets)
        self.labels_ = list(max(counts.items(), key=lambda kv: kv[1])[0]) if counts else []
        Y = np.zeros((len(sets), len(tax.fine_labels)))
        idx = {f: j for j, f in enumerate(tax.fine_labels)}
        for r, s in enumerate(sets):
            for f in s:
                if f in idx:
                    Y[r, idx[f]] = 1
        self.prior_fine_ = Y.mean(axis=0) if len(sets) else np.zeros(len(tax.fine_labels))
        Yc = np.zeros((len(sets), len(tax.coarse_labels)))
        cidx = {c: j for j, c in enumerate(tax.coarse_labels)}
        for r, s in enumerate(sets):
            for c in _coarse_of(s, tax):
                Yc[r, cidx[c]] = 1
        self.prior_coarse_ = Yc.mean(axis=0) if len(sets) else np.zeros(len(tax.coarse_labels))
        return self

    def predict(self, texts: Sequence[str], gold_fine: Any = None) -> Predictions:
        t0 = time.perf_counter()
        n = len(texts)
        fine = [list(self.labels_) for _ in range(n)]
        coarse = [_coarse_of(self.labels_, self.taxonomy) for _ in range(n)]
        Pf = np.tile(self.prior_fine_, (n, 1))
        Pc = np.tile(self.prior_coarse_, (n, 1))
        return Predictions(fine, coarse, Pf, Pc, None, True, [], time.perf_counter() - t0)


# ---------------------------------------------------------------------------- cue lexicon
_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
_QUOTES = str.maketrans({"’": "'", "‘": "'", "‐": "-", "‑": "-", "–": "-", "—": "-"})


def _norm(text: str) -> str:
    return text.lower().translate(_QUOTES)


def _phrase_pattern(phrases: Iterable[str]) -> re.Pattern | None:
    parts = sorted({_norm(p).strip() for p in phrases if p.strip()}, key=len, reverse=True)
    if not parts:
        return None
    alts = [r"\s+".join(re.escape(w) for w in p.split()) for p in parts]
    return re.compile(r"(?<![\w'])(?:" + "|".join(alts) + r")(?![\w'])")


@lru_cache(maxsize=1)
def _english_stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


def _ngrams(text: str, stop: frozenset[str]) -> set[str]:
    words = _WORD.findall(_norm(text))
    out = {w for w in words if w not in stop and len(w) > 2 and not w.isdigit()}
    for a, b in pairwise(words):
        if (a not in stop or b not in stop) and not (a.isdigit() or b.isdigit()):
            out.add(f"{a} {b}")
    return out


class CueLexiconBaseline:
    """Keyword search over cue phrases (case-insensitive, whole words).

    Parameters
    ----------
    taxonomy : Taxonomy
    lexicon : {"auto", "taxonomy", "derived"}
        ``taxonomy``: the taxonomy's ``cues``; a frame is predicted when at least one of its cues
        occurs (the score is the number of cue hits). ``derived``: for each label with at least
        ``min_positives`` training texts, the ``n_terms`` unigrams/bigrams with the highest smoothed
        log-odds of occurring in its texts rather than in the others (training folds only); a
        label is predicted when at least ``m`` distinct terms occur, ``m`` chosen per label for F1
        on the training fold. ``auto``: taxonomy cues when the taxonomy has any, else derived.
    """

    name = "cue_lexicon"
    title = "cue lexicon (keyword search)"

    def __init__(
        self,
        taxonomy: Taxonomy,
        lexicon: str = "auto",
        n_terms: int = 20,
        min_positives: int = 2,
        min_df: int = 2,
    ):
        self.taxonomy = taxonomy
        self.lexicon = lexicon
        self.n_terms = n_terms
        self.min_positives = min_positives
        self.min_df = min_df

    @property
    def mode(self) -> str:
        if self.lexicon != "auto":
            return self.lexicon
        return "taxonomy" if self.taxonomy.cues() else "derived"

    def info(self) -> dict[str, Any]:
        if self.mode == "taxonomy":
            d = "a frame is predicted when one of its taxonomy cue phrases occurs (no training)"
        else:
            d = (
                f"the taxonomy has no cue phrases, so a lexicon is derived from the training folds only: top {self.n_terms} "
                f"log-odds unigrams/bigrams per label (labels with >= {self.min_positives} training texts), hit threshold "
                "tuned per label on the training fold"
            )
        out: dict[str, Any] = {"description": d, "lexicon": self.mode}
        if getattr(self, "terms_", None):
            out["example_terms"] = {lab: t[:8] for lab, t in list(self.terms_.items())[:10]}
        return out

    def fit(self, frame: pd.DataFrame, taxonomy: Taxonomy | None = None) -> CueLexiconBaseline:
        tax = self.taxonomy
        if self.mode == "taxonomy":
            self.terms_ = {f: list(c) for f, c in tax.cues().items()}
            self.min_hits_ = dict.fromkeys(self.terms_, 1)
        else:
            self._derive(frame["text"].tolist(), _fine_sets(frame, tax.none_label))
        if self.mode == "taxonomy":
            pats = {f: _phrase_pattern(t) for f, t in self.terms_.items()}
            self.patterns_ = {f: p for f, p in pats.items() if p is not None}
        else:
            self.patterns_ = {}
            self.term_sets_ = {f: frozenset(t) for f, t in self.terms_.items()}
        return self

    def _derive(self, texts: list[str], sets: list[list[str]]) -> None:
        stop = _english_stop_words()
        grams = [_ngrams(t, stop) for t in texts]
        n = len(texts)
        df_all: Counter[str] = Counter()
        for g in grams:
            df_all.update(g)
        self.terms_, self.min_hits_ = {}, {}
        for lab in self.taxonomy.fine_labels:
            pos = [i for i, s in enumerate(sets) if lab in s]
            if len(pos) < self.min_positives or len(pos) == n:
                continue
            df_pos: Counter[str] = Counter()
            for i in pos:
                df_pos.update(grams[i])
            npos, nneg = len(pos), n - len(pos)
            scored = []
            for term, a in df_pos.items():
                if a < self.min_df:
                    continue
                b = df_all[term] - a
                lo = math.log((a + 0.5) / (npos - a + 0.5)) - math.log((b + 0.5) / (nneg - b + 0.5))
                scored.append((lo, a, term))
            scored.sort(key=lambda t: (-t[0], -t[1], t[2]))
            terms = [t for _, _, t in scored[: self.n_terms]]
            if not terms:
                continue
            hits = np.array([len(grams[i].intersection(terms)) for i in range(n)])
            y = np.zeros(n, dtype=bool)
            y[pos] = True
            best_m, best_f = 1, -1.0
            for m in range(1, len(terms) + 1):
                pred = hits >= m
                tp = int((pred & y).sum())
                f = 2 * tp / (pred.sum() + y.sum())
                if f > best_f + 1e-12:
                    best_m, best_f = m, f
            self.terms_[lab] = terms
            self.min_hits_[lab] = best_m

    def _hits(self, text: str) -> dict[str, int]:
        """Cue hits per label: occurrences of taxonomy cues, or distinct derived terms present."""
        out = {}
        if self.mode == "derived":
            grams = _ngrams(text, _english_stop_words())
            for f, terms in self.term_sets_.items():
                h = len(grams & terms)
                if h:
                    out[f] = h
            return out
        t = _norm(text)
        for f, pat in self.patterns_.items():
            found = pat.findall(t)
            if found:
                out[f] = len(found)
        return out

    def predict(self, texts: Sequence[str], gold_fine: Any = None) -> Predictions:
        t0 = time.perf_counter()
        tax = self.taxonomy
        fidx = {f: j for j, f in enumerate(tax.fine_labels)}
        S = np.zeros((len(texts), len(tax.fine_labels)))
        fine = []
        for r, text in enumerate(texts):
            hits = self._hits(text)
            labs = [f for f in tax.fine_labels if hits.get(f, 0) >= self.min_hits_.get(f, 1)]
            for f, h in hits.items():
                S[r, fidx[f]] = h
            fine.append(labs)
        coarse = [_coarse_of(f, tax) for f in fine]
        seconds = time.perf_counter() - t0
        return Predictions(fine, coarse, S, _coarse_scores(S, tax), None, False, [], seconds)


# ------------------------------------------------------------------------------ spaCy BOW
class SpacyBowBaseline:
    """spaCy ``textcat_multilabel`` with ``spacy.TextCatBOW.v3`` on ``spacy.blank("en")``.

    One category per fine label and per family (a spaCy user with a two-level taxonomy would train
    both). Trained for a fixed number of ``epochs`` with Adam (spaCy's default optimizer),
    minibatches of ``batch_size`` texts and ``dropout``, all seeded. Predicted: categories scoring
    >= ``threshold`` (spaCy's own default 0.5); a family is also implied by a predicted frame.
    """

    name = "spacy_bow"
    title = "spaCy textcat_multilabel (TextCatBOW.v3)"

    def __init__(
        self,
        taxonomy: Taxonomy,
        epochs: int = 10,
        batch_size: int = 8,
        dropout: float = 0.1,
        ngram_size: int = 1,
        threshold: float = 0.5,
        seed: int = 0,
    ):
        self.taxonomy = taxonomy
        self.epochs = epochs
        self.batch_size = batch_size
        self.dropout = dropout
        self.ngram_size = ngram_size
        self.threshold = threshold
        self.seed = seed

    def info(self) -> dict[str, Any]:
        return {
            "description": "spaCy textcat_multilabel, architecture spacy.TextCatBOW.v3 (bag of words), spacy.blank('en'); "
            "one category per frame and per family; threshold 0.5",
            "params": {
                "epochs": self.epochs,
                "batch_size": self.batch_size,
                "dropout": self.dropout,
                "ngram_size": self.ngram_size,
                "threshold": self.threshold,
                "seed": self.seed,
            },
            "loss_per_epoch_last_fold": getattr(self, "losses_", None),
        }

    def _cats(self) -> tuple[list[str], list[str]]:
        return [f"F|{f}" for f in self.taxonomy.fine_labels], [
            f"C|{c}" for c in self.taxonomy.coarse_labels
        ]

    def fit(self, frame: pd.DataFrame, taxonomy: Taxonomy | None = None) -> SpacyBowBaseline:
        import spacy
        from spacy.training import Example
        from spacy.util import fix_random_seed, minibatch

        tax = self.taxonomy
        fix_random_seed(self.seed)
        nlp = spacy.blank("en")
        nlp.max_length = max(nlp.max_length, max((len(t) for t in frame["text"]), default=0) + 1)
        tc = nlp.add_pipe(
            "textcat_multilabel",
            config={
                "threshold": self.threshold,
                "model": {
                    "@architectures": "spacy.TextCatBOW.v3",
                    "exclusive_classes": False,
                    "ngram_size": self.ngram_size,
                    "no_output_layer": False,
                    "length": 262144,
                },
            },
        )
        fcats, ccats = self._cats()
        for c in fcats + ccats:
            tc.add_label(c)
        examples = []
        for text, labs in zip(frame["text"], _fine_sets(frame, tax.none_label), strict=True):
            s = set(labs)
            fams = set(_coarse_of(labs, tax))
            cats = {fc: float(f in s) for fc, f in zip(fcats, tax.fine_labels, strict=True)}
            cats.update(
                {cc: float(c in fams) for cc, c in zip(ccats, tax.coarse_labels, strict=True)}
            )
            examples.append(Example.from_dict(nlp.make_doc(text), {"cats": cats}))
        optimizer = nlp.initialize(lambda: examples)
        rng = random.Random(self.seed)
        self.losses_ = []
        for _ in range(self.epochs):
            rng.shuffle(examples)
            losses: dict[str, float] = {}
            for batch in minibatch(examples, size=self.batch_size):
                nlp.update(batch, sgd=optimizer, drop=self.dropout, losses=losses)
            self.losses_.append(round(losses.get("textcat_multilabel", 0.0), 5))
        self.nlp_ = nlp
        return self

    def predict(self, texts: Sequence[str], gold_fine: Any = None) -> Predictions:
        t0 = time.perf_counter()
        tax = self.taxonomy
        fcats, ccats = self._cats()
        n = len(texts)
        Pf, Pc = np.zeros((n, len(fcats))), np.zeros((n, len(ccats)))
        self.nlp_.max_length = max(
            self.nlp_.max_length, max((len(t) for t in texts), default=0) + 1
        )
        for r, doc in enumerate(self.nlp_.pipe(texts, batch_size=64)):
            Pf[r] = [doc.cats[c] for c in fcats]
            Pc[r] = [doc.cats[c] for c in ccats]
        fine = [
            [f for f, p in zip(tax.fine_labels, row, strict=True) if p >= self.threshold]
            for row in Pf
        ]
        coarse = []
        for r, row in enumerate(Pc):
            fams = {c for c, p in zip(tax.coarse_labels, row, strict=True) if p >= self.threshold}
            fams.update(_coarse_of(fine[r], tax))
            coarse.append([c for c in tax.coarse_labels if c in fams])
        return Predictions(fine, coarse, Pf, Pc, None, True, [], time.perf_counter() - t0)


class CrossFittedThresholds:
    """A probabilistic baseline's out-of-fold scores with per-label thresholds tuned the way the
    report tunes the model's: for each fold, every label's F1-maximising threshold on the *other*
    folds' out-of-fold scores (none label when nothing passes; a frame implies its family).

    No extra training. The thresholds never see the fold they are applied to, but the scores they are
    tuned on come from models that did train on it, so this is a (slightly) optimistic, cheap
    stand-in for tuning on a nested development split.
    """

    def __init__(self, base: Any, taxonomy: Taxonomy):
        self.base = base
        self.taxonomy = taxonomy
        self.name = f"{base.name}_tuned"
        self.title = f"{base.title} + tuned thresholds"

    def info(self) -> dict[str, Any]:
        return {
            "description": f"{self.base.name} scores with per-label F1-tuned thresholds, cross-fitted over the outer folds "
            "(each fold's thresholds tuned on the other folds' out-of-fold scores); no extra training",
            "thresholds_last_fold": getattr(self, "thresholds_", None),
        }

    def apply(
        self,
        pred: Predictions,
        gold_fine: list[list[str]],
        gold_coarse: list[list[str]],
        fold: np.ndarray,
    ) -> Predictions:
        """Re-decide ``pred`` (scores of every document, out of fold) fold by fold."""
        tax = self.taxonomy
        out_f: list[list[str]] = [[] for _ in gold_fine]
        out_c: list[list[str]] = [[] for _ in gold_fine]
        levels = (
            (tax.fine_labels, pred.proba_fine, binarize(gold_fine, tax.fine_labels)),
            (tax.coarse_labels, pred.proba_coarse, binarize(gold_coarse, tax.coarse_labels)),
        )
        for k in np.unique(fold):
            te, tr = np.flatnonzero(fold == k), np.flatnonzero(fold != k)
            decided = []
            for level, (labels, S, Y) in enumerate(levels):
                thr = np.full(
                    len(labels), self.base.threshold if hasattr(self.base, "threshold") else 0.5
                )
                for j in range(len(labels)):
                    b = best_threshold(Y[tr, j], S[tr, j]) if Y[tr, j].any() else None
                    if b is not None:
                        thr[j] = b["threshold"]
                decided.append(S[te] >= thr[None, :])
                if level == 0:
                    self.thresholds_ = {
                        lab: round(float(t), 4)
                        for lab, t in zip(labels, thr, strict=True)
                        if t != 0.5
                    }
            D_f, D_c = decided
            for r, i in enumerate(te):
                out_f[i] = [f for f, d in zip(tax.fine_labels, D_f[r], strict=True) if d]
                fams = {c for c, d in zip(tax.coarse_labels, D_c[r], strict=True) if d} | set(
                    _coarse_of(out_f[i], tax)
                )
                out_c[i] = [c for c in tax.coarse_labels if c in fams]
        return Predictions(
            out_f,
            out_c,
            pred.proba_fine,
            pred.proba_coarse,
            None,
            pred.probabilistic,
            [],
            pred.predict_seconds,
        )


BASELINES = {
    "majority": MajorityBaseline,
    "cue_lexicon": CueLexiconBaseline,
    "spacy_bow": SpacyBowBaseline,
}


def make_baseline(name: str, taxonomy: Taxonomy, seed: int = 0) -> Any:
    """A baseline by name: ``majority``, ``cue_lexicon`` or ``spacy_bow``."""
    if name not in BASELINES:
        raise InputError(f"unknown baseline {name!r}; choose from {', '.join(BASELINES)}")
    if name == "spacy_bow":
        return SpacyBowBaseline(taxonomy, seed=seed)
    return BASELINES[name](taxonomy)
