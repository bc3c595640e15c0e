"""The units of a tagged corpus (passages or documents) with their predictions, as one table.

A ``narratives tag`` output (Parquet, JSONL or CSV; passage or document rows) is read into
:class:`Units`: one row per sampling unit with ``sample_id`` (``<id>#<passage>`` for passages,
``<id>`` for documents), the predicted ``frames`` (list, no ``none``), ``stances`` (frame ->
stance), ``scores`` (frame -> probability) and the carried-through input columns.

Passage rows are aggregated to documents for ``unit="document"`` with the document decisions
that every passage row of ``narratives tag`` carries (``document_frames`` and
``document_stances``: the length-aware rule of
:func:`~narratives.model._open_world.document_decisions`, the same as ``tag --unit document``
and ``narratives summarize``), so a document sample and its validation describe the published
prevalence. A document can then lack a frame that one of its passages has. Scores are the
maximum over the passages; evidence (frame -> the passage that scored it highest) is given for
the document's frames. Only a passage file without those columns (written by an older version
or by hand) falls back to "a frame is present when one passage has it", as summarize does.
Passages flagged ``boilerplate`` or ``heading`` are not running text and are left out of the
population, as in ``narratives summarize``.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._exceptions import InputError
from .._internal.messages import not_found
from ..io import read_tag_output
from ..model._stance import overall_stance

__all__ = ["NON_TEXT_FLAGS", "Units", "load_units", "units_from_frame"]

NON_TEXT_FLAGS = ("boilerplate", "heading")
_NONE = ("none", "Other")
#: The document decisions repeated on every passage row of ``narratives tag``.
_DOCUMENT_COLUMNS = ("document_frames", "document_families", "document_stances")
_MODEL_COLUMNS = {
    "frames",
    "families",
    "stance",
    "stances",
    "scores",
    "evidence",
    "countries",
    "lang",
    "flag",
    "n_passages",
    "passage",
    "start",
    "end",
    "text",
    "id",
}


@dataclass
class Units:
    """Sampling units of a tagged corpus.

    ``frame`` columns: ``sample_id``, ``id``, (``passage``, ``start``, ``end`` for passages),
    ``text`` (when the tags have it), ``frames``, ``stances``, ``stance``, ``scores``,
    ``evidence`` (documents), ``flag`` and the carried-through columns (``outlet``, ``date`` ...).
    ``labels`` are the frames in score order; ``fingerprint`` identifies the predictions (ids,
    offsets, frames and scores), whatever file format they were saved in.
    """

    frame: pd.DataFrame
    unit: str
    labels: list[str]
    fingerprint: str
    source: str = ""
    n_excluded: int = 0

    @property
    def extra_columns(self) -> list[str]:
        return [c for c in self.frame.columns if c not in _MODEL_COLUMNS and c != "sample_id"]

    def score_matrix(self) -> np.ndarray:
        """Scores as an (n_units, n_labels) array (0 where a score is missing)."""
        return np.array(
            [[float(s.get(f) or 0.0) for f in self.labels] for s in self.frame["scores"]],
            dtype=float,
        ).reshape(len(self.frame), len(self.labels))

    def predicted_matrix(self) -> np.ndarray:
        idx = {f: j for j, f in enumerate(self.labels)}
        Y = np.zeros((len(self.frame), len(self.labels)), dtype=bool)
        for i, fr in enumerate(self.frame["frames"]):
            for f in fr:
                if f in idx:
                    Y[i, idx[f]] = True
        return Y


def _as_list(v: Any) -> list[str]:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return []
    if isinstance(v, str):
        s = v.strip()
        if s.startswith("["):
            try:
                return [str(x) for x in json.loads(s)]
            except json.JSONDecodeError:
                pass
        return [x.strip() for x in s.split(";") if x.strip()]
    if hasattr(v, "tolist"):
        v = v.tolist()
    if isinstance(v, (list, tuple, set)):
        return [str(x) for x in v]
    return [str(v)]


def _as_dict(v: Any) -> dict[str, Any]:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return {}
    if isinstance(v, str):
        s = v.strip()
        if not s:
            return {}
        try:
            v = json.loads(s)
        except json.JSONDecodeError:
            return {}
    if isinstance(v, list):  # a Parquet map column comes back as (key, value) pairs
        v = dict(v)
    if isinstance(v, Mapping):
        return {
            str(k): x
            for k, x in v.items()
            if x is not None and not (isinstance(x, float) and math.isnan(x))
        }
    return {}


def _read_table(path: Path) -> pd.DataFrame:
    try:
        return read_tag_output(path)
    except InputError:
        raise
    except OSError as exc:
        raise InputError(f"cannot read {path}: {str(exc).splitlines()[0]}") from None
    except Exception as exc:  # pyarrow's own errors
        raise InputError(
            f"{path} is not a readable tag output ({str(exc).splitlines()[0]})"
        ) from None


def load_units(path: str | Path, unit: str = "passage", labels: list[str] | None = None) -> Units:
    """Read a ``narratives tag`` output as sampling units (see the module docstring)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"tag output not found: {path}")
    df = _read_table(path)
    if not len(df):
        raise InputError(f"{path} has no rows")
    return units_from_frame(df, unit=unit, labels=labels, source=str(path))


