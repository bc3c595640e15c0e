"""Scoring a model against another label set through a crosswalk (frame -> the data's labels).

A crosswalk maps each frame of a model's taxonomy to the labels of another label set (the
default taxonomy's ``semeval:`` lists map frames to SemEval-2025 Task 10 subnarratives). A
predicted frame counts as every label it maps to, so a model can be scored on data labelled in
the other set. The scores are approximate: a frame and a label are not the same concept.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._exceptions import InputError
from .._internal.yamlfile import read_yaml
from .._taxonomy import Frame, Taxonomy
from ._systems import FixedModel, Predictions, model_predictions

__all__ = ["Crosswalk", "CrosswalkedModel", "crosswalk_summary", "crosswalk_taxonomy"]


@dataclass(frozen=True)
class Crosswalk:
    """Frame id -> the labels of another label set that the frame counts as.

    Examples
    --------
    >>> walk = Crosswalk({"a": ("X", "Y"), "b": ("Y",)})
    >>> walk.labels
    ['X', 'Y']
    >>> walk.labels_of(["b", "a"])
    ['Y', 'X']
    >>> walk.frames_of(["Y"])
    ['a', 'b']
    """

    mapping: Mapping[str, tuple[str, ...]]
    source: str = "mapping"

    @property
    def labels(self) -> list[str]:
        """Every label some frame maps to, in order of first appearance."""
        return list(dict.fromkeys(lab for labs in self.mapping.values() for lab in labs))

    def labels_of(self, frames: Iterable[str]) -> list[str]:
        """The labels a set of frames counts as (frames without a mapping add nothing)."""
        return list(dict.fromkeys(lab for f in frames for lab in self.mapping.get(f, ())))

    def frames_of(self, labels: Iterable[str]) -> list[str]:
        """The frames that map to any of ``labels``, in crosswalk order."""
        wanted = set(labels)
        return [f for f, labs in self.mapping.items() if wanted.intersection(labs)]

    @classmethod
    def from_taxonomy(cls, taxonomy: Taxonomy) -> Crosswalk | None:
        """The crosswalk a taxonomy carries (its frames' ``semeval:`` lists), or None."""
        mapping = {f.id: tuple(f.semeval) for f in taxonomy.frames if f.semeval}
        return cls(mapping, f"taxonomy {taxonomy.name} (semeval:)") if mapping else None

    @classmethod
    def from_mapping(
        cls, data: Mapping[str, Any], taxonomy: Taxonomy, source: str = "mapping"
    ) -> Crosswalk:
        """Frame -> labels, or label -> frames (as ``benchmarks/crosswalks/euvsdisinfo.yaml``),
        optionally under a ``frames:`` key; the direction is read from where the frame ids are."""
        if isinstance(data, Mapping) and isinstance(data.get("frames"), Mapping):
            data = data["frames"]
        if not isinstance(data, Mapping) or not data:
            raise InputError(f"crosswalk {source}: expected a mapping frame -> [labels]")
        rows = {str(k): _as_labels(v, source, k) for k, v in data.items()}
        known = set(taxonomy.fine_labels)
        if set(rows) <= known:
            return cls(rows, source)
        values = {x for v in rows.values() for x in v}
        if values <= known:  # label -> frames: turn it around
            inverted: dict[str, list[str]] = {}
            for lab, frames in rows.items():
                for f in frames:
                    inverted.setdefault(f, []).append(lab)
            ordered = {f: tuple(inverted[f]) for f in taxonomy.fine_labels if f in inverted}
            return cls(ordered, source)
        unknown = sorted(set(rows) - known)
        raise InputError(
            f"crosswalk {source}: {', '.join(unknown[:5])} are not frames of the model's taxonomy "
            f"{taxonomy.name!r} (expected frame -> [labels])"
        )

    @classmethod
    def load(cls, path: str | Path, taxonomy: Taxonomy) -> Crosswalk:
        """Read a YAML (or JSON) crosswalk file: ``frame: [label, ...]``, see :meth:`from_mapping`."""
        data = read_yaml(path, InputError, "crosswalk file")
        return cls.from_mapping(data, taxonomy, str(path))


def _as_labels(value: Any, source: str, key: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        return tuple(str(v) for v in value)
    raise InputError(f"crosswalk {source}: {key!r} should map to a list of labels")


def crosswalk_taxonomy(
    walk: Crosswalk, data_labels: list[str], data_taxonomy: Taxonomy | None, none: str
) -> Taxonomy:
    """The taxonomy scores are computed in: the labels the crosswalk covers (the data's order
    first), each under its family in the data's taxonomy, else under the part of its name before
    the last ``": "`` (SemEval's ``narrative: subnarrative``), else under itself."""
    covered = set(walk.labels)
    labels = [lab for lab in data_labels if lab in covered]
    labels += [lab for lab in walk.labels if lab not in set(labels)]
    parents = data_taxonomy._parents if data_taxonomy is not None else {}
    name = data_taxonomy.name if data_taxonomy is not None else "data"
    return Taxonomy(
        name=f"{name} (crosswalked)",
        frames=tuple(
            Frame(id=lab, family=parents.get(lab) or _prefix(lab), name=lab) for lab in labels
        ),
        none_label=none,
    )


def _prefix(label: str) -> str:
    return label.rsplit(": ", 1)[0] if ": " in label else label


class CrosswalkedModel(FixedModel):
    """A trained model whose document-level frames are scored as the labels they map to.

    A label's score is the highest score of the frames that map to it; coarse labels are the
    families of the predicted labels, scored by their best label. Error candidates carry the
    evidence of the frame behind them.
    """

    title = "narratives (through a crosswalk)"

    def __init__(self, model: Any, walk: Crosswalk, taxonomy: Taxonomy):
        super().__init__(model)
        self.walk = walk
        self.target = taxonomy

    def info(self) -> dict[str, Any]:
        return {
            **super().info(),
            "description": "a trained narratives model; its frames mapped to the data's labels "
            f"through the crosswalk of {self.walk.source}",
        }

    def predict(self, texts: list[str], gold_fine: list[list[str]] | None = None) -> Predictions:
        t0 = time.perf_counter()
        gold_frames = None if gold_fine is None else [self.walk.frames_of(g) for g in gold_fine]
        base = model_predictions(self.model_, texts, gold_frames)
        tax = self.target
        labels, coarse_l = tax.fine_labels, tax.coarse_labels
        fine = [[lab for lab in labels if lab in set(self.walk.labels_of(f))] for f in base.fine]
        coarse = [tax.families_of(f) for f in fine]
        n = len(texts)
        Pf = np.zeros((n, len(labels)))
        Pc = np.zeros((n, len(coarse_l)))
        if base.proba_fine is not None and n:
            col = {f: j for j, f in enumerate(self.model_.taxonomy.fine_labels)}
            for j, lab in enumerate(labels):
                src = [col[f] for f in self.walk.frames_of([lab]) if f in col]
                if src:
                    Pf[:, j] = base.proba_fine[:, src].max(axis=1)
            for c, fam in enumerate(coarse_l):
                js = [j for j, lab in enumerate(labels) if tax.parent(lab) == fam]
                Pc[:, c] = Pf[:, js].max(axis=1)
        errors = (
            []
            if gold_fine is None
            else self._errors(
                base.errors, gold_fine, fine, Pf, {lab: j for j, lab in enumerate(labels)}
            )
        )
        seconds = (
            base.predict_seconds if base.predict_seconds is not None else time.perf_counter() - t0
        )
        return Predictions(fine, coarse, Pf, Pc, base.stance, True, errors, seconds)

    def _errors(self, frame_errors, gold, pred, Pf, col) -> list[dict[str, Any]]:
        """Label-level error candidates, each with the evidence of the frame most responsible."""
        by = {(c["doc"], c["label"], c["kind"]): c for c in frame_errors}
        out = []
        for d, (g, p) in enumerate(zip(gold, pred, strict=True)):
            for lab in sorted(set(g) ^ set(p)):
                kind = "false_negative" if lab in g else "false_positive"
                frames = self.walk.frames_of([lab])
                found = [by[(d, f, kind)] for f in frames if (d, f, kind) in by]
                j = col.get(lab)
                score = None if j is None else round(float(Pf[d, j]), 4)
                if found:
                    best = max(found, key=lambda c: c.get("score") or 0)
                    c = {**best, "label": lab, "score": score, "frame": best["label"]}
                else:
                    c = {
                        "doc": d,
                        "label": lab,
                        "kind": kind,
                        "score": score,
                        "passage": None,
                        "features": [],
                    }
                    c["note"] = (
                        f"through the crosswalk from {', '.join(frames)}"
                        if frames
                        else "no frame maps to this label"
                    )
                out.append(c)
        return out


def crosswalk_summary(
    walk: Crosswalk,
    tax: Taxonomy,
    not_covered: dict[str, int],
    gold: list[list[str]],
    pred: list[list[str]],
) -> dict[str, Any]:
    """The ``crosswalk`` block of an evaluation result: what was mapped, what was left out and
    micro precision and recall over the covered labels."""
    tp = sum(len(set(g) & set(p)) for g, p in zip(gold, pred, strict=True))
    fp = sum(len(set(p) - set(g)) for g, p in zip(gold, pred, strict=True))
    fn = sum(len(set(g) - set(p)) for g, p in zip(gold, pred, strict=True))
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    return {
        "source": walk.source,
        "frames": {f: list(labs) for f, labs in walk.mapping.items()},
        "covered_labels": tax.fine_labels,
        "not_covered_labels": sorted(not_covered),
        "not_covered_gold": dict(sorted(not_covered.items(), key=lambda kv: (-kv[1], kv[0]))),
        "micro": {
            "precision": precision,
            "recall": recall,
            "f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None,
            "tp": tp,
            "fp": fp,
            "fn": fn,
        },
        "unit": "document",
        "note": "approximate: each predicted frame counts as every label it maps to, but frames and "
        "labels are not the same concepts; gold labels no frame maps to are left out of every score, "
        "so a document with only such labels counts as having none",
    }
