"""The project's own labelled data in a source checkout, and the default model's training recipe.

``benchmarks/build_default_model.py`` trains the default model on :func:`default_training_data`
(the training split of the hand-written corpora ``data/corpus`` (English), ``data/corpus-ru`` and
``data/corpus-uk`` plus the training part of the annotated real text ``data/real``); ``narratives train --base default`` rebuilds the same table to
retrain the default model with the user's annotations. One recipe, so both agree.

The paths are those of a checkout (``root``: the repository folder); an installed wheel has no
``data/``, and the functions raise ``FileNotFoundError`` then.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

__all__ = [
    "CORPUS_FOLDERS",
    "REAL_HELD_OUT_SHARE",
    "REAL_NEGATIVE_COPIES",
    "REAL_SOURCES",
    "default_training_data",
    "load_corpus",
    "load_real",
    "real_held_out",
    "split_test_ids",
]

REAL_SOURCES = ("kremlin-en", "wikipedia-current-events")
#: The hand-written corpora by language (folders under data/).
CORPUS_FOLDERS = {"en": "corpus", "ru": "corpus-ru", "uk": "corpus-uk"}
#: Share of data/real's groups (a Kremlin page, a day of Wikipedia items) held out for testing.
REAL_HELD_OUT_SHARE = 0.3


def real_held_out(group: str) -> bool:
    """Whether a data/real group is in the held-out test part (a hash of the group id decides)."""
    digest = hashlib.sha1(f"data/real:{group}".encode()).hexdigest()
    return int(digest, 16) % 100 < REAL_HELD_OUT_SHARE * 100


def _read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_corpus(root: str | Path, languages: Iterable[str] = ("en",)) -> pd.DataFrame:
    """Every passage of the hand-written corpora of ``languages`` (:data:`CORPUS_FOLDERS`;
    English is ``root/data/corpus/part-*.jsonl``), language by language in file order, with a
    ``lang`` column."""
    frames = []
    for lang in languages:
        folder = Path(root) / "data" / CORPUS_FOLDERS[lang]
        files = sorted(folder.glob("part-*.jsonl"))
        if not files:
            raise FileNotFoundError(f"no corpus parts in {folder}")
        df = pd.DataFrame([rec for f in files for rec in _read_jsonl(f)])
        frames.append(df.assign(lang=lang))
    return pd.concat(frames, ignore_index=True)


def split_test_ids(root: str | Path) -> set[str]:
    """The corpus passages held out from training (``root/data/split.json``)."""
    path = Path(root) / "data" / "split.json"
    return set(json.loads(path.read_text(encoding="utf-8"))["test_ids"])


def load_real(real: str | Path) -> pd.DataFrame:
    """data/real's passages with their adjudicated labels: id, text, source, group, stratum,
    region, frames (dict frame -> stance), split ("train" / "test"). ``real`` is the data/real
    folder. Raises FileNotFoundError when labels are missing."""
    real = Path(real)
    rows = []
    for source in REAL_SOURCES:
        labels = {r["id"]: r for r in _read_jsonl(real / source / "labels.jsonl")}
        for rec in _read_jsonl(real / source / "passages.jsonl"):
            lab = labels[rec["id"]]
            rows.append(
                {
                    "id": rec["id"],
                    "text": rec["text"],
                    "source": source,
                    "group": rec["doc_id"],
                    "stratum": rec["stratum"],
                    "region": rec.get("region"),
                    "frames": dict(lab["frames"]),
                    "split": "test" if real_held_out(rec["doc_id"]) else "train",
                }
            )
    return pd.DataFrame(rows)


#: data/real strata chosen because a model scored them high (data/real/README.md, round 4). They
#: train the classifiers as hard negatives, but they are not a sample of frame-free real text: in
#: the open-world pool they would fatten the score tail that the thresholds and the document rule
#: read, and every frame would need far more evidence than real text warrants.
MODEL_SELECTED_STRATA = frozenset({"model"})


#: How many times each frame-free, open-world data/real training passage enters the default
#: model's training table. Frames are rare in the text the tool is run on and common in the
#: written corpus; weighting real frame-free text three times makes a region's names and topic
#: words ("aid", "sanctions", "borders") count less as frame evidence (measured in
#: benchmarks/results/real_text.md and the CHANGELOG: current-events items with a promoting frame
#: 2.8% -> 1.4%, neutral "country + topic" sentences over threshold 6 -> 3 of 41). Copies are
#: the way a weight reaches every stage (label models, calibration and threshold folds, stance
#: head, open-world pool) without a sample-weight path; they share their group, so no fold
#: separates a passage from its copies.
REAL_NEGATIVE_COPIES = 3


def _weighted_negatives(real: pd.DataFrame, copies: int) -> pd.DataFrame:
    """``real`` with its frame-free open-world rows repeated ``copies`` times in all (copies get
    the ids ``<id>#2``, ``<id>#3`` ...)."""
    neg = real[real["open_world"] & ~real["frames"].map(bool)]
    extra = [neg.assign(id=neg["id"] + f"#{k}") for k in range(2, copies + 1)]
    return pd.concat([real, *extra], ignore_index=True)


def real_training_part(real: str | Path) -> pd.DataFrame:
    """The training part of data/real: id, text, frames (frame -> stance), group (page or day),
    ``open_world`` True except for the strata a model selected (:data:`MODEL_SELECTED_STRATA`)."""
    df = load_real(real)
    df = df[df["split"] == "train"]
    return pd.DataFrame(
        {
            "id": df["id"],
            "text": df["text"],
            "frames": df["frames"],
            "group": df["group"],
            "open_world": ~df["stratum"].isin(MODEL_SELECTED_STRATA),
        }
    ).reset_index(drop=True)


#: Corpus parts written to mirror mainstream war coverage (writing rounds 6-7, mostly
#: frame-free): the closest the corpus comes to the news the tool is run on, so their frame-free
#: passages join the real text in the open-world pool (model/_open_world.py).
NEWS_LIKE_PARTS = range(28, 36)


def _news_like(ids: pd.Series) -> pd.Series:
    part = pd.to_numeric(ids.astype(str).str.extract(r"^p(\d+)-")[0], errors="coerce")
    return part.isin(list(NEWS_LIKE_PARTS))


def default_training_data(
    root: str | Path, test_ids: Iterable[str] | None = None, real: bool = True
) -> pd.DataFrame:
    """The default model's training table: the passages of every corpus (English, Russian,
    Ukrainian) not in ``test_ids`` (default: the ones in ``data/split.json``), ``open_world`` True for the news-like parts
    (:data:`NEWS_LIKE_PARTS`) and False otherwise, then (``real``) the training part of data/real
    with ``open_world`` True, its frame-free open-world passages :data:`REAL_NEGATIVE_COPIES`
    times. Columns ``id``, ``text``, ``frames``, ``stance``,
    ``open_world`` and ``group`` (data/real rows only); ready for :func:`narratives.train`.
    ``real=False`` gives the corpus-only recipe of models built before data/real."""
    root = Path(root)
    corpus = load_corpus(root, CORPUS_FOLDERS)
    test = set(test_ids) if test_ids is not None else split_test_ids(root)
    train_df = corpus[~corpus["id"].isin(test)].reset_index(drop=True)
    cols = ["id", "text", "frames", "stance"]
    if not real:
        return train_df[cols].copy()
    return pd.concat(
        [
            train_df[cols].assign(open_world=_news_like(train_df["id"]).to_numpy()),
            _weighted_negatives(real_training_part(root / "data" / "real"), REAL_NEGATIVE_COPIES),
        ],
        ignore_index=True,
    )
