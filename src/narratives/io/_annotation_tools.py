"""Annotation tools as plain files: export a sample for annotation, read the annotations back.

Four formats, each following the tool's documented file format (no server, no API):

``labelstudio``
    Label Studio tasks JSON (``[{"data": {...}, "predictions": [...]}]``) and, next to it, the
    labelling config (``*.labelstudio.xml``): a multiple ``<Choices name="frames">`` with every
    frame and ``none`` (required), and per frame a single ``<Choices name="stance_<frame>">``
    (``promotes`` / ``reports``) shown only when that frame is selected
    (``visibleWhen="choice-selected" whenTagName="frames" whenChoiceValue="<frame>"``). The
    model's labels go in ``predictions`` (pre-annotations: ``type: choices`` results). Import
    reads Label Studio's JSON export (tasks with ``annotations``; each annotation's ``result``).
``prodigy``
    JSONL tasks for Prodigy's ``choice`` interface with ``choice_style: multiple`` (the
    interface of ``textcat.manual`` with several labels): ``text``, ``options`` (``{"id",
    "text"}``), ``accept`` (the pre-selected option ids: the model's labels), ``meta``. Import
    reads ``prodigy db-out`` JSONL: ``answer`` (``accept``; ``reject`` and ``ignore`` are not
    annotations) and ``accept`` (the selected option ids).
``doccano``
    doccano text-classification JSONL: ``text``, ``label`` (a list) and metadata keys, which
    doccano keeps as the example's metadata and writes back at the top level of its JSONL export
    (next to its own ``id``, ``label`` and ``Comments``). The model's labels go in the metadata
    key ``model_labels`` (doccano has no pre-annotations separate from annotations, and labels in
    an imported file would count as the importing user's annotations).
``csv``
    A spreadsheet: one row per task, the design columns, ``text``, ``model_labels`` (the
    model's labels, for reference) and an empty ``labels`` column to fill in.

Labels with a stance (Prodigy, doccano, CSV): each frame is two labels, ``<frame>:promotes``
and ``<frame>:reports`` (data/GUIDELINES.md section 9: stance belongs to a frame), plus
``none`` for "no frame". A bare ``<frame>`` is read as the frame with no stance recorded.

Every task carries ``sample_id`` and the sample's design fields (run, stratum, inclusion
probability, ...), so annotations can be matched to the tagged corpus and design-weighted.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .._exceptions import InputError
from .._internal.atomic import write_atomically, write_text_atomically
from .._internal.csvsafe import neutralise
from ._annotation_readers import (
    _LS_FROM_FRAMES,
    _read_csv,
    _read_doccano,
    _read_labelstudio,
    _read_prodigy,
)
from ._readers import Reject

__all__ = [
    "ANNOTATION_FORMATS",
    "DESIGN_FIELDS",
    "STANCE_VALUES",
    "Annotations",
    "annotation_format",
    "annotations_to_frame",
    "decode_labels",
    "encode_labels",
    "export_tasks",
    "labelstudio_config",
    "read_annotations",
]

ANNOTATION_FORMATS = ("labelstudio", "prodigy", "doccano", "csv")
STANCE_VALUES = ("promotes", "reports")
#: Fields every exported task carries (besides ``sample_id`` and ``text``), in this order.
DESIGN_FIELDS = (
    "id",
    "passage",
    "start",
    "end",
    "unit",
    "strategy",
    "run",
    "tags_fingerprint",
    "stratum",
    "stratum_size",
    "stratum_sample_size",
    "inclusion_probability",
)
_SUFFIX = {
    "labelstudio": ".labelstudio.json",
    "prodigy": ".prodigy.jsonl",
    "doccano": ".doccano.jsonl",
    "csv": ".csv",
}
_LS_TO = "text"


# ----------------------------------------------------------------------------- label encoding
def encode_labels(
    frames: Sequence[str], stances: Mapping[str, str] | None, none: str = "none"
) -> list[str]:
    """``["russia_defends"], {"russia_defends": "promotes"}`` -> ``["russia_defends:promotes"]``;
    no frame -> ``["none"]``."""
    if not frames:
        return [none]
    stances = stances or {}
    return [f"{f}:{stances[f]}" if stances.get(f) in STANCE_VALUES else f for f in frames]


def decode_labels(
    labels: Iterable[str], frames: Sequence[str] | None, none: str = "none"
) -> tuple[list[str], dict[str, str]]:
    """The inverse of :func:`encode_labels`, checked: raises ``ValueError`` (a one-line reason)
    for an empty list, a label outside the taxonomy, ``none`` next to a frame, or a frame with
    two stances."""
    labels = [str(x).strip() for x in labels if str(x).strip()]
    if not labels:
        raise ValueError("empty annotation: no label selected (use 'none' for no frame)")
    known = None if frames is None else set(frames)
    out: list[str] = []
    stances: dict[str, str] = {}
    has_none = False
    for lab in labels:
        if lab == none:
            has_none = True
            continue
        frame, sep, stance = lab.partition(":")
        frame, stance = frame.strip(), stance.strip()
        if known is not None and frame not in known:
            raise ValueError(f"label {lab!r} is not in the taxonomy")
        if sep and stance not in STANCE_VALUES:
            raise ValueError(f"label {lab!r}: stance must be 'promotes' or 'reports'")
        if frame in out:
            if sep and stances.get(frame) not in (None, stance):
                raise ValueError(f"frame {frame!r} has two stances ({stances[frame]} and {stance})")
            if sep:
                stances[frame] = stance
            continue
        out.append(frame)
        if sep:
            stances[frame] = stance
    if has_none and out:
        raise ValueError(f"'{none}' selected together with frames ({', '.join(out)})")
    if known is not None:
        order = {f: i for i, f in enumerate(frames or [])}
        out.sort(key=lambda f: order.get(f, len(order)))
    return out, stances


def passage_stance(frames: Sequence[str], stances: Mapping[str, str]) -> str | None:
    """The passage-level stance derived from the stance per frame (GUIDELINES 9.1)."""
    if not frames:
        return "none"
    vals = [stances.get(f) for f in frames]
    if "promotes" in vals:
        return "promotes"
    if "reports" in vals:
        return "reports"
    return None


# ---------------------------------------------------------------------------------- export
def _clean(v: Any) -> Any:
    """JSON-safe cell: numpy scalars and arrays to Python, NaN to None."""
    if v is None:
        return None
    if hasattr(v, "tolist") and not isinstance(v, (str, bytes)):
        v = v.tolist()
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, dict):
        return {str(k): _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    return v


def _task_fields(row: Mapping[str, Any], extra: Sequence[str]) -> dict[str, Any]:
    out = {"sample_id": str(row["sample_id"])}
    for k in (*DESIGN_FIELDS, *extra):
        if k in row:
            out[k] = _clean(row[k])
    return out


def _model_labels(row: Mapping[str, Any], none: str) -> tuple[list[str], dict[str, str]]:
    frames = [str(f) for f in (_clean(row.get("model_frames")) or []) if str(f) != none]
    stances = _clean(row.get("model_stances")) or {}
    if not stances and frames and row.get("model_stance") in STANCE_VALUES:
        stances = dict.fromkeys(frames, row["model_stance"])
    return frames, {str(k): str(v) for k, v in stances.items()}


def labelstudio_config(
    frames: Sequence[str], none: str = "none", hints: Mapping[str, str] | None = None
) -> str:
    """The Label Studio labelling config (XML) matching :func:`export_tasks`'s tasks."""
    from xml.sax.saxutils import quoteattr

    hints = hints or {}
    lines = [
        "<View>",
        '  <Header value="$sample_id"/>',
        f'  <Text name="{_LS_TO}" value="$text"/>',
        '  <Header value="Frames (choose every frame the text carries, or none)" size="5"/>',
        f'  <Choices name="{_LS_FROM_FRAMES}" toName="{_LS_TO}" choice="multiple" required="true" '
        'requiredMessage="choose at least one frame, or none">',
        f"    <Choice value={quoteattr(none)}/>",
    ]
    for f in frames:
        hint = f" hint={quoteattr(hints[f][:300])}" if hints.get(f) else ""
        lines.append(f"    <Choice value={quoteattr(f)}{hint}/>")
    lines.append("  </Choices>")
    for f in frames:
        lines += [
            f'  <Choices name={quoteattr("stance_" + f)} toName="{_LS_TO}" choice="single-radio" showInline="true" '
            f'visibleWhen="choice-selected" whenTagName="{_LS_FROM_FRAMES}" whenChoiceValue={quoteattr(f)}>',
            f'    <Header value={quoteattr("stance: " + f)} size="6"/>',
            '    <Choice value="promotes"/>',
            '    <Choice value="reports"/>',
            "  </Choices>",
        ]
    lines.append("</View>")
    return "\n".join(lines) + "\n"


