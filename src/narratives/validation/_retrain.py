"""Improve a model with the user's annotations (``narratives train --base MODEL ANNOTATIONS``).

The new model is trained with the base model's settings on the base model's own training data
plus the annotations. The base data is found from the model: for the embedded default model it
is the training split of the bundled corpus (``data/corpus`` minus ``data/split.json``'s test
ids); for other models the manifest's ``training_data.source`` when that file still exists. In
both cases its text hash must equal the one recorded at training time, so the base data is the
data the model was trained on, or the command stops.

A share of the annotations (``holdout``, grouped by document so passages of one document stay
together) is kept out of training and written to ``NEW_DIR/heldout_annotations.jsonl``, so
``narratives evaluate NEW_DIR/heldout_annotations.jsonl --model NEW_DIR --compare BASE`` scores
old and new on annotations neither was trained on.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._api import default_model_path, train
from .._exceptions import InputError
from ..io import LabelledData, read_labelled
from ..io._annotation_tools import Annotations, annotations_to_frame, read_annotations
from ..preprocessing import text_hash

__all__ = [
    "HELDOUT_FILE",
    "annotations_as_labelled",
    "base_training_data",
    "train_with_annotations",
]

log = logging.getLogger(__name__)
HELDOUT_FILE = "heldout_annotations.jsonl"


def annotations_as_labelled(ann: Annotations) -> LabelledData:
    """Annotations as labelled training/evaluation data (``id`` = the sample id)."""
    df = annotations_to_frame(ann)
    if not len(df):
        raise InputError(f"{ann.source}: the annotations carry no text to train on")
    return LabelledData(df, None, list(ann.rejects), ann.source)


def _repo_corpus(model: Any) -> pd.DataFrame | None:
    root = default_model_path().resolve().parents[1]
    model_path = Path(model.path).resolve() if getattr(model, "path", None) else None
    if model_path != default_model_path().resolve():
        return None
    files = sorted((root / "data" / "corpus").glob("part-*.jsonl"))
    split = root / "data" / "split.json"
    if not files or not split.is_file():
        return None
    rows = [
        json.loads(line)
        for f in files
        for line in f.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    df = pd.DataFrame(rows)
    test = set(json.loads(split.read_text(encoding="utf-8"))["test_ids"])
    return df[~df["id"].isin(test)].reset_index(drop=True)


def base_training_data(model: Any, base_data: str | Path | None = None) -> LabelledData:
    """The data ``model`` was trained on (checked against the manifest's text hash)."""
    td = model.manifest.get("training_data", {})
    want = td.get("hash")
    if base_data is not None:
        ld = read_labelled(base_data)
    else:
        df = _repo_corpus(model)
        if df is not None:
            ld = LabelledData(
                df[["id", "text", "frames", "stance"]].copy(),
                None,
                [],
                "data/corpus (training split)",
            )
        elif td.get("source") and Path(str(td["source"])).exists():
            ld = read_labelled(td["source"])
        else:
            raise InputError(
                f"cannot find the training data of the base model (recorded source: {td.get('source')!r}); "
                "pass it with --base-data"
            )
    got = text_hash(ld.frame["text"].tolist())
    if want and got != want:
        raise InputError(
            f"the base data ({ld.source}, {len(ld.frame)} texts) is not what the base model was trained on "
            f"(text hash {got[:12]}, manifest {str(want)[:12]})"
        )
    return ld


def split_holdout(ld: LabelledData, holdout: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Grouped by document: the passages of one document are all in or all out."""
    df = ld.frame
    if holdout <= 0:
        return df, df.iloc[0:0]
    if holdout >= 1:
        raise InputError("--holdout must be below 1")
    docs = df["doc"].unique()
    rng = np.random.default_rng(seed)
    n_out = max(1, round(holdout * len(docs)))
    out = set(rng.choice(docs, size=n_out, replace=False).tolist())
    mask = df["doc"].isin(out)
    return df[~mask].reset_index(drop=True), df[mask].reset_index(drop=True)


def _base_params(model: Any) -> dict[str, Any]:
    return {
        k: v
        for k, v in model.pipeline.get_params(deep=True).items()
        if "__" in k and "taxonomy" not in k and isinstance(v, (int, float, str, bool, type(None)))
    }


def train_with_annotations(
    base: Any,
    annotations: str | Path | Annotations,
    fmt: str = "auto",
    base_data: str | Path | None = None,
    holdout: float = 0.3,
    seed: int = 0,
    repeat: int = 1,
    name: str | None = None,
):
    """Train a new model on the base model's data plus the annotations; returns
    ``(model, heldout)`` with the held-out annotations as a DataFrame (``id``, ``text``,
    ``frames``, ``stance``, ``stances``)."""
    tax = base.taxonomy
    ann = (
        annotations
        if isinstance(annotations, Annotations)
        else read_annotations(annotations, fmt, tax.fine_labels, tax.none_label)
    )
    ld = annotations_as_labelled(ann)
    if not len(ld.frame):
        raise InputError(
            f"{ann.source}: no usable annotations to train on ({len(ann.rejects)} rejected)"
        )
    if repeat < 1:
        raise InputError("--repeat must be at least 1")
    base_ld = base_training_data(base, base_data)
    train_ann, held = split_holdout(ld, holdout, seed)
    if not len(train_ann):
        raise InputError("every annotation was held out: lower --holdout or annotate more")
    add = pd.concat([train_ann] * repeat, ignore_index=True)
    add = add.assign(
        id=[f"{i}~{k // len(train_ann)}" if repeat > 1 else i for k, i in enumerate(add["id"])]
    )
    cols = ["id", "text", "frames", "stance"]
    frame = pd.concat([base_ld.frame[cols], add[cols]], ignore_index=True)
    log.info(
        "training on %d base texts + %d annotated (x%d), %d held out",
        len(base_ld.frame),
        len(train_ann),
        repeat,
        len(held),
    )
    combined = LabelledData(frame, tax, [], f"{base_ld.source} + {ann.source}")
    model = train(combined, taxonomy=tax, seed=seed, unit=base.training_unit, params=_base_params(base),
                  name=name or f"{base.manifest.get('name', 'model')}+annotations")  # fmt: skip
    model.manifest["training_data"]["annotations"] = {
        "source": str(ann.source),
        "n_used": len(train_ann),
        "n_heldout": len(held),
        "repeat": repeat,
        "base_source": base_ld.source,
        "base_n": len(base_ld.frame),
        "heldout_file": HELDOUT_FILE if len(held) else None,
    }
    return model, held[["id", "text", "frames", "stance", "stances"]]
