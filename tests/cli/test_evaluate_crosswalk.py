"""``narratives evaluate`` through a crosswalk (cli/_evaluate.py), end to end."""

from __future__ import annotations

import json

from _cli import run

HISTORY = "URW: Discrediting Ukraine: Rewriting Ukraine's history"
NAZISM = "URW: Discrediting Ukraine: Ukraine is associated with nazism"


def test_default_model_on_a_semeval_folder_goes_through_the_crosswalk(
    capsys, tiny_semeval, tmp_path
):
    code, out, err = run(capsys, "evaluate", tiny_semeval, "-o", tmp_path / "r", "--bootstrap", 0)
    assert code == 0, err
    assert "crosswalk: the model's frames (narratives-default) scored as the data's labels" in out
    assert "crosswalk covers 16 labels: " in out and HISTORY in out
    assert "not covered, left out of every score: 1 label (1 gold label)" in out
    assert "micro precision 0.400, recall 0.800 (4 hits, 6 false alarms, 1 miss)" in out
    metrics = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert metrics["crosswalk"]["not_covered_labels"] == [
        "CC: Criticism of climate movement: Ad hominem attacks on key activists"
    ]
    assert metrics["f1_micro_fine"] > 0
    assert "crosswalk covers 16 labels" in (tmp_path / "r" / "report.md").read_text()
    assert "crosswalk covers 16 labels" in (tmp_path / "r" / "report.html").read_text()


def test_crosswalk_file(capsys, tiny_semeval, tmp_path):
    walk = tmp_path / "walk.yaml"
    walk.write_text(f'artificial_state: ["{HISTORY}"]\nnazi_smear: ["{NAZISM}"]\n')
    code, out, err = run(
        capsys, "evaluate", tiny_semeval, "-o", tmp_path / "r", "--bootstrap", 0,
        "--crosswalk", walk,
    )  # fmt: skip
    assert code == 0, err
    assert f"through {walk}" in out
    assert "crosswalk covers 2 labels" in out
    assert "micro precision 1.000, recall 1.000 (2 hits, 0 false alarms, 0 misses)" in out


def test_no_crosswalk_and_no_shared_label_is_one_line_error(capsys, tiny_semeval, tmp_path):
    code, _, err = run(capsys, "evaluate", tiny_semeval, "-o", tmp_path / "r", "--no-crosswalk")
    assert code != 0
    lines = [x for x in err.splitlines() if x.strip()]
    assert len(lines) == 1
    assert "share none with the model's" in lines[0] and "--crosswalk" in lines[0]
    assert not (tmp_path / "r" / "metrics.json").exists()


def test_crosswalk_and_no_crosswalk_exclude_each_other(capsys, tiny_semeval, tmp_path):
    code, _, err = run(
        capsys, "evaluate", tiny_semeval, "-o", tmp_path / "r",
        "--crosswalk", tmp_path / "w.yaml", "--no-crosswalk",
    )  # fmt: skip
    assert code == 2
    assert "cannot be combined" in err
