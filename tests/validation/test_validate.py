"""The validation loop on the bundled demo, from the command line, and its bad inputs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from _cli import run

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "sample" / "demo_annotations.labelstudio.json"


@pytest.fixture(scope="module")
def tags(tmp_path_factory):
    import narratives

    model = narratives.load()
    docs = pd.read_json(ROOT / "data" / "sample" / "sample_corpus.jsonl", lines=True, dtype=False)
    df = model.tag(docs)
    for c in ("outlet", "date"):
        df[c] = df["id"].map(dict(zip(docs["id"], docs[c], strict=True)))
    path = tmp_path_factory.mktemp("tags") / "tags.parquet"
    df.to_parquet(path)
    return path


def test_demo_loop(capsys, tmp_path, tags):
    code, _out, err = run(
        capsys, "validate", tags, DEMO, "-o", tmp_path / "rep", "--by", "date:year"
    )
    assert code == 0, err
    res = json.loads((tmp_path / "rep" / "validation.json").read_text())
    assert res["summary"]["annotated"] == 30 and res["summary"]["rejected"] == 0
    for r in res["prevalence"]:
        assert 0 <= r["low"] <= r["corrected"] <= r["high"] <= 1
    assert (tmp_path / "rep" / "report.md").read_text().startswith("# Validation report")
    assert "<table" in (tmp_path / "rep" / "report.html").read_text()
    code, out2, _ = run(capsys, "summarize", "--adjust", tmp_path / "rep")
    assert code == 0 and "corrected" in out2 and "artificial_state" in out2
    # an earlier report is replaced only with --overwrite, like every other output
    before = (tmp_path / "rep" / "validation.json").read_bytes()
    code, _, err = run(capsys, "validate", tags, DEMO, "-o", tmp_path / "rep")
    assert code == 2 and "--overwrite" in err and len(err.strip().splitlines()) == 1
    assert (tmp_path / "rep" / "validation.json").read_bytes() == before
    assert run(capsys, "validate", tags, DEMO, "-o", tmp_path / "rep", "--overwrite")[0] == 0


def test_sample_every_format_and_strategy(capsys, tmp_path, tags):
    for name in ("s.jsonl", "s.csv", "s.labelstudio.json", "s.prodigy.jsonl", "s.doccano.jsonl"):
        code, _, err = run(capsys, "sample", tags, "-o", tmp_path / name, "--n", "20")
        assert code == 0, err
    s = pd.read_json(tmp_path / "s.jsonl", lines=True)
    assert len(s) == 20 and s["sample_id"].is_unique
    # list and mapping cells of the CSV as the tag output's CSV writes them, not Python reprs
    cells = pd.read_csv(tmp_path / "s.csv", dtype=str).fillna("")
    assert not cells.map(lambda c: c.startswith(("['", "{'"))).any().any()
    assert {
        "id",
        "passage",
        "start",
        "end",
        "text",
        "model_frames",
        "scores",
        "inclusion_probability",
        "outlet",
    } <= set(s.columns)
    assert (tmp_path / "s.labelstudio.xml").is_file()
    for strategy in ("uncertain", "diverse"):
        code, _, err = run(
            capsys,
            "sample",
            tags,
            "-o",
            tmp_path / f"{strategy}.jsonl",
            "--n",
            "15",
            "--strategy",
            strategy,
        )
        assert code == 0, err
        d = pd.read_json(tmp_path / f"{strategy}.jsonl", lines=True)
        assert len(d) == 15 and d["sample_id"].is_unique and d["inclusion_probability"].isna().all()
    # the same seed gives the same sample; never overwrite without --overwrite
    code, _, err = run(capsys, "sample", tags, "-o", tmp_path / "s.jsonl", "--n", "20")
    assert code == 2 and "exists" in err
    code, _, _ = run(capsys, "sample", tags, "-o", tmp_path / "s2.jsonl", "--n", "20")
    assert (
        pd.read_json(tmp_path / "s2.jsonl", lines=True)["sample_id"].tolist()
        == s["sample_id"].tolist()
    )
    code, _, err = run(
        capsys,
        "export",
        tmp_path / "s.jsonl",
        "--to",
        "prodigy",
        "-o",
        tmp_path / "x.prodigy.jsonl",
    )
    assert code == 0, err
    # Label Studio's labelling config next to the tasks is someone's file too (an edited copy)
    cfg = tmp_path / "t.labelstudio.xml"
    cfg.write_text("<View>mine</View>")
    args = ("export", tmp_path / "s.jsonl", "-o", tmp_path / "t.labelstudio.json")
    code, _, err = run(capsys, *args)
    assert code == 2 and "t.labelstudio.xml exists" in err
    assert cfg.read_text() == "<View>mine</View>" and not (tmp_path / "t.labelstudio.json").exists()
    code, _, err = run(capsys, *args, "--overwrite")
    assert code == 0, err
    assert cfg.read_text() != "<View>mine</View>"
    # an annotation tool's file given where the sample belongs: one line that says so
    ls = tmp_path / "s.labelstudio.json"
    ls.write_text("[]")
    code, _, err = run(capsys, "export", ls, "--to", "prodigy", "-o", tmp_path / "y.prodigy.jsonl")
    assert code == 2 and "is not a sample" in err and len(err.strip().splitlines()) == 1


def _tasks():
    return json.loads(DEMO.read_text())


def _write(path, tasks):
    path.write_text(json.dumps(tasks))
    return path


def test_bad_annotation_files(capsys, tmp_path, tags):
    # ids that are not in TAGS: every row -> one-line error
    t = _tasks()
    for x in t:
        x["data"]["sample_id"] = "nope-" + x["data"]["sample_id"]
    code, _, err = run(
        capsys, "validate", tags, _write(tmp_path / "a.json", t), "-o", tmp_path / "r1"
    )
    assert (
        code == 2 and "none of the 30 annotated ids" in err and len(err.strip().splitlines()) == 1
    )
    # a sample from another run (other tags): one-line error
    t = _tasks()
    for x in t:
        x["data"]["tags_fingerprint"] = "0123456789abcdef"
    code, _, err = run(
        capsys, "validate", tags, _write(tmp_path / "b.json", t), "-o", tmp_path / "r2"
    )
    assert code == 2 and "another tag run" in err and len(err.strip().splitlines()) == 1
    # labels outside the taxonomy, an empty annotation, a duplicate, one unknown id: rejects entries
    t = _tasks()
    t[0]["annotations"][0]["result"][0]["value"]["choices"] = ["not_a_frame"]
    t[1]["annotations"][0]["result"] = []
    t.append(json.loads(json.dumps(t[2])))
    t[3]["data"]["sample_id"] = "sample-999"
    t[4]["annotations"][0]["was_cancelled"] = True
    code, _out, err = run(
        capsys, "validate", tags, _write(tmp_path / "c.json", t), "-o", tmp_path / "r3"
    )
    assert code == 1, err
    res = json.loads((tmp_path / "r3" / "validation.json").read_text())
    reasons = " | ".join(r["reason"] for r in res["rejects"])
    for part in (
        "not in the taxonomy",
        "empty annotation",
        "duplicate annotation",
        "is not a document",
        "cancelled",
    ):
        assert part in reasons, reasons
    assert res["summary"]["annotated"] == 26  # 30 - 4 bad; the duplicate is kept once
    # an empty file, and a report folder holding other files
    (tmp_path / "empty.json").write_text("")
    code, _, err = run(capsys, "validate", tags, tmp_path / "empty.json", "-o", tmp_path / "r4")
    assert code == 2 and "empty" in err
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    code, _, err = run(capsys, "validate", tags, DEMO, "-o", tmp_path / "busy")
    assert (
        code == 2 and "not empty" in err and (tmp_path / "busy" / "notes.txt").read_text() == "mine"
    )


def test_train_and_evaluate_read_annotation_formats(tmp_path):
    from narratives.io import read_labelled

    ld = read_labelled(DEMO, fmt="labelstudio")
    assert len(ld.frame) == 30 and {"id", "text", "frames", "stance"} <= set(ld.frame.columns)
    ld2 = read_labelled(shutil.copy(DEMO, tmp_path / "x.labelstudio.json"))  # auto
    assert ld2.frame["frames"].tolist() == ld.frame["frames"].tolist()


def test_bundled_demo_annotations_match_the_default_model():
    """The demo annotations belong to the default model's tag run: rebuild them with
    benchmarks/make_demo_annotations.py when the model changes."""
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from make_demo_annotations import demo_sample

    s = demo_sample()
    ids = sorted(x["data"]["sample_id"] for x in _tasks())
    assert sorted(s["sample_id"]) == ids
    assert {x["data"]["run"] for x in _tasks()} == {s["run"].iloc[0]}