def _ls_results(
    frames: list[str], stances: dict[str, str], none: str, prefix: str
) -> list[dict[str, Any]]:
    res = [
        {
            "id": f"{prefix}f",
            "from_name": _LS_FROM_FRAMES,
            "to_name": _LS_TO,
            "type": "choices",
            "value": {"choices": frames or [none]},
        }
    ]
    for k, f in enumerate(frames):
        if stances.get(f) in STANCE_VALUES:
            res.append(
                {
                    "id": f"{prefix}s{k}",
                    "from_name": f"stance_{f}",
                    "to_name": _LS_TO,
                    "type": "choices",
                    "value": {"choices": [stances[f]]},
                }
            )
    return res


def export_tasks(
    sample: pd.DataFrame,
    path: str | Path,
    fmt: str,
    frames: Sequence[str],
    none: str = "none",
    predictions: bool = True,
    model_version: str = "narratives",
    extra_fields: Sequence[str] = (),
    hints: Mapping[str, str] | None = None,
) -> list[Path]:
    """Write ``sample`` (one row per task: ``sample_id``, ``text``, design fields, ``model_frames``,
    ``model_stances``, ``scores``) as annotation tasks for ``fmt``. Returns the files written
    (Label Studio: the tasks and the labelling config next to them).

    ``predictions=False`` leaves the model's labels out (blind annotation: annotators who see a
    suggestion tend to keep it, which biases error estimates towards the model)."""
    if fmt not in ANNOTATION_FORMATS:
        raise InputError(
            f"unknown annotation format {fmt!r}; use one of {', '.join(ANNOTATION_FORMATS)}"
        )
    missing = [c for c in ("sample_id", "text") if c not in sample.columns]
    if missing:
        raise InputError(
            f"a sample needs columns {', '.join(missing)}; is this a narratives sample?"
        )
    path = Path(path)
    rows = sample.to_dict("records")
    extra = [c for c in extra_fields if c in sample.columns and c not in DESIGN_FIELDS]
    written: list[Path] = []
    if fmt == "labelstudio":
        tasks = []
        for k, r in enumerate(rows):
            data = {"text": r["text"], **_task_fields(r, extra)}
            task: dict[str, Any] = {"data": data}
            if predictions:
                mf, ms = _model_labels(r, none)
                scores = _clean(r.get("scores")) or {}
                top = max((scores.get(f, 0.0) for f in mf), default=None)
                task["predictions"] = [
                    {
                        "model_version": model_version,
                        **({"score": float(top)} if top is not None else {}),
                        "result": _ls_results(mf, ms, none, prefix=f"p{k}"),
                    }
                ]
            tasks.append(task)
        written.append(
            write_text_atomically(path, json.dumps(tasks, ensure_ascii=False, indent=1) + "\n")
        )
        cfg = _sibling(path, ".labelstudio.xml")
        written.append(write_text_atomically(cfg, labelstudio_config(frames, none, hints)))
    elif fmt == "prodigy":
        options = [{"id": none, "text": none}] + [
            {"id": f"{f}:{s}", "text": f"{f}: {s}"} for f in frames for s in STANCE_VALUES
        ]
        lines = []
        for r in rows:
            fields = _task_fields(r, extra)
            mf, ms = _model_labels(r, none)
            task = {
                "text": r["text"],
                "options": options,
                "config": {"choice_style": "multiple"},
                "meta": {
                    "sample_id": fields["sample_id"],
                    "model": ", ".join(encode_labels(mf, ms, none)),
                }
                if predictions
                else {"sample_id": fields["sample_id"]},
                "narratives": fields,
            }
            if predictions:
                task["accept"] = encode_labels(mf, ms, none)
            lines.append(json.dumps(task, ensure_ascii=False))
        written.append(write_text_atomically(path, "\n".join(lines) + "\n"))
    elif fmt == "doccano":
        lines = []
        for r in rows:
            rec: dict[str, Any] = {"text": r["text"], "label": []}
            fields = _task_fields(r, extra)
            if "id" in fields:  # doccano has its own "id"; the document id travels as doc_id
                fields["doc_id"] = fields.pop("id")
            rec.update(fields)
            if predictions:
                mf, ms = _model_labels(r, none)
                rec["model_labels"] = encode_labels(mf, ms, none)
            lines.append(json.dumps(rec, ensure_ascii=False))
        written.append(write_text_atomically(path, "\n".join(lines) + "\n"))
    else:  # csv
        cols = ["sample_id", *[c for c in (*DESIGN_FIELDS, *extra) if c in sample.columns], "text"]
        out = pd.DataFrame({c: [_csv_text(_clean(r.get(c))) for r in rows] for c in cols})
        if predictions:
            out["model_labels"] = [
                "; ".join(encode_labels(*_model_labels(r, none), none)) for r in rows
            ]
        out["labels"] = ""
        out = out.rename(columns=neutralise).map(neutralise)  # no formulas (read back exactly)
        written.append(
            write_atomically(
                path, lambda p: out.to_csv(p, index=False, quoting=csv.QUOTE_NONNUMERIC)
            )
        )
    return written


