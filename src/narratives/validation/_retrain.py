"""Improve a model with the user's annotations (``narratives train --base MODEL ANNOTATIONS``).

The new model is trained with the base model's settings on the base model's own training data
plus the annotations. The base data is found from the model: for the embedded default model in a
source checkout it is the table ``benchmarks/build_default_model.py`` trains on, from the same
function (:func:`narratives.io._repo_data.default_training_data`: the training split of
``data/corpus`` plus the training part of ``data/real``, marked open-world; models built before
data/real: the corpus split alone); for other models the manifest's ``training_data.source`` when
that file still exists, or ``--base-data``. In every case its text hash must equal the one
recorded at training time, so the base data is the data the model was trained on, or the command
stops.

A share of the annotations (``holdout``, grouped by document so passages of one document stay
together) is kept out of training and written to ``NEW_DIR/heldout_annotations.jsonl``, so
``narratives evaluate NEW_DIR/heldout_annotations.jsonl --model NEW_DIR --compare BASE`` scores
old and new on annotations neither was trained on.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._api import default_model_path, train
from .._exceptions import InputError
from ..io import LabelledData, as_labelled, read_labelled
from ..io._annotation_tools import Annotations, annotations_to_frame, read_annotations
from ..io._repo_data import default_training_data
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


def _repo_recipes(model: Any) -> list[tuple[str, pd.DataFrame]]:
    """For the embedded default model in a source checkout: its training table, built by the
    recipe of ``benchmarks/build_default_model.py`` (:func:`default_training_data`), first with
    data/real's training part (the current recipe), then without it (models built before
    data/real). Empty for any other model or without the checkout's data."""
    model_path = Path(model.path).resolve() if getattr(model, "path", None) else None
    if model_path != default_model_path().resolve():
        return []
    root = default_model_path().resolve().parents[1]
    out = []
    for real, label in ((True, "data/corpus + data/real"), (False, "data/corpus")):
        try:
            out.append((f"{label} (training split)", default_training_data(root, real=real)))
        except (FileNotFoundError, KeyError, ValueError) as e:
            log.info("default recipe (real=%s) unavailable: %s", real, e)
    return out


def base_training_data(model: Any, base_data: str | Path | None = None) -> LabelledData:
    """The data ``model`` was trained on (checked against the manifest's text hash)."""
    td = model.manifest.get("training_data", {})
    want = td.get("hash")
    if base_data is not None:
        ld = read_labelled(base_data)
    else:
        recipes = _repo_recipes(model)
        match = [(src, df) for src, df in recipes if text_hash(df["text"].tolist()) == want]
        if match or recipes:
            src, df = (match or recipes)[0]
            ld = as_labelled(df, "auto", "text", None)
            ld.source = src
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
    # Annotated rows: stance per frame, the passages of one document in one fold (their copies
    # too); never open-world (the base model's frame-free real text alone caps the thresholds).
    add = add.assign(
        stance=[dict(s) if isinstance(s, dict) else s for s in add["stances"]],
        group=["annotation:" + str(d) for d in add["doc"]],
    )
    base_df = base_ld.frame
    cols = [c for c in ("id", "text", "frames", "stance", "open_world", "group") if c in base_df]
    add_cols = ["id", "text", "frames", "stance", "group"]
    if "open_world" in base_df:
        add = add.assign(open_world=False)
        add_cols.insert(4, "open_world")
    frame = pd.concat([base_df[cols], add[add_cols]], ignore_index=True)
    log.info(
        "training on %d base texts + %d annotated (x%d), %d held out",
        len(base_ld.frame),
        len(train_ann),
        repeat,
        len(held),
    )
    combined = LabelledData(frame, tax, [], f"{base_ld.source} + {ann.source}")
    model = train(
        combined,
        taxonomy=tax,
        seed=seed,
        unit=base.training_unit,
        params=_base_params(base),
        name=name or f"{base.manifest.get('name', 'model')}+annotations",
    )
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
