"""Training rows a user gets wrong: unknown labels name their row, empty texts are rejects."""

from __future__ import annotations

import json
import logging

import pandas as pd
import pytest

import narratives
from narratives import InputError
from narratives.io import read_labelled

TEXTS = [
    ("The Kyiv regime is run by neo-Nazis and Bandera followers.", ["nazi_smear"]),
    ("Wheat prices rose in Odesa this week.", []),
    ("Ukraine is an artificial state created by Lenin.", ["artificial_state"]),
    ("The parliament passed the budget on Tuesday.", []),
]


def _write(path, extra=()):
    rows = [
        {"id": f"r{i}", "text": f"{t} Note {i}.", "frames": f}
        for i, (t, f) in enumerate(TEXTS * 10)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in [*rows, *extra]), encoding="utf-8")
    return path


def test_empty_and_blank_texts_are_rejects_not_training_rows(tmp_path):
    path = _write(
        tmp_path / "t.jsonl",
        [
            {"id": "empty", "text": "", "frames": ["nazi_smear"]},
            {"id": "blank", "text": "  \n ", "frames": []},
            {"id": "zwsp", "text": "\u200b", "frames": ["nazi_smear"]},
        ],
    )
    ld = read_labelled(path)
    assert len(ld.frame) == 40 and "empty" not in set(ld.frame["id"])
    why = "text is empty (no letter or digit): nothing to learn from"
    assert {(r.id, r.row, r.reason) for r in ld.rejects} == {
        ("empty", 41, why),
        ("blank", 42, why),
        ("zwsp", 43, why),
    }


def test_rejected_rows_are_logged_and_counted_in_the_manifest(tmp_path, caplog):
    path = _write(tmp_path / "t.jsonl", [{"id": "empty", "text": "", "frames": ["nazi_smear"]}])
    with caplog.at_level(logging.WARNING, logger="narratives"):
        model = narratives.train(path, progress=False)
    assert model.manifest["training_data"]["n_rejected"] == 1
    assert "row 41 (id 'empty'): text is empty" in caplog.text


def test_a_dataframe_gets_the_same_checks_as_a_file():
    """Blank texts are rejects and ';'-joined label cells are split, as in a file."""
    df = pd.DataFrame(
        {
            "text": [f"{t} Note {i}." for i, (t, _) in enumerate(TEXTS * 10)] + ["  "],
            "frames": [";".join(f) for _, f in TEXTS * 10] + ["nazi_smear"],
        }
    )
    df.loc[0, "frames"] = "nazi_smear;artificial_state"
    model = narratives.train(df, progress=False)
    assert model.manifest["training_data"]["n_rejected"] == 1
    assert model.manifest["training_data"]["n_texts"] == 40


def test_unknown_labels_name_the_first_row_that_carries_one(tmp_path):
    path = _write(
        tmp_path / "t.jsonl",
        [
            {"id": "bad1", "text": "x y z", "frames": ["not_a_frame"]},
            {"id": "bad2", "text": "u v w", "frames": ["nazi_smear", "other_bad"]},
        ],
    )
    with pytest.raises(InputError) as exc:
        narratives.train(path, progress=False)
    msg = str(exc.value)
    assert msg.startswith("labels not in the taxonomy: not_a_frame, other_bad")
    assert "(2 rows; first: row 41, id 'bad1')" in msg