def _csv_text(v: Any) -> Any:
    """A list or mapping cell as the tag output's CSV writes it (``;``-joined, JSON), not as
    Python's repr (``['none']``)."""
    if isinstance(v, list):
        return ";".join(str(x) for x in v)
    if isinstance(v, dict):
        return json.dumps(v, ensure_ascii=False)
    return v


def _sibling(path: Path, suffix: str) -> Path:
    name = path.name
    for s in (".labelstudio.json", ".json"):
        if name.endswith(s):
            return path.with_name(name[: -len(s)] + suffix)
    return path.with_name(name + suffix)


def default_suffix(fmt: str) -> str:
    return _SUFFIX[fmt]


# ---------------------------------------------------------------------------------- import
@dataclass
class Annotations:
    """Annotations read back: ``frame`` has one row per annotated task (``sample_id``, ``text``,
    ``frames`` (list, empty for none), ``stances`` (frame -> stance), ``stance`` (derived),
    ``annotator``, ``source_row`` and the design fields); ``rejects`` the tasks that could not be
    used, each with its reason."""

    frame: pd.DataFrame
    rejects: list[Reject] = field(default_factory=list)
    fmt: str = ""
    source: str = ""


def annotation_format(path: str | Path, fmt: str = "auto") -> str:
    """Resolve ``auto`` from the file name (``*.labelstudio.json``, ``*.prodigy.jsonl``,
    ``*.doccano.jsonl``, ``*.csv``) or, for other ``.json``/``.jsonl`` files, from the first
    record's keys."""
    if fmt != "auto":
        if fmt not in ANNOTATION_FORMATS:
            raise InputError(
                f"unknown annotation format {fmt!r}; use one of {', '.join(ANNOTATION_FORMATS)}"
            )
        return fmt
    p = Path(path)
    name = p.name.lower()
    for f, s in _SUFFIX.items():
        if name.endswith(s):
            return f
    if name.endswith((".csv", ".tsv")):
        return "csv"
    if name.endswith(".json"):
        return "labelstudio"
    if name.endswith((".jsonl", ".ndjson")):
        try:
            with open(p, encoding="utf-8-sig") as fh:
                first = next((json.loads(line) for line in fh if line.strip()), {})
        except (OSError, ValueError):
            first = {}
        if isinstance(first, dict):
            if "options" in first or "answer" in first or "_view_id" in first:
                return "prodigy"
            if "label" in first:
                return "doccano"
    raise InputError(
        f"cannot tell the annotation format of {p}: use --format labelstudio, prodigy, doccano or csv"
    )


