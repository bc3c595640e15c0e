"""Every CLI command and input format, and the bad-input cases of the core issue."""

import json

import pandas as pd
import pytest

from _cli import run


@pytest.fixture
def corpus(tmp_path):
    rows = [
        {
            "id": "a",
            "text": "Kazakhstan is an artificial state that Lenin drew on a map.",
            "outlet": "X",
        },
        {"id": "b", "text": "Heavy rain flooded streets in Riga and delayed trams.", "outlet": "Y"},
        {
            "id": "c",
            "text": "NATO expansion left Russia no choice but to defend itself. The West is the real aggressor.",
            "outlet": "X",
        },
    ]
    return rows


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.mark.parametrize("ext", ["jsonl", "csv", "parquet"])
def test_tag_formats(capsys, tmp_path, tiny_model_dir, corpus, ext):
    df = pd.DataFrame(corpus)
    src = tmp_path / f"in.{ext}"
    {
        "jsonl": lambda: write_jsonl(src, corpus),
        "csv": lambda: df.to_csv(src, index=False),
        "parquet": lambda: df.to_parquet(src),
    }[ext]()
    out = tmp_path / "out.parquet"
    code, stdout, _ = run(capsys, "tag", src, "-o", out, "--model", tiny_model_dir)
    assert code == 0, stdout
    res = pd.read_parquet(out)
    assert set(res["id"]) == {"a", "b", "c"}
    for col in (
        "id",
        "passage",
        "start",
        "end",
        "frames",
        "families",
        "stance",
        "scores",
        "outlet",
    ):
        assert col in res.columns
    row = res[res["id"] == "a"].iloc[0]
    assert "artificial_state" in list(row["frames"])


def test_tag_txt_folder_and_document_unit(capsys, tmp_path, tiny_model_dir, corpus):
    folder = tmp_path / "docs"
    folder.mkdir()
    for r in corpus:
        (folder / f"{r['id']}.txt").write_text(r["text"])
    out = tmp_path / "out.jsonl"
    code, _, _ = run(
        capsys, "tag", folder, "-o", out, "--model", tiny_model_dir, "--unit", "document"
    )
    assert code == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(r["id"] for r in rows) == ["a.txt", "b.txt", "c.txt"]
    assert all("evidence" in r and "scores" in r for r in rows)


def test_tag_semeval_output(capsys, tmp_path, tiny_model_dir, corpus):
    folder = tmp_path / "sem" / "raw-documents"
    folder.mkdir(parents=True)
    for r in corpus:
        (folder / f"EN_UA_{r['id']}.txt").write_text("Title\n\n" + r["text"])
    out = tmp_path / "pred.txt"
    code, _, err = run(
        capsys, "tag", tmp_path / "sem", "-o", out, "--format", "semeval", "--model", tiny_model_dir
    )
    # The tiny model's labels are the default taxonomy's, which no SemEval scorer reads.
    assert code == 2 and "trained on SemEval's labels" in err and not out.exists()


def test_rejects_file_and_exit_code(capsys, tmp_path, tiny_model_dir):
    src = tmp_path / "in.jsonl"
    src.write_bytes(
        b'{"id": "ok", "text": "A calm day in Tallinn."}\n'
        b'{"id": "broken", "text": \n'
        b'{"id": "null", "text": null}\n'
        b'{"id": "num", "text": 42}\n'
        b'{"id": "list", "text": ["a"]}\n'
        b'{"id": "bytes", "text": "caf\xe9"}\n'
    )
    out = tmp_path / "out.jsonl"
    code, _stdout, _ = run(capsys, "tag", src, "-o", out, "--model", tiny_model_dir)
    assert code == 1
    rejects = [
        json.loads(line) for line in (tmp_path / "out.jsonl.rejects.jsonl").read_text().splitlines()
    ]
    reasons = {r["row"]: r["reason"] for r in rejects}
    assert set(reasons) == {2, 3, 4, 5, 6}
    assert (
        "malformed JSON" in reasons[2]
        and "null" in reasons[3]
        and "int" in reasons[4]
        and "UTF-8" in reasons[6]
    )
    assert {json.loads(line)["id"] for line in out.read_text().splitlines()} == {"ok"}


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda p: None, "input not found"),
        (lambda p: p.write_text(""), "empty"),
        (lambda p: p.write_text('{"body": "x"}\n'), "available: body"),
    ],
    ids=["missing-file", "empty-file", "missing-column"],
)
def test_input_errors_are_one_line(capsys, tmp_path, tiny_model_dir, setup, message):
    src = tmp_path / "in.jsonl"
    setup(src)
    code, _, err = run(capsys, "tag", src, "-o", tmp_path / "o.jsonl", "--model", tiny_model_dir)
    assert code == 2
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_model_errors(capsys, tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": "x"}])
    code, _, err = run(
        capsys, "tag", src, "-o", tmp_path / "o.jsonl", "--model", tmp_path / "missing"
    )
    assert code == 3 and "model directory not found" in err and "Traceback" not in err


def test_missing_output_folder(capsys, tmp_path, tiny_model_dir):
    src = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": "x"}])
    code, _, err = run(
        capsys, "tag", src, "-o", tmp_path / "nope" / "o.jsonl", "--model", tiny_model_dir
    )
    assert code == 2 and "does not exist" in err


def test_five_megabyte_document(capsys, tmp_path, tiny_model_dir):
    src = write_jsonl(
        tmp_path / "big.jsonl", [{"id": "big", "text": "Riga is calm today. " * 260_000}]
    )
    out = tmp_path / "o.jsonl"
    code, stdout, _ = run(
        capsys, "tag", src, "-o", out, "--model", tiny_model_dir, "--unit", "document"
    )
    assert code == 0 and "truncated 1" in stdout
    row = json.loads(out.read_text())
    assert row["flag"] == "truncated"


def test_train_evaluate_info_explain(capsys, tmp_path, tiny_df):
    data = tmp_path / "train.jsonl"
    write_jsonl(data, tiny_df.to_dict("records"))
    model_dir = tmp_path / "model"
    code, stdout, _ = run(capsys, "train", data, "-o", model_dir)
    assert code == 0 and (model_dir / "manifest.json").is_file()
    code, stdout, _ = run(capsys, "evaluate", data, "--model", model_dir, "-o", tmp_path / "rep")
    metrics = json.loads((tmp_path / "rep" / "metrics.json").read_text())
    assert code == 0 and 0 <= metrics["f1_samples_fine"] <= 1 and "per_label_fine" in metrics
    code, stdout, _ = run(capsys, "info", "--model", model_dir)
    assert code == 0 and "artificial_state" in stdout
    code, stdout, _ = run(
        capsys, "explain", "Ukraine is a fake state invented by Lenin.", "--model", model_dir
    )
    assert code == 0 and "artificial_state" in stdout


def test_help_on_every_command(capsys):
    for cmd in ("train", "tag", "evaluate", "explain", "info"):
        code, stdout, _ = run(capsys, cmd, "--help")
        assert code == 0 and "Usage" in stdout