def units_from_frame(
    df: pd.DataFrame,
    unit: str = "passage",
    labels: list[str] | None = None,
    source: str = "DataFrame",
) -> Units:
    """:func:`load_units` for a tag output already in memory (``model.tag(...)``)."""
    if unit not in ("passage", "document"):
        raise InputError(f"unit must be 'passage' or 'document', not {unit!r}")
    missing = [c for c in ("id", "frames", "scores") if c not in df.columns]
    if missing:
        raise InputError(
            not_found("column(s)", missing, df.columns, source)
            + " (is it an output of narratives tag?)"
        )
    is_passage = "passage" in df.columns
    if unit == "passage" and not is_passage:
        raise InputError(
            f"{source} has one row per document: use --unit document"
            + (
                ""
                if "text" in df.columns
                else " (to sample it, tag with --unit passage: a sample needs the passages' text)"
            )
        )
    df = df.copy()
    df["id"] = df["id"].astype(str)
    df["frames"] = [[f for f in _as_list(v) if f not in _NONE] for v in df["frames"]]
    df["scores"] = [{k: float(x) for k, x in _as_dict(v).items()} for v in df["scores"]]
    if "stances" in df.columns:
        df["stances"] = [{str(k): str(x) for k, x in _as_dict(v).items()} for v in df["stances"]]
    else:  # one stance per row: every predicted frame gets it
        st = df["stance"].astype(str).tolist() if "stance" in df.columns else [None] * len(df)
        df["stances"] = [
            dict.fromkeys(fr, s) if s in ("promotes", "reports") else {}
            for fr, s in zip(df["frames"], st, strict=True)
        ]
    if "flag" not in df.columns:
        df["flag"] = ""
    df["flag"] = df["flag"].fillna("").astype(str)
    n_excluded = 0
    if is_passage:
        for c in ("passage", "start", "end"):
            if c in df.columns:
                df[c] = pd.to_numeric(df[c], errors="coerce").fillna(-1).astype(int)
        keep = ~df["flag"].isin(NON_TEXT_FLAGS)
        n_excluded = int((~keep).sum())
        df = df[keep]
    if labels is None:
        seen: dict[str, None] = {}
        for s in df["scores"]:
            for k in s:
                seen.setdefault(k, None)
            if len(seen):
                break
        labels = list(seen)
    fp = _fingerprint(df, is_passage, labels)
    if unit == "document" and is_passage:
        df = _to_documents(df, labels)
    if unit == "passage":
        df.insert(
            0, "sample_id", [f"{i}#{p}" for i, p in zip(df["id"], df["passage"], strict=True)]
        )
    else:
        df.insert(0, "sample_id", df["id"].tolist())
    if df["sample_id"].duplicated().any():
        dup = df.loc[df["sample_id"].duplicated(), "sample_id"].iloc[0]
        raise InputError(
            f"{source}: unit {dup!r} appears more than once (duplicate ids in the tagged input); "
            "give every document a unique id before sampling"
        )
    if "stance" not in df.columns:
        df["stance"] = None
    return Units(df.reset_index(drop=True), unit, list(labels), fp, source, n_excluded)