def read_annotations(
    path: str | Path, fmt: str = "auto", frames: Sequence[str] | None = None, none: str = "none"
) -> Annotations:
    """Read annotations exported by Label Studio (JSON), Prodigy (``db-out`` JSONL), doccano (JSONL)
    or a filled-in CSV. ``frames`` (the taxonomy's frames) checks every label; tasks with no usable
    annotation (empty, cancelled, rejected, unknown labels, conflicting duplicates) go to
    ``rejects`` with a one-line reason, never silently away."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"annotation file not found: {p}")
    if p.stat().st_size == 0:
        raise InputError(f"annotation file is empty: {p}")
    fmt = annotation_format(p, fmt)
    reader = {
        "labelstudio": _read_labelstudio,
        "prodigy": _read_prodigy,
        "doccano": _read_doccano,
        "csv": _read_csv,
    }[fmt]
    raw, rejects = reader(p, frames, none)
    rows: list[dict[str, Any]] = []
    for rec in raw:
        try:
            fr, st = decode_labels(rec.pop("_labels"), frames, none)
        except ValueError as exc:
            rejects.append(Reject(rec.get("sample_id"), rec.get("source_row"), str(exc), str(p)))
            continue
        rec.update(frames=fr, stances=st, stance=passage_stance(fr, st))
        rows.append(rec)
    rows, dup_rejects = _deduplicate(rows, str(p))
    rejects.extend(dup_rejects)
    cols = ["sample_id", "text", "frames", "stances", "stance", "annotator", "source_row"]
    df = pd.DataFrame(rows)
    for c in cols:
        if c not in df.columns:
            df[c] = pd.Series([None] * len(df), dtype=object)
    df = df[cols + [c for c in df.columns if c not in cols]]
    if not len(df) and not rejects:
        raise InputError(f"{p} holds no tasks")
    return Annotations(df.reset_index(drop=True), rejects, fmt, str(p))


def annotations_to_frame(ann: Annotations) -> pd.DataFrame:
    """Annotations as labelled rows for training and evaluation: ``id`` (the sample id),
    ``text``, ``frames``, ``stance`` (derived per GUIDELINES 9.1), ``stances`` and ``doc`` (the
    document id, for grouping). Tasks without text are left out."""
    df = ann.frame
    doc = df["id"] if "id" in df.columns else df["sample_id"]
    out = pd.DataFrame(
        {
            "id": df["sample_id"].astype(str),
            "text": df["text"],
            "frames": df["frames"],
            "stance": df["stance"],
            "stances": df["stances"],
            "doc": [
                str(d) if d is not None and d == d else str(s)
                for d, s in zip(doc, df["sample_id"], strict=True)
            ],
        }
    )
    ok = out["text"].notna() & (out["text"].astype(str).str.strip() != "")
    return out[ok].reset_index(drop=True)


def _deduplicate(
    rows: list[dict[str, Any]], source: str
) -> tuple[list[dict[str, Any]], list[Reject]]:
    """One annotation per task: identical repeats are kept once (and reported); disagreeing
    annotations of the same task are all rejected (resolve them in the tool, then export again)."""
    by_id: dict[str, list[dict[str, Any]]] = {}
    order: list[str] = []
    for r in rows:
        sid = str(r.get("sample_id"))
        if sid not in by_id:
            order.append(sid)
        by_id.setdefault(sid, []).append(r)
    out, rejects = [], []
    for sid in order:
        group = by_id[sid]
        keys = {(tuple(g["frames"]), tuple(sorted(g["stances"].items()))) for g in group}
        if len(keys) == 1:
            out.append(group[0])
            for g in group[1:]:
                rejects.append(
                    Reject(
                        sid,
                        g.get("source_row"),
                        f"duplicate annotation of {sid} (same labels as row {group[0].get('source_row')}): kept once",
                        source,
                    )
                )
        else:
            shown = " vs ".join(
                sorted("; ".join(encode_labels(list(k[0]), dict(k[1]))) for k in keys)
            )
            for g in group:
                rejects.append(
                    Reject(
                        sid,
                        g.get("source_row"),
                        f"conflicting annotations of {sid} ({shown}): resolve them in the annotation tool",
                        source,
                    )
                )
    return out, rejects
