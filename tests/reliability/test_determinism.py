"""Determinism: the same data and seed give the same model, even across processes.

Two ``narratives train`` runs in separate processes with different hash seeds (so set and dict
iteration orders of strings differ) must produce pipelines that predict identically, and the
manifest must record the seed.
"""

from __future__ import annotations

import json
import subprocess

import numpy as np
from _reliability import cli_command, cli_env

import narratives

PROBES = [
    "Kazakhstan is an artificial state that Lenin drew on a map.",
    "NATO expansion left Russia no choice but to defend itself.",
    "Heavy rain flooded streets in Riga and delayed trams.",
    "Fact-check: the claim that Ukraine was invented by Lenin is misleading.",
    "If the Baltics keep provoking us, they will be next.",
]


def test_cli_train_twice_gives_identical_models(tmp_path, tiny_df):
    data = tmp_path / "train.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in tiny_df.to_dict("records")))
    procs = [
        subprocess.Popen(
            [*cli_command(), "train", str(data), "-o", str(tmp_path / f"m{k}"), "--seed", "7"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=cli_env(PYTHONHASHSEED=str(k)),
        )
        for k in (1, 2)
    ]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    a, b = narratives.load(tmp_path / "m1"), narratives.load(tmp_path / "m2")
    for m in (a, b):
        assert m.manifest["seed"] == 7
        assert m.manifest["params"]["classifier__random_state"] == "7"
    assert a.manifest["training_data"] == b.manifest["training_data"]
    assert a.thresholds == b.thresholds
    texts = PROBES + tiny_df["text"].tolist()
    da, db = a.pipeline.decide(texts), b.pipeline.decide(texts)
    np.testing.assert_array_equal(da["proba_fine"], db["proba_fine"])
    np.testing.assert_array_equal(da["proba_coarse"], db["proba_coarse"])
    assert da["frames"] == db["frames"] and da["stance"] == db["stance"]
    ta, tb = a.tag(texts, unit="document"), b.tag(texts, unit="document")
    assert ta.to_dict("records") == tb.to_dict("records")