def _fingerprint(df: pd.DataFrame, is_passage: bool, labels: list[str]) -> str:
    h = hashlib.sha256()
    cols = zip(
        df["id"],
        df["passage"] if is_passage else [0] * len(df),
        df["frames"],
        df["scores"],
        strict=True,
    )
    for i, p, fr, sc in cols:
        h.update(f"{i}\x1f{p}\x1f{';'.join(sorted(fr))}\x1f".encode())
        h.update(";".join(f"{sc.get(f, 0.0):.4f}" for f in labels).encode())
        h.update(b"\x1e")
    return h.hexdigest()[:16]


def _to_documents(df: pd.DataFrame, labels: list[str]) -> pd.DataFrame:
    """Passage rows -> document rows: the document decisions of ``tag --unit document``."""
    carried = [c for c in df.columns if c not in _MODEL_COLUMNS and c not in _DOCUMENT_COLUMNS]
    decided = "document_frames" in df.columns
    order = {f: j for j, f in enumerate(labels)}
    rows = []
    for doc_id, g in df.groupby("id", sort=False):
        scores: dict[str, float] = {}
        top: dict[str, tuple[float, int]] = {}  # frame -> (best score, its passage): the first
        for sc, p in zip(g["scores"], g["passage"], strict=True):
            for f in labels:
                v = sc.get(f, 0.0)
                if v > scores.get(f, -1.0):
                    scores[f] = v
            for f, v in sc.items():
                if f not in top or v > top[f][0]:
                    top[f] = (v, int(p))
        if decided:
            frames, stances = _decided(g)
        else:
            frames, stances = _any_passage(g)
        frames.sort(key=lambda f: order.get(f, len(order)))
        flags = [x for x in g["flag"] if x]
        rec = {
            "id": doc_id,
            "frames": frames,
            "stances": stances,
            "stance": overall_stance(stances.values()) if frames else "none",
            "scores": scores,
            "evidence": {f: top[f][1] for f in frames if f in top},
            "flag": flags[0] if flags and len(flags) == len(g) else "",
            "n_passages": len(g),
        }
        if "text" in g.columns:  # the document's running text, passage by passage
            rec["text"] = "\n\n".join(str(t) for t in g["text"])
        for c in carried:
            rec[c] = g[c].iloc[0]
        rows.append(rec)
    return pd.DataFrame(rows)


def _decided(g: pd.DataFrame) -> tuple[list[str], dict[str, str]]:
    """The document's frames and their stances as ``narratives tag`` decided them (the same on
    every passage row of the document; the first row's are taken)."""
    first = g.iloc[0]
    frames = list(dict.fromkeys(f for f in _as_list(first["document_frames"]) if f not in _NONE))
    given = _as_dict(first["document_stances"]) if "document_stances" in g.columns else {}
    stances = {f: str(given[f]) for f in frames if f in given}
    if len(stances) < len(frames):  # no stance recorded: that of the passages that carry it
        from_passages = _any_passage(g)[1]
        for f in frames:
            if f not in stances and f in from_passages:
                stances[f] = from_passages[f]
    return frames, stances


def _any_passage(g: pd.DataFrame) -> tuple[list[str], dict[str, str]]:
    """A frame when one passage has it; its stance ``promotes`` when one of those passages
    promotes it (the rule for passage files without document decisions)."""
    frames: list[str] = []
    stances: dict[str, str] = {}
    for fr, st in zip(g["frames"], g["stances"], strict=True):
        for f in fr:
            if f not in frames:
                frames.append(f)
            if (st.get(f) == "promotes" or f not in stances) and st.get(f):
                stances[f] = st[f]
    return frames, stances
