"""``narratives train --base`` and ``evaluate --compare`` end to end, on a small base model.

The base model is trained here on ~140 passages of the bundled corpus (seconds); the default
model's own retrain (9,000+ texts, minutes) never runs in the suite: only the lookup of its
training data, which must reproduce the manifest's text hash.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from _cli import run
from narratives.cli._app import main
from narratives.io._repo_data import default_training_data

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "sample" / "demo_annotations.labelstudio.json"


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A small base model: 8 training passages per frame and 40 frame-free ones."""
    df = default_training_data(ROOT, real=False)
    framed = df.explode("frames").dropna(subset=["frames"]).groupby("frames").head(8)["id"]
    free = df[df["frames"].map(len) == 0].head(40)["id"]
    small = df[df["id"].isin(set(framed) | set(free))]
    d = tmp_path_factory.mktemp("base")
    small.to_json(d / "base.jsonl", orient="records", lines=True, force_ascii=False)
    assert main(["train", str(d / "base.jsonl"), "-o", str(d / "model")]) == 0
    return d


def test_train_base_then_compare(capsys, tmp_path, base):
    new = tmp_path / "new"
    code, out, err = run(capsys, "train", "--base", base / "model", DEMO, "-o", new,
                         "--base-data", base / "base.jsonl")  # fmt: skip
    assert code == 0, err
    manifest = json.loads((new / "manifest.json").read_text())
    a = manifest["training_data"]["annotations"]
    n_base = len((base / "base.jsonl").read_text(encoding="utf-8").splitlines())
    assert a["base_n"] == n_base and a["n_used"] + a["n_heldout"] == 30 and a["n_heldout"] == 9
    assert manifest["training_data"]["n_texts"] == n_base + a["n_used"]
    held = pd.read_json(new / "heldout_annotations.jsonl", lines=True)
    assert len(held) == 9 and {"id", "text", "frames", "stance", "stances"} <= set(held.columns)
    assert "compare: narratives evaluate" in out

    rep = tmp_path / "rep"
    code, out, err = run(capsys, "evaluate", new / "heldout_annotations.jsonl", "--model", new,
                         "--compare", base / "model", "--bootstrap", "50", "-o", rep)  # fmt: skip
    assert code == 0, err
    assert "minus compared" in out and "f1_samples_fine" in out
    cmp = json.loads((rep / "comparison.json").read_text())
    assert cmp["n_documents"] == 9
    d = cmp["paired_bootstrap_new_minus_old"]["f1_samples_fine"]
    m = cmp["metrics"]["f1_samples_fine"]
    assert d["diff"] == pytest.approx(m["new"] - m["old"], abs=1e-9)
    assert d["low"] <= d["diff"] <= d["high"]


def test_train_base_finds_recorded_source_and_checks_its_hash(capsys, tmp_path, base, monkeypatch):
    monkeypatch.chdir(base)  # the manifest records the path the base model was trained from
    code, _, err = run(
        capsys, "train", "--base", "model", DEMO, "-o", tmp_path / "a", "--holdout", "0.5"
    )
    assert code == 0, err
    assert (
        json.loads((tmp_path / "a" / "manifest.json").read_text())["training_data"]["annotations"][
            "n_heldout"
        ]
        == 15
    )
    other = tmp_path / "other.jsonl"
    lines = (base / "base.jsonl").read_text(encoding="utf-8").splitlines()
    other.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    code, _, err = run(
        capsys, "train", "--base", "model", DEMO, "-o", tmp_path / "b", "--base-data", other
    )
    assert code != 0 and "not what the base model was trained on" in err
    assert not (tmp_path / "b" / "manifest.json").exists()


def test_default_base_data_is_the_build_recipe():
    """--base default rebuilds the default model's training table with the build script's recipe
    (benchmarks/build_default_model.py calls the same function) and matches its text hash. Fails
    while data/corpus, data/split.json or data/real differ from what models/default was trained
    on: rebuild the model (make model) after changing them."""
    import narratives
    from narratives._exceptions import InputError
    from narratives.validation._retrain import base_training_data

    model = narratives.load()
    try:
        ld = base_training_data(model)
    except InputError as e:
        pytest.fail(
            f"the bundled data is not the default model's training data ({e}); run make model"
        )
    assert len(ld.frame) == model.manifest["training_data"]["n_texts"]
    full = default_training_data(ROOT)
    assert full["open_world"].sum() > 0
    # data/real rows (they have a group) are open-world, except those a model picked (round 4).
    real_closed = full.loc[~full["open_world"] & full["group"].notna(), "id"]
    from narratives.io._repo_data import MODEL_SELECTED_STRATA, load_real

    real = load_real(ROOT / "data" / "real").set_index("id")
    assert set(real.loc[real_closed, "stratum"]) <= MODEL_SELECTED_STRATA
    train = real[real["split"] == "train"]
    assert len(real_closed) == train["stratum"].isin(MODEL_SELECTED_STRATA).sum() > 0
    corpus_only = default_training_data(ROOT, real=False)
    assert full["id"].iloc[: len(corpus_only)].tolist() == corpus_only["id"].tolist()


def test_real_frame_free_passages_are_weighted_by_copies():
    """The recipe repeats data/real's frame-free open-world training passages, and only those."""
    from narratives.io._repo_data import REAL_NEGATIVE_COPIES, real_training_part

    full = default_training_data(ROOT)
    real = real_training_part(ROOT / "data" / "real")
    in_table = full[full["group"].notna()]
    base = in_table["id"].str.replace(r"#\d+$", "", regex=True)
    counts = base.value_counts()
    weighted = real["open_world"] & ~real["frames"].map(bool)
    expected = weighted.map({True: REAL_NEGATIVE_COPIES, False: 1})
    assert counts.reindex(real["id"]).tolist() == expected.tolist()
    # copies keep their passage's text and group (threshold folds never separate them)
    copies = in_table[in_table["id"].str.contains("#")]
    orig = real.set_index("id").loc[copies["id"].str.replace(r"#\d+$", "", regex=True)]
    assert copies["text"].tolist() == orig["text"].tolist()
    assert copies["group"].tolist() == orig["group"].tolist()
    assert len(copies) == (REAL_NEGATIVE_COPIES - 1) * int(weighted.sum()) > 0
