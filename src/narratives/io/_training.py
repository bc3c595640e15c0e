"""Labelled data: JSONL/CSV/Parquet rows with ``frames`` (and optional ``stance``), or SemEval folders."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .._exceptions import InputError
from .._internal.cells import as_list
from .._taxonomy import Taxonomy
from ._readers import Reject, detect_format, read_all

__all__ = ["LabelledData", "as_labelled", "read_labelled", "read_semeval"]

SEMEVAL_ANNOTATIONS = "subtask-2-annotations.txt"


@dataclass
class LabelledData:
    """Texts with gold labels. ``frame`` has ``id``, ``text``, ``frames`` (list of fine labels),
    ``families`` (list of coarse labels) and ``stance``: a str for all the row's frames, a dict
    frame -> stance (when ``frames`` was given as such a mapping), or None. An optional boolean
    ``open_world`` column marks real, open-world text (see ``NarrativeClassifier``)."""

    frame: pd.DataFrame
    taxonomy: Taxonomy | None
    rejects: list[Reject]
    source: str = ""


def _as_list(v: Any) -> list[str]:
    return as_list(v, strict=True)


def _frame_stances(df: pd.DataFrame) -> pd.DataFrame:
    """Rows whose ``frames`` is a mapping frame -> stance (stance per frame, as in
    ``data/real``): ``frames`` becomes its keys and ``stance`` the mapping."""
    if "frames" not in df.columns or not any(isinstance(v, dict) for v in df["frames"]):
        return df
    stance = df["stance"].tolist() if "stance" in df.columns else [None] * len(df)
    df = df.copy()
    df["stance"] = [
        dict(v) if isinstance(v, dict) else s for v, s in zip(df["frames"], stance, strict=False)
    ]
    df["frames"] = [list(v) if isinstance(v, dict) else v for v in df["frames"]]
    return df


def read_semeval(path: str | Path) -> LabelledData:
    """Read a SemEval-2025 Task 10 subtask-2 folder (``raw-documents/`` + annotations)."""
    path = Path(path)
    docs_dir = path / "raw-documents"
    ann = path / SEMEVAL_ANNOTATIONS
    if not docs_dir.is_dir():
        raise InputError(f"{path} is not a SemEval folder: raw-documents/ is missing")
    if not ann.is_file():
        raise InputError(f"{path} has no {SEMEVAL_ANNOTATIONS}: it holds no gold labels")
    # A labelled set is assembled on purpose, often as links to a shared copy of the corpus:
    # its links are followed (only `tag` refuses links out of the input folder by default).
    docs, rejects = read_all(path, fmt="semeval", follow_links=True)
    gold: dict[str, tuple[list[str], list[str]]] = {}
    for lineno, line in enumerate(ann.read_text(encoding="utf-8-sig").splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 3:
            raise InputError(f"{ann}:{lineno}: expected 3 tab-separated fields, found {len(parts)}")
        gold[parts[0].strip()] = (_as_list(parts[1]), _as_list(parts[2]))
    missing = [i for i in docs["id"] if i not in gold]
    for i in missing:
        rejects.append(Reject(i, i, "document has no gold annotation", str(ann)))
    docs = docs[docs["id"].isin(gold)].reset_index(drop=True)
    docs["families"] = [gold[i][0] for i in docs["id"]]
    docs["frames"] = [gold[i][1] for i in docs["id"]]
    docs["stance"] = None
    return LabelledData(docs, semeval_taxonomy(path, gold.values()), rejects, str(path))


def semeval_taxonomy(path: Path, gold: Any = ()) -> Taxonomy:
    """The SemEval label hierarchy: from ``subtask2_subnarratives.json`` next to the folder when
    present (so labels unseen in training still exist), plus every label in the annotations."""
    pairs: dict[str, str] = {}
    for cand in (path / "subtask2_subnarratives.json", path.parent / "subtask2_subnarratives.json"):
        if cand.is_file():
            data = json.loads(cand.read_text(encoding="utf-8-sig"))
            for narr, subs in data.items():
                for sub in subs:
                    pairs[sub] = narr
            break
    for narrs, subs in gold:
        for sub in subs:
            if sub == "Other" or sub in pairs:
                continue
            parent = max((n for n in narrs if sub.startswith(n + ":")), key=len, default=None)
            if parent is None:
                parent = sub.rsplit(": ", 1)[0]
            pairs[sub] = parent
    return Taxonomy.from_label_pairs(pairs.items(), none_label="Other", name="semeval2025-task10")


def _reject_empty_texts(df: pd.DataFrame, rejects: list, source: str) -> tuple[pd.DataFrame, list]:
    """Training rows whose text is empty or blank teach nothing (an empty text labelled with a
    frame teaches a wrong prior): rejects with the reason, not training rows."""
    if not len(df):
        return df, rejects
    # no letter or digit: blank, or only spaces such as U+200B that str.strip() keeps
    blank = df["text"].map(lambda t: isinstance(t, str) and not any(map(str.isalnum, t)))
    blank = blank.to_numpy()
    if not blank.any():
        return df, rejects
    rejects = [
        *rejects,
        *(
            Reject(rid, row, "text is empty (no letter or digit): nothing to learn from", source)
            for rid, row in zip(df.loc[blank, "id"], df.loc[blank, "row"], strict=True)
        ),
    ]
    return df[~blank].reset_index(drop=True), rejects


def read_labelled(
    path: str | Path,
    fmt: str = "auto",
    text_column: str = "text",
    id_column: str | None = None,
    labels_column: str = "frames",
    stance_column: str = "stance",
) -> LabelledData:
    """Read labelled training or evaluation data in any supported format."""
    if fmt == "auto" and str(path).lower().endswith(
        (".labelstudio.json", ".prodigy.jsonl", ".doccano.jsonl")
    ):
        fmt = str(path).lower().rsplit(".", 2)[-2]
    if fmt in ANNOTATION_TOOLS:  # Label Studio / Prodigy / doccano exports (narratives sample)
        return _read_annotation_tool(path, fmt)
    fmt = detect_format(path, fmt)
    if fmt == "csv" and _is_annotation_csv(path, labels_column):
        return _read_annotation_tool(path, "csv")
    if fmt == "semeval":
        return read_semeval(path)
    if fmt == "txt":
        raise InputError(
            "a folder of .txt files has no labels; use --format semeval or a JSONL/CSV/Parquet file"
        )
    df, rejects = read_all(path, fmt=fmt, text_column=text_column, id_column=id_column)
    df, rejects = _reject_empty_texts(df, rejects, str(path))
    if labels_column not in df.columns:
        raise InputError(
            f"labelled data needs a {labels_column!r} column; available: {', '.join(c for c in df.columns if c != 'row')}"
        )
    if labels_column != "frames":
        df["frames"] = df.pop(labels_column)
    per_frame = [dict(v) if isinstance(v, dict) else None for v in df["frames"]]
    df["frames"] = [list(v) if isinstance(v, dict) else _as_list(v) for v in df["frames"]]
    if any(p is not None for p in per_frame):
        old = df[stance_column].tolist() if stance_column in df.columns else [None] * len(df)
        df["stance"] = [p if p is not None else s for p, s in zip(per_frame, old, strict=False)]
    elif stance_column in df.columns:
        df["stance"] = [
            None if (s is None or (isinstance(s, float) and s != s)) else str(s)
            for s in df[stance_column]
        ]
    else:
        df["stance"] = None
    return LabelledData(df.reset_index(drop=True), None, rejects, str(path))


def as_labelled(data: Any, fmt: str, text_column: str, id_column: str | None) -> LabelledData:
    """Labelled data from a path, a DataFrame (``text`` and ``frames`` columns) or LabelledData."""
    if isinstance(data, LabelledData):
        return data
    if isinstance(data, pd.DataFrame):
        if text_column not in data.columns or "frames" not in data.columns:
            raise InputError(f"training DataFrame needs {text_column!r} and 'frames' columns")
        df = data.rename(columns={text_column: "text"}).copy()
        if "id" not in df.columns:
            df["id"] = [str(i) for i in range(len(df))]
        if "stance" not in df.columns:
            df["stance"] = None
        df = _frame_stances(df)
        # label cells as the file readers give them: lists (a ';'-joined string, a JSON list
        # string or an array from Parquet are split like a file's cells)
        df["frames"] = [_as_list(v) for v in df["frames"]]
        if "row" not in df.columns:
            df["row"] = range(1, len(df) + 1)
        df, rejects = _reject_empty_texts(df.reset_index(drop=True), [], "DataFrame")
        return LabelledData(df, None, rejects, "DataFrame")
    return read_labelled(data, fmt=fmt, text_column=text_column, id_column=id_column)


#: Annotation-tool formats ``read_labelled`` accepts besides the table formats (see
#: :mod:`narratives.io._annotation_tools`); an annotation CSV is recognised by its columns.
ANNOTATION_TOOLS = ("labelstudio", "prodigy", "doccano")


def _is_annotation_csv(path: str | Path, labels_column: str) -> bool:
    try:
        head = pd.read_csv(path, nrows=0).columns
    except (ValueError, OSError, UnicodeDecodeError):
        return False
    return labels_column not in head and {"sample_id", "labels"} <= set(head)


def _read_annotation_tool(path: str | Path, fmt: str) -> LabelledData:
    from ._annotation_tools import annotations_to_frame, read_annotations

    ann = read_annotations(path, fmt)
    df = annotations_to_frame(ann)
    if not len(df):
        raise InputError(f"{path}: no usable annotations ({len(ann.rejects)} rejected)")
    return LabelledData(df, None, list(ann.rejects), str(path))
