"""The harness end to end on tiny data: holdout scoring, cross-validation against baselines,
SemEval-format scoring with labels unknown to the model, reports and the CLI."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

import narratives
from narratives.cli._app import main
from narratives.evaluation import f1_samples, model_predictions, score_semeval_files, write_report

FAST = {"classifier__threshold_cv": 2, "classifier__calibration": None}
HEADLINE = (
    "f1_samples_fine",
    "f1_samples_coarse",
    "f1_macro_fine",
    "f1_macro_coarse",
    "f1_micro_fine",
    "f1_micro_coarse",
)


@pytest.fixture(scope="module")
def cv_result(eval_df):
    return narratives.evaluate(
        data=eval_df, cv=3, seed=0, group_column="source", params=FAST, n_bootstrap=200
    )


# ------------------------------------------------------------------------------ holdout
def test_holdout_matches_the_tagger(eval_model, eval_df):
    res = narratives.evaluate(eval_model, eval_df, n_bootstrap=100)
    assert res["protocol"]["mode"] == "holdout" and list(res["systems"]) == ["narratives"]
    tagged = eval_model.tag(eval_df[["id", "text"]], unit="document")
    pred = [[f for f in fr if f != "none"] for fr in tagged["frames"]]
    gold = [list(f) for f in eval_df["frames"]]
    assert res["f1_samples_fine"] == pytest.approx(f1_samples(gold, pred))
    for k in HEADLINE:
        assert 0 <= res[k] <= 1 and res["ci"][k]["low"] <= res[k] <= res["ci"][k]["high"]
    assert res["stance"]["n_all"] == len(eval_df) and "stance_accuracy" in res
    assert "optimistic" in res["threshold_tuning"]["note"]
    p = model_predictions(eval_model, eval_df["text"].tolist())
    assert p.proba_fine.shape == (len(eval_df), len(eval_model.taxonomy.fine_labels))
    assert np.all((p.proba_fine >= 0) & (p.proba_fine <= 1))


# ---------------------------------------------------------------------- cross-validation
def test_cv_reports_model_and_baselines(cv_result, eval_df):
    res = cv_result
    assert list(res["systems"]) == [
        "narratives",
        "majority",
        "cue_lexicon",
        "spacy_bow",
        "spacy_bow_tuned",
    ]
    for name, s in res["systems"].items():
        for k in HEADLINE:
            assert 0 <= s["metrics"][k] <= 1, (name, k)
            assert (
                s["ci"][k]["low"] <= s["metrics"][k] + 1e-9
                and s["metrics"][k] <= s["ci"][k]["high"] + 1e-9
            )
        assert len(s["timing"]["fit_seconds"]) == 3 and s["timing"]["n_predicted"] == len(eval_df)
    for k in HEADLINE:  # backwards-compatible top level = the model
        assert res[k] == res["systems"]["narratives"]["metrics"][k]
    assert set(res["comparison"]) == {"majority", "cue_lexicon", "spacy_bow", "spacy_bow_tuned"}
    assert set(res["comparison"]["majority"]) == set(HEADLINE)
    assert (
        "calibration_fine" not in res["systems"]["cue_lexicon"]["metrics"]
    )  # hit counts are not probabilities
    assert res["systems"]["majority"]["metrics"]["calibration_fine"]["brier"] >= 0
    assert res["cv_folds"] == 3 and res["protocol"]["grouping"]["group_column"] == "source"


def test_cv_out_of_fold_rows_respect_groups(cv_result, eval_df):
    rows = cv_result["oof_predictions"]
    assert [r["id"] for r in rows] == eval_df["id"].tolist()
    by_source: dict[str, set[int]] = {}
    for r, src in zip(rows, eval_df["source"], strict=True):
        by_source.setdefault(src, set()).add(r["fold"])
    assert all(len(f) == 1 for f in by_source.values())
    assert {
        "gold_fine",
        "pred_fine",
        "scores",
        "gold_stance",
        "pred_stance",
        "spacy_bow_fine",
    } <= set(rows[0])


def test_cv_error_analysis_and_noise(cv_result, eval_df):
    errors = cv_result["errors"]
    assert errors
    texts = set(eval_df["text"])
    for lab, e in errors.items():
        assert (
            e["n_false_positives"] >= len(e["false_positives"]) and len(e["false_positives"]) <= 5
        )
        fp_scores = [r["score"] for r in e["false_positives"]]
        assert fp_scores == sorted(fp_scores, reverse=True)
        for r in e["false_positives"] + e["false_negatives"]:
            assert (lab in r["gold"]) != (lab in r["predicted"])
            if r["passage"]:
                assert r["passage"]["text"] in texts or r["passage"]["text"].endswith("…")
    noise = cv_result["label_noise"]
    assert noise["n_suspects"] == noise["n_doubted_gold"] + noise["n_missing_gold"]
    for r in noise["suspects"]:
        assert r["disagreement"] >= noise["margin"] - 1e-9


def test_cv_threshold_tuning(cv_result):
    tt = cv_result["threshold_tuning"]
    s = tt["summary"]
    assert s["gain_basis"] == "cross_fitted"
    assert s["gain"]["f1_macro"] == pytest.approx(
        s["cross_fitted"]["f1_macro"] - s["at_base"]["f1_macro"]
    )
    assert set(tt["thresholds"]) == {"artificial_state", "russia_defends", "military_threat"}


# --------------------------------------------------------------------------------- reports
def test_report_files(cv_result, tmp_path):
    paths = write_report(cv_result, tmp_path / "rep")
    metrics = json.loads(paths["metrics"].read_text())
    for k in HEADLINE:
        assert k in metrics
    assert "oof_predictions" not in metrics
    assert len(paths["oof_predictions"].read_text().splitlines()) == 15
    page = paths["html"].read_text()
    assert page.count("data:image/png;base64,") >= 5
    assert not re.search(r"""(src|href)=["']https?:""", page)  # self-contained
    assert "<script" not in page
    md = paths["markdown"].read_text()
    assert "| system | F1-samples fine" in md and "spaCy textcat_multilabel" in md
    for png in ("per_label_f1", "pr_curves", "reliability", "thresholds", "cooccurrence_coarse"):
        assert (tmp_path / "rep" / "plots" / f"{png}.png").read_bytes()[:4] == b"\x89PNG"


