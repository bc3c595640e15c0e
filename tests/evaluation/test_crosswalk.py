"""Scoring a model against another label set through a crosswalk (evaluation/_crosswalk.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import narratives
from narratives import InputError, Taxonomy
from narratives.evaluation import Crosswalk, write_report
from narratives.io import read_semeval

ROOT = Path(__file__).resolve().parents[2]

HISTORY = "URW: Discrediting Ukraine: Rewriting Ukraine's history"
NAZISM = "URW: Discrediting Ukraine: Ukraine is associated with nazism"
PUPPET = "URW: Discrediting Ukraine: Ukraine is a puppet of the West"
SELF_DEFENCE = "URW: Russia is the Victim: Russia actions in Ukraine are only self-defence"
NUCLEAR = (
    "URW: Amplifying war-related fears: There is a real possibility that nuclear weapons will be "
    "employed"
)
CLIMATE = "CC: Criticism of climate movement: Ad hominem attacks on key activists"


@pytest.fixture(scope="module")
def default_model():
    return narratives.load()


# ------------------------------------------------------------------------------ the mapping
def test_a_frame_counts_as_every_label_it_maps_to():
    walk = Crosswalk({"a": ("X", "Y"), "b": ("Y",), "c": ()})
    assert walk.labels == ["X", "Y"]
    assert walk.labels_of(["a"]) == ["X", "Y"]
    assert walk.labels_of(["c", "unknown"]) == []
    assert walk.frames_of(["Y"]) == ["a", "b"]


def test_the_default_taxonomy_carries_its_semeval_crosswalk():
    walk = Crosswalk.from_taxonomy(Taxonomy.default())
    assert walk.labels_of(["artificial_state"]) == [HISTORY]
    assert walk.frames_of([NAZISM]) == ["nazi_smear"]
    assert Crosswalk.from_taxonomy(Taxonomy.from_label_pairs([("x", "X")])) is None


def test_a_label_to_frames_file_is_turned_around():
    """benchmarks/crosswalks/euvsdisinfo.yaml maps keywords to frames under ``frames:``."""
    walk = Crosswalk.load(
        ROOT / "benchmarks" / "crosswalks" / "euvsdisinfo.yaml", Taxonomy.default()
    )
    assert walk.frames_of(["MH17"]) == ["fabricated_atrocities"]
    assert set(walk.frames_of(["Crimea"])) == {"russian_lands", "separatism"}
    assert "Crimea" in walk.labels_of(["separatism"])


def test_the_v2_euvsdisinfo_crosswalk_loads_and_records_its_reading():
    """euvsdisinfo_v2.yaml: same structure as v1, plus a judged share per mapped keyword and the
    dropped keywords, which are no longer mapped."""
    path = ROOT / "benchmarks" / "crosswalks" / "euvsdisinfo_v2.yaml"
    walk = Crosswalk.load(path, Taxonomy.default())
    assert walk.frames_of(["US presence in Europe"]) == ["western_puppet"]
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert set(data["judged_frame_share"]) == set(data["frames"])
    assert all(0 < v <= 1 for v in data["judged_frame_share"].values())
    assert not {d["keyword"] for d in data["dropped"]} & set(data["frames"])
    assert data["min_cases"] and data["off_topic"]


def test_a_crosswalk_naming_no_frame_is_refused(tmp_path):
    path = tmp_path / "walk.yaml"
    path.write_text("not_a_frame: [X]\nalso_not: [Y]\n")
    with pytest.raises(InputError, match="not frames of the model's taxonomy"):
        Crosswalk.load(path, Taxonomy.default())
    with pytest.raises(InputError, match="not found"):
        Crosswalk.load(tmp_path / "missing.yaml", Taxonomy.default())


# ------------------------------------------------------------------------- the evaluation
def test_default_model_on_semeval_labels_is_scored_through_the_taxonomy_crosswalk(
    default_model, tiny_semeval, tmp_path
):
    docs = read_semeval(tiny_semeval).frame
    tagged = default_model.tag(docs[["id", "text"]], unit="document")
    # precondition: what the default model finds in these textbook sentences
    assert {i: list(f) for i, f in zip(tagged["id"], tagged["frames"], strict=True)} == {
        "EN_UA_1.txt": ["artificial_state"],
        "EN_UA_2.txt": ["nazi_smear"],
        "EN_UA_3.txt": ["russia_defends"],
        "EN_UA_4.txt": ["military_threat"],
        "EN_UA_5.txt": ["none"],
        "EN_CC_6.txt": ["none"],
        "EN_UA_7.txt": ["none"],
    }
    res = narratives.evaluate(default_model, tiny_semeval, n_bootstrap=0, progress=False)
    cw = res["crosswalk"]
    assert cw["unit"] == "document"
    assert cw["model_taxonomy"] == "narratives-default"
    assert cw["not_covered_labels"] == [CLIMATE]
    assert cw["not_covered_gold"] == {CLIMATE: 1}
    assert len(cw["covered_labels"]) == 16
    # By hand: artificial_state, nazi_smear -> one right label each; russia_defends and
    # military_threat -> four labels each, one right; the puppet document is missed; the climate
    # label is not covered and left out. 4 hits, 6 false alarms, 1 miss.
    assert cw["micro"] == {
        "precision": 0.4,
        "recall": 0.8,
        "f1": pytest.approx(8 / 15),
        "tp": 4,
        "fp": 6,
        "fn": 1,
    }
    per = res["per_label_fine"]
    for lab in (HISTORY, NAZISM, SELF_DEFENCE, NUCLEAR):
        assert (per[lab]["precision"], per[lab]["recall"], per[lab]["support"]) == (1.0, 1.0, 1)
    assert (per[PUPPET]["recall"], per[PUPPET]["support"], per[PUPPET]["predicted"]) == (0.0, 1, 0)
    assert per["URW: Russia is the Victim: The West is russophobic"]["predicted"] == 1
    assert CLIMATE not in per
    # macro F1 over the 11 covered labels used: four at 1, seven at 0
    assert res["f1_macro_fine"] == pytest.approx(4 / 11)
    assert res["f1_micro_fine"] == pytest.approx(8 / 15)
    assert res["data"]["taxonomy"] == "semeval2025-task10 (crosswalked)"
    assert res["per_label_coarse"]["URW: Discrediting Ukraine"]["recall"] == pytest.approx(2 / 3)
    assert "CC: Criticism of climate movement" not in res["per_label_coarse"]
    fp = res["errors"]["URW: Russia is the Victim: The West is russophobic"]["false_positives"][0]
    assert fp["id"] == "EN_UA_3.txt"
    md = write_report(res, tmp_path / "report")["markdown"].read_text()
    assert "crosswalk covers 16 labels" in md
    assert "not covered, left out of every score: 1 label" in md
    assert "approximate" in md


def test_a_crosswalk_file_overrides_the_taxonomy_one(default_model, tiny_semeval, tmp_path):
    path = tmp_path / "walk.yaml"
    path.write_text(
        f'artificial_state: ["{HISTORY}"]\nnazi_smear: ["{NAZISM}"]\nmilitary_threat: ["{NUCLEAR}"]\n'
    )
    res = narratives.evaluate(
        default_model, tiny_semeval, n_bootstrap=0, progress=False, crosswalk=path
    )
    cw = res["crosswalk"]
    assert cw["source"] == str(path)
    assert sorted(cw["covered_labels"]) == sorted([HISTORY, NAZISM, NUCLEAR])
    assert cw["not_covered_labels"] == sorted([CLIMATE, PUPPET, SELF_DEFENCE])
    # russia_defends maps to nothing here, and the missed puppet label is not covered
    assert (cw["micro"]["tp"], cw["micro"]["fp"], cw["micro"]["fn"]) == (3, 0, 0)
    assert res["f1_macro_fine"] == 1.0


def test_no_shared_label_and_no_crosswalk_is_an_input_error(default_model, tiny_semeval, tmp_path):
    with pytest.raises(InputError, match=r"share none with the model's .* crosswalk is off"):
        narratives.evaluate(default_model, tiny_semeval, n_bootstrap=0, crosswalk=False)
    other = tmp_path / "other.jsonl"
    other.write_text('{"text": "Russia is great.", "frames": ["foo"]}\n')
    with pytest.raises(InputError, match="no crosswalk maps them"):
        narratives.evaluate(default_model, other, n_bootstrap=0)
    with pytest.raises(InputError, match="maps no frame to any of the data's labels"):
        narratives.evaluate(
            default_model, other, n_bootstrap=0, crosswalk={"artificial_state": ["bar"]}
        )
    with pytest.raises(InputError, match="cross-validation"):
        narratives.evaluate(data=other, cv=2, crosswalk={"artificial_state": ["foo"]})


def test_data_in_the_model_labels_is_scored_without_a_crosswalk(default_model, eval_df):
    res = narratives.evaluate(default_model, eval_df, n_bootstrap=0, progress=False)
    assert "crosswalk" not in res
    assert "artificial_state" in res["per_label_fine"]


@pytest.mark.shared
def test_default_model_on_the_shared_semeval_folder(default_model, semeval_dir):
    res = narratives.evaluate(default_model, semeval_dir / "train", n_bootstrap=0, progress=False)
    cw = res["crosswalk"]
    assert cw["micro"]["precision"] > 0 and cw["micro"]["recall"] > 0
    assert any(lab.startswith("CC: ") for lab in cw["not_covered_labels"])
    assert any(v["f1"] > 0 for v in res["per_label_fine"].values())
