"""Shared fixtures: a tiny hand-written training set, a tiny model, the ../shared data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import narratives

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "semeval2025-task10-en"

# Tiny in-repo fixture: short sentences written for the tests (not real-world data).
TINY = [
    (
        "Kazakhstan is an artificial state that Lenin drew on a map.",
        ["artificial_state"],
        "promotes",
    ),
    (
        "Ukraine was never a real country, just a Soviet invention.",
        ["artificial_state"],
        "promotes",
    ),
    (
        "Belarus owes its existence to Moscow and should remember it.",
        ["artificial_state"],
        "promotes",
    ),
    (
        "State TV claimed that Kazakhstan is an artificial state, a narrative analysts call false.",
        ["artificial_state"],
        "reports",
    ),
    (
        "Fact-check: the claim that Ukraine was invented by Lenin is misleading.",
        ["artificial_state"],
        "reports",
    ),
    ("NATO expansion left Russia no choice but to defend itself.", ["russia_defends"], "promotes"),
    (
        "The West is the real aggressor and Russia only protects its borders.",
        ["russia_defends"],
        "promotes",
    ),
    ("Russophobia in Europe forced Moscow to act in self-defence.", ["russia_defends"], "promotes"),
    (
        "Kremlin propaganda claims NATO encirclement forced the invasion, researchers say.",
        ["russia_defends"],
        "reports",
    ),
    (
        "According to analysts, the self-defence narrative is repeated by state media.",
        ["russia_defends"],
        "reports",
    ),
    (
        "Finland will be a legitimate target for nuclear strikes, warned the pundit.",
        ["military_threat"],
        "promotes",
    ),
    (
        "If the Baltics keep provoking us, they will be next and turned into ash.",
        ["military_threat", "russia_defends"],
        "promotes",
    ),
    ("The artificial lake near Astana froze early this winter.", [], "none"),
    ("A NATO exercise took place in Estonia with four thousand troops.", [], "none"),
    ("Aid convoys reached Kharkiv on Tuesday, officials said.", [], "none"),
    ("The football club from Tbilisi won the cup after extra time.", [], "none"),
    ("Heavy rain flooded streets in Riga and delayed trams.", [], "none"),
    ("A history lecture on Soviet border-drawing attracted students.", [], "none"),
    ("The new bakery in Chisinau sells honey cake every morning.", [], "none"),
    ("Wheat prices rose on global markets this week.", [], "none"),
]


@pytest.fixture(scope="session")
def tiny_df() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [f"t{i:02d}" for i in range(len(TINY))],
            "text": [t for t, _, _ in TINY],
            "frames": [f for _, f, _ in TINY],
            "stance": [s for _, _, s in TINY],
        }
    )


@pytest.fixture(scope="session")
def tiny_model(tiny_df) -> narratives.NarrativeModel:
    return narratives.train(
        tiny_df, seed=0, params={"classifier__threshold_cv": 2, "classifier__calibration": None}
    )


@pytest.fixture(scope="session")
def tiny_model_dir(tiny_model, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("models") / "tiny"
    tiny_model.save(path)
    return path


@pytest.fixture(scope="session")
def semeval_dir() -> Path:
    if not (SHARED / "train" / "raw-documents").is_dir():
        pytest.skip("../shared SemEval data not present")
    return SHARED
