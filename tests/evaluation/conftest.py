"""Fixtures for the evaluation tests: a tiny labelled set written for these tests (not real data)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import narratives

#: Short sentences written for these tests: (text, frames, stance, source).
EVAL_ROWS = [
    (
        "Lenin invented Ukraine; it is an artificial state with no real history.",
        ["artificial_state"],
        "promotes",
        "blog-a",
    ),
    (
        "Moldova is a fake country that owes its existence to the Soviet Union.",
        ["artificial_state"],
        "promotes",
        "blog-a",
    ),
    (
        "Kazakhstan never had a state before Moscow drew its borders.",
        ["artificial_state"],
        "promotes",
        "blog-b",
    ),
    (
        "Analysts say state TV keeps calling Latvia an artificial state, a false claim.",
        ["artificial_state"],
        "reports",
        "paper-c",
    ),
    (
        "Russia only defends itself against NATO aggression on its borders.",
        ["russia_defends"],
        "promotes",
        "blog-b",
    ),
    (
        "The West provoked the war and Moscow had no choice but to respond.",
        ["russia_defends"],
        "promotes",
        "blog-a",
    ),
    (
        "Researchers note the Kremlin blames NATO expansion for the invasion.",
        ["russia_defends"],
        "reports",
        "paper-c",
    ),
    (
        "Poland will be turned to ash if it keeps arming Ukraine, said the host.",
        ["military_threat"],
        "promotes",
        "blog-b",
    ),
    (
        "Estonia will be next and nuclear strikes will follow, warned a pundit.",
        ["military_threat", "russia_defends"],
        "promotes",
        "blog-a",
    ),
    ("Trams in Vilnius ran late after a snowstorm on Monday.", [], "none", "paper-d"),
    ("A Riga bakery won a prize for its rye bread.", [], "none", "paper-d"),
    ("Georgia's wine exports grew by a tenth this year.", [], "none", "paper-e"),
    ("The museum in Tartu reopened after renovation works.", [], "none", "paper-e"),
    (
        "The museum in Tartu reopened after renovation works ended.",
        [],
        "none",
        "paper-c",
    ),  # near-duplicate
    ("Farmers in Ukraine started the spring sowing early.", [], "none", "paper-d"),
]


def eval_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [f"e{i:02d}" for i in range(len(EVAL_ROWS))],
            "text": [r[0] for r in EVAL_ROWS],
            "frames": [r[1] for r in EVAL_ROWS],
            "stance": [r[2] for r in EVAL_ROWS],
            "source": [r[3] for r in EVAL_ROWS],
        }
    )


#: Fast training parameters for per-fold models.
FAST = {"classifier__threshold_cv": 2, "classifier__calibration": None}


@pytest.fixture(scope="session")
def eval_df() -> pd.DataFrame:
    return eval_frame()


@pytest.fixture(scope="session")
def eval_model(eval_df) -> narratives.NarrativeModel:
    return narratives.train(eval_df, seed=0, params=FAST)


@pytest.fixture(scope="session")
def shared_semeval() -> Path:
    """The SemEval English training folder in ../shared, or skip."""
    path = (
        Path(__file__).resolve().parents[3] / "shared" / "data" / "semeval2025-task10-en" / "train"
    )
    if not (path / "raw-documents").is_dir():
        pytest.skip("../shared SemEval data not present")
    return path
