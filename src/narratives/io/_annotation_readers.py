"""Readers of the annotation tools' exports (Label Studio JSON, Prodigy JSONL, doccano JSONL,
the annotation CSV): one row per annotated unit with its labels, design fields and rejects.
Writing and dispatch are in :mod:`narratives.io._annotation_tools`."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from .._exceptions import InputError
from .._internal.csvsafe import restore
from .._internal.messages import not_found
from ._readers import Reject

#: Label Studio: the name of the frame choices in the labelling config.
_LS_FROM_FRAMES = "frames"


def _design(d: Mapping[str, Any]) -> dict[str, Any]:
    out = {
        k: v
        for k, v in d.items()
        if k
        not in (
            "text",
            "label",
            "labels",
            "model_labels",
            "Comments",
            "options",
            "accept",
            "answer",
            "meta",
            "narratives",
            "config",
        )
    }
    return out


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError:
        raise InputError(f"{path} is not valid UTF-8") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path} is not valid JSON (line {exc.lineno}: {exc.msg})") from None


def _iter_jsonl(path: Path) -> Iterable[tuple[int, Any]]:
    try:
        fh = open(path, encoding="utf-8-sig")  # noqa: SIM115
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    with fh:
        try:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    yield lineno, json.loads(line)
                except json.JSONDecodeError as exc:
                    yield lineno, ValueError(f"malformed JSON ({exc.msg})")
        except UnicodeDecodeError:
            raise InputError(f"{path} is not valid UTF-8") from None


def _read_labelstudio(path: Path, frames, none) -> tuple[list[dict[str, Any]], list[Reject]]:
    data = _load_json(path)
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise InputError(f"{path} is not a Label Studio JSON export (a list of tasks)")
    rows, rejects = [], []
    for k, task in enumerate(data, 1):
        if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
            rejects.append(Reject(None, k, "not a Label Studio task (no 'data' object)", str(path)))
            continue
        d = task["data"]
        sid = d.get("sample_id")
        if sid is None:
            rejects.append(
                Reject(
                    None,
                    k,
                    "task has no sample_id in its data: not exported by narratives",
                    str(path),
                )
            )
            continue
        anns = [
            a
            for a in (task.get("annotations") or task.get("completions") or [])
            if isinstance(a, dict)
        ]
        live = [a for a in anns if not a.get("was_cancelled")]
        if not live:
            why = "annotation was cancelled (skipped)" if anns else "task has no annotation"
            rejects.append(Reject(str(sid), k, why, str(path)))
            continue
        for a in live:
            chosen: list[str] = []
            stances: dict[str, str] = {}
            for res in a.get("result") or []:
                if not isinstance(res, dict) or res.get("type") != "choices":
                    continue
                vals = (res.get("value") or {}).get("choices") or []
                name = str(res.get("from_name", ""))
                if name == _LS_FROM_FRAMES:
                    chosen.extend(str(v) for v in vals)
                elif name.startswith("stance_") and vals:
                    stances[name[len("stance_") :]] = str(vals[0])
            labels = [f"{f}:{stances[f]}" if f in stances and f != none else f for f in chosen]
            extra_stance = [f for f in stances if f not in chosen]
            rec = {
                **_design(d),
                "sample_id": str(sid),
                "text": d.get("text"),
                "_labels": labels,
                "annotator": a.get("completed_by"),
                "source_row": k,
            }
            if extra_stance and not chosen:
                rec["_labels"] = []
            rows.append(rec)
    return rows, rejects


def _read_prodigy(path: Path, frames, none) -> tuple[list[dict[str, Any]], list[Reject]]:
    rows, rejects = [], []
    for lineno, rec in _iter_jsonl(path):
        if isinstance(rec, Exception) or not isinstance(rec, dict):
            rejects.append(
                Reject(
                    None,
                    lineno,
                    str(rec) if isinstance(rec, Exception) else "line is not a JSON object",
                    str(path),
                )
            )
            continue
        nar = rec.get("narratives") if isinstance(rec.get("narratives"), dict) else {}
        sid = nar.get("sample_id") or (rec.get("meta") or {}).get("sample_id")
        if sid is None:
            rejects.append(
                Reject(None, lineno, "task has no sample_id: not exported by narratives", str(path))
            )
            continue
        answer = rec.get("answer")
        if answer is None:
            rejects.append(Reject(str(sid), lineno, "task has no answer: not annotated", str(path)))
            continue
        if answer != "accept":
            rejects.append(
                Reject(
                    str(sid),
                    lineno,
                    f"answer is {answer!r}: only accepted tasks carry labels",
                    str(path),
                )
            )
            continue
        rows.append(
            {
                **_design(nar),
                "sample_id": str(sid),
                "text": rec.get("text"),
                "_labels": list(rec.get("accept") or []),
                "annotator": rec.get("_annotator_id") or rec.get("_session_id"),
                "source_row": lineno,
            }
        )
    return rows, rejects


def _read_doccano(path: Path, frames, none) -> tuple[list[dict[str, Any]], list[Reject]]:
    rows, rejects = [], []
    for lineno, rec in _iter_jsonl(path):
        if isinstance(rec, Exception) or not isinstance(rec, dict):
            rejects.append(
                Reject(
                    None,
                    lineno,
                    str(rec) if isinstance(rec, Exception) else "line is not a JSON object",
                    str(path),
                )
            )
            continue
        sid = rec.get("sample_id")
        if sid is None:
            rejects.append(
                Reject(
                    None, lineno, "example has no sample_id: not exported by narratives", str(path)
                )
            )
            continue
        labels = rec.get("label", rec.get("labels", []))
        if isinstance(labels, str):
            labels = [labels]
        if not isinstance(labels, list) or any(isinstance(x, (list, dict)) for x in labels):
            rejects.append(
                Reject(
                    str(sid),
                    lineno,
                    "'label' is not a list of category names (export a text-classification project)",
                    str(path),
                )
            )
            continue
        d = _design(rec)
        d.pop("id", None)  # doccano's own example id
        d.pop("user", None)
        if "doc_id" in d:
            d["id"] = d.pop("doc_id")
        rows.append(
            {
                **d,
                "sample_id": str(sid),
                "text": rec.get("text"),
                "_labels": labels,
                "annotator": rec.get("user"),
                "source_row": lineno,
            }
        )
    return rows, rejects


def _read_csv(path: Path, frames, none) -> tuple[list[dict[str, Any]], list[Reject]]:
    try:
        df = pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            sep="\t" if path.suffix.lower() == ".tsv" else ",",
        )
    except UnicodeDecodeError:
        raise InputError(f"{path} is not valid UTF-8") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"cannot read {path} as CSV: {str(exc).splitlines()[0]}") from None
    df = df.rename(columns=restore).map(restore)  # undo the export's formula neutralisation
    for c in ("sample_id", "labels"):
        if c not in df.columns:
            raise InputError(not_found("column", c, df.columns, path))
    rows, rejects = [], []
    for k, rec in enumerate(df.to_dict("records"), 2):  # row 1 is the header
        sid = rec.get("sample_id", "").strip()
        if not sid:
            rejects.append(Reject(None, k, "row has no sample_id", str(path)))
            continue
        labels = [
            x.strip() for x in str(rec.get("labels", "")).replace(",", ";").split(";") if x.strip()
        ]
        d = {c: _num(v) for c, v in _design(rec).items()}
        rows.append(
            {
                **d,
                "sample_id": sid,
                "text": rec.get("text"),
                "_labels": labels,
                "annotator": rec.get("annotator") or None,
                "source_row": k,
            }
        )
    return rows, rejects


def _num(v: Any) -> Any:
    if not isinstance(v, str):
        return v
    s = v.strip()
    if s == "":
        return None
    try:
        return int(s)
    except ValueError:
        pass
    try:
        return float(s)
    except ValueError:
        return v
