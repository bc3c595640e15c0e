"""What the classifier decides for a batch of units: one :class:`Decision`."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np

__all__ = ["Decision"]


@dataclass
class Decision:
    """Probabilities and consistent decisions for ``n`` units.

    Attributes
    ----------
    proba_fine, proba_coarse : ndarray (n, n_fine), (n, n_coarse)
        Label probabilities (columns in ``fine_labels_`` / ``coarse_labels_`` order).
    proba_none : ndarray (n,)
        Probability of the "no label" model (zeros when the classifier has none).
    fine, coarse : ndarray of 0/1
        The decisions.
    frames, families : list of list of str
        The decided labels per unit; ``[none_label]`` when empty.
    stance : list of str
        ``promotes`` / ``reports`` for framed units with a stance head, ``unknown`` without one,
        ``none`` for units without a label.
    stance_proba : ndarray (n,)
        P(promotes) from the stance head (NaN without one).
    relevant : ndarray of bool or None
        The relevance gate per unit (set by the pipeline; None from the bare classifier).
    stances : list of dict
        Per unit, frame -> ``promotes`` / ``reports`` for its decided frames.
    stance_frames : ndarray (n, n_fine) or None
        P(promotes) of each frame in the unit (NaN without a stance head).
    thresholds : ndarray (n, n_fine) or None
        The fine thresholds each unit was decided with (its language's; see
        ``NarrativeClassifier.threshold_rows``); None: the classifier's shared ``thresholds_``.

    ``decision["frames"]`` reads a field like a dict key (the form of earlier versions).
    """

    proba_fine: np.ndarray
    proba_coarse: np.ndarray
    proba_none: np.ndarray
    fine: np.ndarray
    coarse: np.ndarray
    frames: list[list[str]]
    families: list[list[str]]
    stance: list[str]
    stance_proba: np.ndarray
    relevant: np.ndarray | None = None
    stances: list[dict[str, str]] | None = None
    stance_frames: np.ndarray | None = None
    thresholds: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = len(self.stance)
        if self.stances is None:
            self.stances = [{} for _ in range(n)]
        if self.stance_frames is None:
            self.stance_frames = np.full((n, self.proba_fine.shape[1]), np.nan)

    def __getitem__(self, name: str) -> Any:
        if name not in _NAMES:
            raise KeyError(name)
        return getattr(self, name)

    def keys(self) -> list[str]:
        return list(_NAMES)

    def __len__(self) -> int:
        return len(self.stance)

    def gate(self, relevant: np.ndarray, none_label: str) -> None:
        """Clear the labels of units that fail the relevance gate (scores are kept)."""
        for r in np.flatnonzero(~relevant):
            self.frames[r] = [none_label]
            self.families[r] = [none_label]
            self.stance[r] = "none"
            self.stances[r] = {}
            self.fine[r] = 0
            self.coarse[r] = 0
        self.relevant = relevant

    def record(self, k: int) -> dict[str, Any]:
        """Unit ``k`` as a JSON-serialisable dict (without ``relevant``); see :meth:`from_records`."""
        sp = float(self.stance_proba[k])
        return {
            **{f: np.asarray(getattr(self, f)[k]).tolist() for f in _ARRAYS},
            "proba_none": float(self.proba_none[k]),
            "frames": list(self.frames[k]),
            "families": list(self.families[k]),
            "stance": self.stance[k],
            "stance_proba": None if sp != sp else sp,
            "stances": dict(self.stances[k]),
            "stance_frames": [None if v != v else float(v) for v in self.stance_frames[k]],
            "thresholds": None
            if self.thresholds is None
            else [float(v) for v in self.thresholds[k]],
        }

    @classmethod
    def from_records(
        cls, rows: list[dict[str, Any]], relevant: list[bool], n_fine: int, n_coarse: int
    ) -> Decision:
        """The inverse of :meth:`record` for ``len(rows) > 0`` units."""
        n = len(rows)

        def mat(name: str, width: int, dtype) -> np.ndarray:
            return np.asarray([r[name] for r in rows], dtype=dtype).reshape(n, width)

        return cls(
            proba_fine=mat("proba_fine", n_fine, float),
            proba_coarse=mat("proba_coarse", n_coarse, float),
            proba_none=np.asarray([r["proba_none"] for r in rows], dtype=float),
            fine=mat("fine", n_fine, np.int64),
            coarse=mat("coarse", n_coarse, np.int64),
            frames=[list(r["frames"]) for r in rows],
            families=[list(r["families"]) for r in rows],
            stance=[r["stance"] for r in rows],
            stance_proba=np.asarray(
                [np.nan if r["stance_proba"] is None else r["stance_proba"] for r in rows],
                dtype=float,
            ),
            relevant=np.asarray(relevant, dtype=bool),
            stances=[dict(r.get("stances", {})) for r in rows],
            stance_frames=np.asarray(
                [
                    [np.nan if v is None else v for v in r.get("stance_frames", [None] * n_fine)]
                    for r in rows
                ],
                dtype=float,
            ).reshape(n, n_fine),
            thresholds=None
            if any(r.get("thresholds") is None for r in rows)
            else np.asarray([r["thresholds"] for r in rows], dtype=float).reshape(n, n_fine),
        )


_NAMES = tuple(f.name for f in fields(Decision))
_ARRAYS = ("proba_fine", "proba_coarse", "fine", "coarse")