def test_report_without_texts(cv_result, tmp_path, eval_df):
    write_report(cv_result, tmp_path / "rep", include_texts=False, plots=False)
    blob = (tmp_path / "rep" / "metrics.json").read_text() + (
        tmp_path / "rep" / "report.md"
    ).read_text()
    blob += (tmp_path / "rep" / "report.html").read_text()
    assert not any(t[:40] in blob for t in eval_df["text"])
    assert any(
        t[:40] in json.dumps(cv_result["errors"]) for t in eval_df["text"]
    )  # the result itself is untouched


# ------------------------------------------------------------------------------- SemEval
def _write_semeval(folder, docs):
    (folder / "raw-documents").mkdir(parents=True)
    lines = []
    for doc_id, text, narr, sub in docs:
        (folder / "raw-documents" / doc_id).write_text(text, encoding="utf-8")
        lines.append(f"{doc_id}\t{narr}\t{sub}")
    (folder / "subtask-2-annotations.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_semeval_files_with_labels_the_system_never_predicts(tmp_path):
    gold = tmp_path / "gold.txt"
    pred = tmp_path / "pred.txt"
    gold.write_text(
        "d1\tCC: A\tCC: A: x;CC: A: y\nd2\tOther\tOther\nd3\tURW: B\tURW: B: z\n", encoding="utf-8"
    )
    pred.write_text(
        "d1\tCC: A\tCC: A: x\nd2\tOther\tOther\nd4\tCC: A\tCC: A: x\n", encoding="utf-8"
    )
    res = score_semeval_files(gold, pred)
    assert res["f1_samples_fine"] == pytest.approx((2 / 3 + 1 + 0) / 3)
    assert res["f1_samples_coarse"] == pytest.approx((1 + 1 + 0) / 3)
    assert res["f1_samples_std_fine"] == pytest.approx(np.std([2 / 3, 1, 0]))
    assert res["missing_predictions"] == ["d3"] and res["extra_predictions"] == ["d4"]
    assert (
        res["per_label_fine"]["URW: B: z"]["support"] == 1
        and res["per_label_fine"]["URW: B: z"]["recall"] == 0
    )
    # labels: x (1.0), y (0), z (0)
    assert res["f1_macro_fine"] == pytest.approx(1 / 3)


def test_semeval_folder_gold_unknown_to_the_model(eval_model, tmp_path):
    """Data that shares labels with the model is scored without a crosswalk: its other labels
    count as misses. (Data sharing none goes through a crosswalk: test_crosswalk.py.)"""
    folder = _write_semeval(tmp_path / "semeval", [
        ("EN_1.txt", "Lenin invented Ukraine; it is an artificial state.", "URW: Discrediting Ukraine", "URW: Discrediting Ukraine: Rewriting Ukraine's history"),
        ("EN_2.txt", "A Riga bakery won a prize for its rye bread.", "Other", "Other"),
        ("EN_3.txt", "The climate agenda is a hoax pushed by elites.", "CC: Criticism of climate movement", "CC: Criticism of climate movement: Other"),
        ("EN_4.txt", "Trams in Vilnius ran late after a snowstorm.", "Other", "Other"),
        ("EN_5.txt", "Moldova is a fake country that owes its existence to Moscow.", "sovereignty", "artificial_state"),
    ])  # fmt: skip
    res = narratives.evaluate(eval_model, folder, fmt="semeval", n_bootstrap=50)
    assert "crosswalk" not in res
    unknown = res["data"]["unknown_gold_labels"]
    assert set(unknown) == {
        "URW: Discrediting Ukraine: Rewriting Ukraine's history",
        "CC: Criticism of climate movement: Other",
    }
    assert "Other" not in unknown and "Other" not in res["per_label_fine"]
    pred = model_predictions(
        eval_model, [p.read_text() for p in sorted((folder / "raw-documents").iterdir())]
    ).fine
    # the unknown gold labels are misses: those documents score 0
    last = set(pred[4])
    f1_last = 2 * ("artificial_state" in last) / (1 + len(last))
    expected = np.mean([0.0, float(not pred[1]), 0.0, float(not pred[3]), f1_last])
    assert res["f1_samples_fine"] == pytest.approx(expected)
    for lab in unknown:
        assert (
            res["per_label_fine"][lab]["support"] == 1 and res["per_label_fine"][lab]["recall"] == 0
        )


def test_semeval_gold_scores_itself(shared_semeval, tmp_path):
    ann = shared_semeval / "subtask-2-annotations.txt"
    assert score_semeval_files(ann, ann)["f1_samples_fine"] == 1.0
    other = tmp_path / "other.txt"
    ids = [
        line.split("\t")[0] for line in ann.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    other.write_text("".join(f"{i}\tOther\tOther\n" for i in ids), encoding="utf-8")
    res = score_semeval_files(ann, other)
    n_other = sum(
        line.split("\t")[2].strip() == "Other"
        for line in ann.read_text(encoding="utf-8").splitlines()
        if line.strip()
    )
    assert res["f1_samples_fine"] == pytest.approx(n_other / len(ids))


# ------------------------------------------------------------------------------------ CLI
def _run(capsys, *argv):
    code = main(list(map(str, argv)))
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def test_cli_cross_validation(capsys, tmp_path, eval_df):
    data = tmp_path / "data.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in eval_df.to_dict("records")))
    out = tmp_path / "report"
    code, stdout, err = _run(capsys, "evaluate", data, "--cv", "2", "-o", out, "--baselines", "majority,cue_lexicon",
                             "--bootstrap", "50", "--group-column", "source", "--no-texts")  # fmt: skip
    assert code == 0, err
    assert (
        "2-fold cross-validation" in stdout
        and "majority label set" in stdout
        and "cue lexicon" in stdout
    )
    assert "| system | F1-samples fine" in stdout  # not a terminal: a Markdown table
    assert re.search(r"\d\.\d{3} \[\d\.\d{3}, \d\.\d{3}\]", stdout)
    assert {p.name for p in out.iterdir()} >= {
        "metrics.json",
        "report.md",
        "report.html",
        "oof_predictions.jsonl",
    }
    assert eval_df["text"][0][:30] not in (out / "metrics.json").read_text()


def test_cli_bad_group_column(capsys, tmp_path, eval_df):
    data = tmp_path / "data.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in eval_df.to_dict("records")))
    code, _, err = _run(
        capsys, "evaluate", data, "--cv", "2", "-o", tmp_path / "r", "--group-column", "outlet"
    )
    assert code == 2 and "group column 'outlet' not found" in err
