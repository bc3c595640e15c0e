"""Batch tagging of a file or folder: stream in, tag chunk by chunk, write out atomically."""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .._exceptions import InputError
from .._model import DOCUMENT_COLUMNS, PASSAGE_COLUMNS, NarrativeModel
from ..io import TableWriter, check_output_path, iter_chunks, rejects_path, write_rejects, write_semeval
from ..io._readers import Reject

__all__ = ["TagSummary", "tag_file"]

log = logging.getLogger(__name__)


@dataclass
class TagSummary:
    """What a tagging run did. ``input_rows == documents + rejected``."""

    output: str
    rejects: str | None
    input_rows: int = 0
    documents: int = 0
    rejected: int = 0
    duplicate_ids: int = 0
    passages: int = 0
    output_rows: int = 0
    truncated: int = 0
    non_english: int = 0
    words: int = 0
    seconds: float = 0.0
    frame_counts: dict[str, int] = field(default_factory=dict)
    stance_counts: dict[str, int] = field(default_factory=dict)

    @property
    def rows_per_second(self) -> float:
        return self.documents / self.seconds if self.seconds else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "rows_per_second": round(self.rows_per_second, 1)}


def semeval_rows(model: NarrativeModel, df: pd.DataFrame) -> list[tuple[str, list[str], list[str]]]:
    """SemEval lines from document-level rows: coarse labels without a fine child get the
    ``<narrative>: Other`` subnarrative when the taxonomy has one."""
    tax = model.taxonomy
    fine_set = set(tax.fine_labels)
    rows = []
    for rid, frames, families in zip(df["id"], df["frames"], df["families"], strict=True):
        frames = [f for f in frames if f != tax.none_label]
        families = [c for c in families if c != tax.none_label]
        for c in families:
            if not any(tax.parent(f) == c for f in frames) and f"{c}: Other" in fine_set:
                frames.append(f"{c}: Other")
        rows.append((str(rid), families or [tax.none_label], frames or [tax.none_label]))
    return rows


def tag_file(
    input_path: str | Path,
    output_path: str | Path,
    model: NarrativeModel,
    unit: str = "passage",
    fmt: str = "auto",
    text_column: str = "text",
    id_column: str | None = None,
    chunk_rows: int = 500,
    with_text: bool = True,
) -> TagSummary:
    """Tag every row of ``input_path`` and write ``output_path`` (+ a rejects file when needed).

    ``fmt="semeval"`` writes a SemEval subtask-2 predictions file (document level).
    """
    t0 = time.perf_counter()
    out = Path(output_path)
    semeval_out = fmt == "semeval"
    check_output_path(out)
    if not semeval_out:
        from ..io import output_format

        output_format(out)
    if semeval_out:
        unit = "document"
    rej_path = rejects_path(out)
    summary = TagSummary(output=str(out), rejects=None)
    writer = None if semeval_out else TableWriter(out)
    semeval_lines: list[tuple[str, list[str], list[str]]] = []
    seen: set[str] = set()
    all_rejects = []
    try:
        for chunk in iter_chunks(input_path, fmt=fmt, text_column=text_column, id_column=id_column, chunk_rows=chunk_rows):
            summary.input_rows += chunk.n_read
            all_rejects.extend(chunk.rejects)
            df = chunk.frame
            if not len(df):
                continue
            dup = df["id"].astype(str).isin(seen) | df["id"].astype(str).duplicated()
            if dup.any():
                summary.duplicate_ids += int(dup.sum())
                log.warning("%d duplicate ids in this chunk (kept, each row tagged)", int(dup.sum()))
            seen.update(df["id"].astype(str))
            texts = df["text"].tolist()
            ids = df["id"].astype(str).tolist()
            segs = model.segment(texts)
            if unit == "passage" and not all(s.passages for s in segs):
                # Nothing to tag (empty, or only whitespace, markup or control characters): such a
                # document has no passage row, so it goes to the rejects instead of vanishing.
                keep = [i for i, s in enumerate(segs) if s.passages]
                all_rejects.extend(
                    Reject(ids[i], row, f"no text to tag in the first {segs[i].n_chars} characters (truncated)" if segs[i].truncated
                           else "no text to tag (empty, or only whitespace, markup or control characters)", str(input_path))
                    for i, row in enumerate(df["row"].tolist()) if not segs[i].passages
                )  # fmt: skip
                df, segs = df.iloc[keep], [segs[i] for i in keep]
                texts, ids = [texts[i] for i in keep], [ids[i] for i in keep]
                if not len(df):
                    continue
            res = model.tag_segments(ids, segs, unit=unit)
            summary.documents += len(df)
            summary.truncated += sum(s.truncated for s in segs)
            summary.passages += sum(len(s.passages) for s in segs)
            summary.words += sum(s.document.n_words for s in segs)
            summary.non_english += sum(s.document.lang != "en" for s in segs)
            for frames in res["frames"]:
                for f in frames:
                    summary.frame_counts[f] = summary.frame_counts.get(f, 0) + 1
            for s in res["stance"]:
                summary.stance_counts[s] = summary.stance_counts.get(s, 0) + 1
            if semeval_out:
                semeval_lines.extend(semeval_rows(model, res))
                continue
            if unit == "passage" and with_text:
                by_row = dict(zip(ids, texts, strict=True))
                res.insert(4, "text", [by_row[i][s:e] for i, s, e in zip(res["id"], res["start"], res["end"], strict=True)])
            extra = [c for c in df.columns if c not in ("id", "text", "row")]
            if extra:
                meta = df[["id", *extra]].copy()
                meta["id"] = ids
                for c in extra:
                    meta[c] = meta[c].map(lambda v: None if v is None else str(v))
                res = res.merge(meta.drop_duplicates("id"), on="id", how="left", suffixes=("", "_input"))
            writer.write(res)
            summary.output_rows += len(res)
        summary.rejected = len(all_rejects)
        if all_rejects:
            write_rejects(rej_path, all_rejects)
            summary.rejects = str(rej_path)
        if semeval_out:
            write_semeval(out, semeval_lines)
            summary.output_rows = len(semeval_lines)
        else:
            cols = PASSAGE_COLUMNS if unit == "passage" else DOCUMENT_COLUMNS
            writer.commit(empty_frame=pd.DataFrame(columns=cols))
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    summary.seconds = time.perf_counter() - t0
    if summary.input_rows and summary.documents == 0 and summary.rejected == 0:
        raise InputError(f"no data rows in {input_path}")
    return summary
