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


#: A tiny SemEval-2025 Task 10 folder written for the tests (not real data): textbook sentences
#: for four of the default model's frames, labelled with the SemEval subnarratives the default
#: taxonomy's crosswalk maps those frames to, plus a neutral, a climate and a missed document.
#: (file, text, narratives, subnarratives)
TINY_SEMEVAL = [
    (
        "EN_UA_1.txt",
        "Ukraine is an artificial state created by Lenin; it never existed before the Bolsheviks "
        "drew its borders.",
        "URW: Discrediting Ukraine",
        "URW: Discrediting Ukraine: Rewriting Ukraine's history",
    ),
    (
        "EN_UA_2.txt",
        "The Kyiv regime is run by neo-Nazis who worship Bandera, and Ukraine's army is full of "
        "Nazi battalions.",
        "URW: Discrediting Ukraine",
        "URW: Discrediting Ukraine: Ukraine is associated with nazism",
    ),
    (
        "EN_UA_3.txt",
        "NATO expansion forced Russia to defend itself; the special operation is pure self-defence "
        "against Western aggression.",
        "URW: Russia is the Victim",
        "URW: Russia is the Victim: Russia actions in Ukraine are only self-defence",
    ),
    (
        "EN_UA_4.txt",
        "Russia will strike Poland with nuclear weapons if it keeps arming Ukraine, warned the "
        "Kremlin, and WWIII is near.",
        "URW: Amplifying war-related fears",
        "URW: Amplifying war-related fears: There is a real possibility that nuclear weapons "
        "will be employed",
    ),
    (
        "EN_UA_5.txt",
        "The city council of Kyiv approved a new budget for public transport and school repairs.",
        "Other",
        "Other",
    ),
    (
        "EN_CC_6.txt",
        "Climate activists are hypocrites who fly private jets to conferences.",
        "CC: Criticism of climate movement",
        "CC: Criticism of climate movement: Ad hominem attacks on key activists",
    ),
    (
        "EN_UA_7.txt",
        "Farmers in Ukraine started the spring sowing early this year.",
        "URW: Discrediting Ukraine",
        "URW: Discrediting Ukraine: Ukraine is a puppet of the West",
    ),
]


@pytest.fixture
def tiny_semeval(tmp_path) -> Path:
    """:data:`TINY_SEMEVAL` as a SemEval folder (raw-documents/ + subtask-2-annotations.txt)."""
    folder = tmp_path / "semeval"
    (folder / "raw-documents").mkdir(parents=True)
    for name, text, _, _ in TINY_SEMEVAL:
        (folder / "raw-documents" / name).write_text(text, encoding="utf-8")
    (folder / "subtask-2-annotations.txt").write_text(
        "".join(f"{name}\t{narr}\t{sub}\n" for name, _, narr, sub in TINY_SEMEVAL),
        encoding="utf-8",
    )
    return folder
