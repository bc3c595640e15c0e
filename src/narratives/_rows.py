"""Output rows from segmented documents: one row per passage or per document.

:func:`build_rows` is the one place where decisions become the rows of ``tag``. It takes any
object with the :class:`Decider` protocol: a fitted :class:`~narratives.model.NarrativePipeline`,
or the engine's :class:`~narratives.engine._dedup.DedupPipeline`, which answers repeated passages
from its store. Columns and their types are defined in :mod:`narratives._internal.schema`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from ._exceptions import InputError
from ._internal.schema import DOCUMENT_COLUMNS, PASSAGE_COLUMNS, UNITS
from .model import Decision
from .model._open_world import document_decisions
from .model._stance import overall_stance
from .preprocessing import Processed, Segmented
from .preprocessing._spacy import load_gazetteer

if TYPE_CHECKING:
    from .model._deciding import DecidingClassifier

__all__ = ["Decider", "build_rows"]

_COUNTRY_TYPES = {"state", "region"}


class Decider(Protocol):
    """What row building needs from a fitted pipeline."""

    @property
    def classifier(self) -> DecidingClassifier: ...

    def is_relevant(self, processed: Processed) -> bool: ...

    def names_region(self, processed: Processed) -> bool: ...

    def claims_about_west(self, processed: Processed) -> bool: ...

    def decide_processed(
        self, processed: Sequence[Processed], relevant: Sequence[bool] | None = None
    ) -> Decision: ...


def build_rows(
    decider: Decider,
    ids: Sequence[Any],
    segs: Sequence[Segmented],
    unit: str = "passage",
    training_unit: str = "passage",
) -> pd.DataFrame:
    """Label segmented documents: passage rows, or document rows aggregated from them.

    Every taggable passage is decided in one batch, with the relevance gate of its document.
    A document-level model (``training_unit="document"``) decides document rows on the whole
    document instead of aggregating its passages.
    """
    if unit not in UNITS:
        raise InputError(f"unit must be one of {UNITS}, not {unit!r}")
    refs, units, relevant = [], [], []
    # A document that names the region opens the gate for all its passages; otherwise a passage
    # passes on its own when it is a claim about the West (a Western actor with a frame cue).
    region = [decider.names_region(seg.document) for seg in segs]
    for d, seg in enumerate(segs):
        for p in seg.passages:
            if p.taggable:
                refs.append((d, p.index))
                units.append(p.processed)
                relevant.append(region[d] or decider.claims_about_west(p.processed))
    doc_relevant = list(region)
    for (d, _), ok in zip(refs, relevant, strict=True):
        doc_relevant[d] = doc_relevant[d] or ok
    dec = decider.decide_processed(units, relevant=relevant)
    by_ref = {ref: k for k, ref in enumerate(refs)}
    if unit == "passage":
        return _passage_rows(decider.classifier, ids, segs, dec, by_ref, doc_relevant)
    whole = None
    if training_unit == "document":
        whole = decider.decide_processed([s.document for s in segs])
    return _document_rows(decider.classifier, ids, segs, dec, by_ref, doc_relevant, whole)


def _passage_rows(clf, ids, segs, dec, by_ref, doc_relevant) -> pd.DataFrame:
    none, fine = clf.none_label_, clf.fine_labels_
    # Rounded once for the whole batch (the rule of _scores).
    score_rows = np.round(dec.proba_fine, 4).tolist()
    # Built column by column (a DataFrame from per-row dicts costs more than the rows).
    cols: dict[str, list] = {c: [] for c in PASSAGE_COLUMNS}
    for d, seg in enumerate(segs):
        relevant_flag = "" if doc_relevant[d] else "off_topic"
        pidx = [p.index for p in seg.passages if (d, p.index) in by_ref]
        _, doc_frames, doc_families, doc_stances, _, _ = _aggregate(
            clf, dec, [by_ref[(d, i)] for i in pidx], pidx, doc_relevant[d]
        )
        doc_frames, doc_families = doc_frames or [none], doc_families or [none]
        for p in seg.passages:
            k = by_ref.get((d, p.index))
            if k is None:
                frames, families, stance, stances, scores = [none], [none], "none", {}, {}
            else:
                frames, families, stance = dec.frames[k], dec.families[k], dec.stance[k]
                stances = dec.stances[k]
                scores = dict(zip(fine, score_rows[k], strict=True))
            row = (
                ids[d],
                p.index,
                p.start,
                p.end,
                frames,
                families,
                stance,
                stances,
                scores,
                doc_frames,
                doc_families,
                doc_stances,
                _countries(p.processed.actors),
                p.processed.lang,
                _flag(p, seg) or relevant_flag,
            )
            for c, v in zip(PASSAGE_COLUMNS, row, strict=True):
                cols[c].append(v)
    return pd.DataFrame(cols, columns=list(PASSAGE_COLUMNS))


def _document_rows(clf, ids, segs, dec, by_ref, doc_relevant, whole) -> pd.DataFrame:
    fine, none = clf.fine_labels_, clf.none_label_
    rows = []
    for d, seg in enumerate(segs):
        pidx = [p.index for p in seg.passages if (d, p.index) in by_ref]
        ks = [by_ref[(d, i)] for i in pidx]
        if whole is not None:
            proba = whole.proba_fine[d]
            frames = [f for f in whole.frames[d] if f != none]
            families = [c for c in whole.families[d] if c != none]
            stances, stance = dict(whole.stances[d]), whole.stance[d]
            carriers: dict[str, list[int]] = {}
        else:
            agg = _aggregate(clf, dec, ks, pidx, doc_relevant[d])
            proba, frames, families, stances, stance, carriers = agg
        rows.append(
            {
                "id": ids[d],
                "frames": frames or [none],
                "families": families or [none],
                "stance": stance,
                "stances": stances,
                "scores": _scores(proba, fine),
                "evidence": _evidence(dec, ks, pidx, proba, frames, fine),
                "frame_passages": carriers,
                "countries": _countries(seg.document.actors),
                "lang": seg.document.lang,
                "n_passages": len(seg.passages),
                "flag": _document_flag(seg, doc_relevant[d]),
            }
        )
    return pd.DataFrame(rows, columns=list(DOCUMENT_COLUMNS))


def _aggregate(clf, dec: Decision, ks: list[int], pidx: list[int], relevant: bool):
    """A document's labels from its passages.

    Frames: with open-world negatives in the model (``negatives_``), the length-aware rule of
    :func:`~narratives.model._open_world.document_decisions`; otherwise the highest passage score
    against the frame's threshold. Each frame's stance is the mean P(promotes) of the passages
    that carry it (over the threshold; the top-scoring passage when none is), and
    ``frame_passages`` lists them. Families are the parents of the frames, plus families that
    passages were given on their own. The overall stance: ``promotes`` when any frame is
    promoted, else ``reports`` when there is a frame, else ``none``.
    """
    fine, coarse, none = clf.fine_labels_, clf.coarse_labels_, clf.none_label_
    if not ks:
        return np.zeros(len(fine)), [], [], {}, "none", {}
    thr_f = np.array([clf.thresholds_[f] for f in fine])
    if dec.thresholds is not None:
        thr_f = dec.thresholds[ks[0]]  # the document's language (its passages share it)
    P = dec.proba_fine[ks]
    proba = P.max(axis=0)
    if dec.relevant is not None:
        # Passages that failed the gate carry no evidence for the document's frames.
        P = np.where(np.asarray(dec.relevant)[ks][:, None], P, 0.0)
    neg = getattr(clf, "negatives_", None)
    if not relevant:
        on = np.zeros(len(fine), dtype=bool)
    elif neg is not None and len(neg):
        on = document_decisions(P, thr_f, neg, clf.document_alpha)
    else:
        on = P.max(axis=0) >= thr_f
    frames = [fine[j] for j in np.flatnonzero(on)]
    S = dec.stance_frames[ks]
    stances: dict[str, str] = {}
    carriers: dict[str, list[int]] = {}
    for j in np.flatnonzero(on):
        rows = np.flatnonzero(P[:, j] >= thr_f[j])
        if not len(rows):
            rows = np.array([int(P[:, j].argmax())])
        carriers[fine[j]] = [int(pidx[r]) for r in rows]
        s = S[rows, j]
        s = s[~np.isnan(s)]
        stances[fine[j]] = "unknown" if not len(s) else "promotes" if s.mean() >= 0.5 else "reports"
    fam_hits = {clf.parents_[f] for f in frames}
    if frames:
        for k in ks:
            fam_hits.update(c for c in dec.families[k] if c != none)
    families = [c for c in coarse if c in fam_hits]
    return proba, frames, families, stances, overall_stance(stances.values()), carriers


def _evidence(dec, ks, pidx, proba, frames, fine) -> dict[str, int]:
    """Frame -> index of the passage that scored it highest, for the document's frames only (a
    frame whose best score crossed the threshold but that the document rule declined has none)."""
    evidence: dict[str, int] = {}
    if ks:
        P = dec.proba_fine[ks]
        for j in range(len(fine)):
            if fine[j] in frames:
                evidence[fine[j]] = int(pidx[int(P[:, j].argmax())])
    return evidence


def _scores(proba_row: np.ndarray, labels: list[str], digits: int = 4) -> dict[str, float]:
    # np.round, as for the batch of passage rows: one rounding rule.
    return dict(zip(labels, np.round(proba_row, digits).tolist(), strict=True))


def _countries(actors: dict[str, int]) -> list[str]:
    """Gazetteer states and regions mentioned, most frequent first."""
    gaz = load_gazetteer()
    return [
        k
        for k, _ in sorted(actors.items(), key=lambda kv: (-kv[1], kv[0]))
        if gaz.get(k, {}).get("type") in _COUNTRY_TYPES
    ]


def _flag(p, seg: Segmented) -> str:
    if seg.truncated and p.index == len(seg.passages) - 1:
        return "truncated"  # first: the cut may land in a heading or boilerplate line
    if p.kind != "text":
        return p.kind
    if not p.taggable:
        return "unsupported_language"
    return ""


def _document_flag(seg: Segmented, relevant: bool) -> str:
    if seg.truncated:
        return "truncated"
    if not seg.supported:
        return "unsupported_language"
    return "" if relevant else "off_topic"
