"""What one worker does with one input chunk: segment, tag, encode the output part.

Runs in the main process (one worker), in pool processes (``--workers N``) or on Dask workers;
everything it needs travels in :class:`ChunkOptions` and the chunk's DataFrame.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._internal.schema import TEXT_POSITION, output_columns
from .._model import NarrativeModel
from .._rows import build_rows
from ..io import encode_part, semeval_frames
from ..io._readers import Reject
from ._dedup import DedupPipeline

__all__ = ["ChunkOptions", "ChunkResult", "semeval_rows", "tag_chunk", "tag_frame"]

log = logging.getLogger(__name__)

NO_TEXT = "no text to tag (empty, or only whitespace, markup or control characters)"


@dataclass(frozen=True)
class ChunkOptions:
    """Per-run settings a worker needs (picklable)."""

    unit: str = "passage"
    kind: str = "parquet"  # output kind: parquet, csv, jsonl or semeval
    with_text: bool = True
    source: str = ""  # input path, for the rejects file
    dedup: bool = False
    near_threshold: float = 0.8


@dataclass
class ChunkResult:
    """One tagged chunk: the encoded output part and what happened to its rows."""

    index: int
    part: bytes = b""
    columns: list[str] = field(default_factory=list)
    rows: int = 0
    rejects: list[Reject] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)


def semeval_rows(model: NarrativeModel, df: pd.DataFrame) -> list[tuple[str, list[str], list[str]]]:
    """SemEval lines from document-level rows: coarse labels without a fine child get the
    ``<narrative>: Other`` subnarrative when the taxonomy has one."""
    tax = model.taxonomy
    rows = []
    for rid, frames, families in zip(df["id"], df["frames"], df["families"], strict=True):
        families = [c for c in families if c != tax.none_label]
        frames = semeval_frames(tax, [f for f in frames if f != tax.none_label], families)
        rows.append((str(rid), families or [tax.none_label], frames or [tax.none_label]))
    return rows


def _stringify(values: np.ndarray) -> list[str | None]:
    return [None if v is None or (isinstance(v, float) and v != v) else str(v) for v in values]


def tag_frame(
    model: NarrativeModel, frame: pd.DataFrame, opts: ChunkOptions, dedup_store: Any = None
) -> tuple[pd.DataFrame | None, list[Reject], dict[str, Any]]:
    """Tag the rows of ``frame`` (columns ``id``, ``text``, ``row`` and the input's other columns).

    Returns the output rows (None when nothing was tagged), the rejects and the counts.
    Documents without any passage are rejects at passage level (they would otherwise vanish); at
    document level they get a row with the none label. The input's other columns are added to the
    output as strings (``<name>_input`` when the name is taken).
    """
    if not len(frame):
        return None, [], {}
    ids = np.asarray(frame["id"].astype(str).to_numpy(), dtype=object)
    texts = frame["text"].tolist()
    rows = frame["row"].tolist()
    stats: Counter[str] = Counter()
    rejects: list[Reject] = []

    # Identical documents in one chunk are segmented once (with --dedup).
    if opts.dedup:
        first: dict[str, int] = {}
        owner = [first.setdefault(t, i) for i, t in enumerate(texts)]
        uniq = sorted(set(owner))
        segs_u = model.segment([texts[i] for i in uniq])
        by_pos = dict(zip(uniq, segs_u, strict=True))
        segs = [by_pos[o] for o in owner]
        stats["dedup_documents"] = len(texts) - len(uniq)
    else:
        segs = model.segment(texts)

    keep = list(range(len(texts)))
    if opts.unit == "passage" and not all(s.passages for s in segs):
        keep = [i for i, s in enumerate(segs) if s.passages]
        rejects = [
            Reject(str(ids[i]), rows[i], NO_TEXT, opts.source)
            for i, s in enumerate(segs)
            if not s.passages
        ]
    if not keep:
        return None, rejects, dict(stats)
    segs_k = [segs[i] for i in keep]
    decider = model.decider
    if dedup_store is not None:
        decider = DedupPipeline(model.decider, dedup_store, opts.near_threshold)
    # Positions as ids, so duplicate ids keep their own text and input columns.
    out = build_rows(decider, keep, segs_k, unit=opts.unit, training_unit=model.training_unit)
    if isinstance(decider, DedupPipeline):
        stats["dedup_exact"] += decider.hits["exact"]
        stats["dedup_near"] += decider.hits["near"]
    pos = out["id"].to_numpy(dtype=np.int64)
    out["id"] = ids[pos]
    if opts.unit == "passage" and opts.with_text and opts.kind != "semeval":
        spans = zip(pos, out["start"].tolist(), out["end"].tolist(), strict=True)
        out.insert(TEXT_POSITION, "text", [texts[p][s:e] for p, s, e in spans])
    extra = [c for c in frame.columns if c not in ("id", "text", "row")]
    if extra and opts.kind != "semeval":
        for c in extra:
            name = f"{c}_input" if c in out.columns else c
            out[name] = pd.Series(
                _stringify(frame[c].to_numpy(dtype=object)[pos]), index=out.index, dtype=object
            )

    stats["documents"] += len(segs_k)
    stats["truncated"] += sum(s.truncated for s in segs_k)
    stats["passages"] += sum(len(s.passages) for s in segs_k)
    stats["words"] += sum(s.document.n_words for s in segs_k)
    stats["unsupported_language"] += sum(not s.supported for s in segs_k)
    frame_counts: Counter[str] = Counter()
    for frames in out["frames"]:
        frame_counts.update(frames)
    stance_counts = Counter(out["stance"])
    return (
        out,
        rejects,
        {**stats, "frame_counts": dict(frame_counts), "stance_counts": dict(stance_counts)},
    )


def tag_chunk(
    model: NarrativeModel,
    frame: pd.DataFrame,
    opts: ChunkOptions,
    index: int,
    dedup_store: Any = None,
) -> ChunkResult:
    """:func:`tag_frame` plus the encoding of the output part for the checkpoint."""
    out, rejects, stats = tag_frame(model, frame, opts, dedup_store)
    res = ChunkResult(index=index, rejects=rejects, stats=stats)
    if out is None:
        return res
    if opts.kind == "semeval":
        lines = "".join(
            f"{i}\t{';'.join(c)}\t{';'.join(f)}\n" for i, c, f in semeval_rows(model, out)
        )
        res.part, res.rows, res.columns = lines.encode("utf-8"), len(out), []
        return res
    res.part = encode_part(out, opts.kind, model.decider.classifier.fine_labels_)
    res.rows, res.columns = len(out), list(out.columns)
    return res


def empty_columns(unit: str, with_text: bool) -> list[str]:
    """Columns of an output without rows."""
    return output_columns(unit, with_text)
