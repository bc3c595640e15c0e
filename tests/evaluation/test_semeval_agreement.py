"""Issue 12: ``narratives evaluate`` agrees with the official metric computed from the SemEval
predictions file the tagger writes (skipped without ../shared SemEval data)."""

import hashlib
import json

import numpy as np
import pytest
from sklearn.metrics import f1_score
from sklearn.preprocessing import MultiLabelBinarizer

import narratives
from narratives.cli._app import main

pytestmark = [pytest.mark.shared, pytest.mark.slow]


def _read(path):
    """``id<TAB>narratives<TAB>subnarratives`` lines, ``;``-joined labels (the task's format)."""
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            doc, coarse, fine = line.split("\t")
            out[doc.strip()] = [
                [x.strip() for x in coarse.split(";") if x.strip()],
                [x.strip() for x in fine.split(";") if x.strip()],
            ]
    return out


def _official_f1_samples(gold_path, pred_path):
    """The task's metric, written independently of narratives.evaluation: per document, binary F1
    between the gold and predicted label sets as written (``Other`` included); the mean over the
    gold documents (a document without a prediction has an empty set)."""
    gold, pred = _read(gold_path), _read(pred_path)
    ids = sorted(gold)
    res = {}
    for level, k in (("coarse", 0), ("fine", 1)):
        labels = sorted({x for d in (gold, pred) for v in d.values() for x in v[k]})
        mlb = MultiLabelBinarizer(classes=labels).fit([])
        G = mlb.transform([gold[i][k] for i in ids])
        P = mlb.transform([pred.get(i, [[], []])[k] for i in ids])
        res[level] = float(f1_score(G, P, average="samples", zero_division=0))
    return res


def _subset(root, dst, keep):
    (dst / "raw-documents").mkdir(parents=True)
    lines = []
    for line in (root / "subtask-2-annotations.txt").read_text(encoding="utf-8").splitlines():
        doc = line.split("\t")[0]
        if line.strip() and keep(doc):
            lines.append(line)
            (dst / "raw-documents" / doc).symlink_to(root / "raw-documents" / doc)
    (dst / "subtask-2-annotations.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return dst


def test_evaluate_agrees_with_the_official_metric_on_the_written_predictions(semeval_dir, tmp_path):
    root = semeval_dir / "train"

    def held_back(doc):
        return int(hashlib.md5(doc.encode()).hexdigest(), 16) % 10 < 3

    train_dir = _subset(root, tmp_path / "train", lambda d: not held_back(d))
    test_dir = _subset(root, tmp_path / "test", held_back)
    model = narratives.train(
        train_dir,
        fmt="semeval",
        seed=0,
        params={"classifier__threshold_cv": 2, "classifier__calibration": None},
    )
    model.save(tmp_path / "model")
    m = str(tmp_path / "model")
    assert (
        main(["evaluate", str(test_dir), "-m", m, "-o", str(tmp_path / "ev"), "--bootstrap", "0"])
        == 0
    )
    pred = tmp_path / "pred.txt"
    # the subset's documents are links to the shared copy: tag reads them only when asked
    tag = ["tag", str(test_dir), "-m", m, "-f", "semeval", "-o", str(pred), "--follow-links"]
    assert main(tag) == 0
    metrics = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    official = _official_f1_samples(test_dir / "subtask-2-annotations.txt", pred)
    # The held-back documents carry narratives with and without specific subnarratives.
    assert any(": Other" in x for v in _read(pred).values() for x in v[1])
    assert np.isclose(metrics["f1_samples_fine"], official["fine"], atol=1e-3), (metrics, official)
    assert np.isclose(metrics["f1_samples_coarse"], official["coarse"], atol=1e-3), (
        metrics,
        official,
    )
