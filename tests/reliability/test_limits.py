"""Resource limits: ``--max-chars`` caps the text processed per document, never silently."""

from __future__ import annotations

import json

import pandas as pd
from _reliability import write_jsonl

from narratives.cli._app import main

SENTENCE = "Kazakhstan is an artificial state that Lenin drew on a map. "


def tag(capsys, *argv):
    code = main(["tag", *map(str, argv)])
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def test_max_chars_is_documented(capsys):
    code, stdout, _ = tag(capsys, "--help")
    assert code == 0 and "--max-chars" in stdout and "truncated" in stdout


def test_passage_rows_stop_at_the_limit_and_are_flagged(capsys, tmp_path, tiny_model_dir):
    rows = [{"id": "short", "text": SENTENCE}, {"id": "long", "text": SENTENCE * 100}]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    out = tmp_path / "out.parquet"
    code, stdout, _ = tag(capsys, src, "-o", out, "--model", tiny_model_dir, "--max-chars", 1000)
    assert code == 0 and "truncated 1," in stdout
    df = pd.read_parquet(out)
    long, short = df[df["id"] == "long"], df[df["id"] == "short"]
    assert long["end"].max() <= 1000 and long["end"].max() > 900  # processed up to the limit
    assert list(long["flag"]).count("truncated") == 1 and long["flag"].iloc[-1] == "truncated"
    assert "truncated" not in set(short["flag"])


def test_truncated_flag_survives_a_boilerplate_tail(capsys, tmp_path, tiny_model_dir):
    """The cut can land in a boilerplate or heading line: the row is still flagged truncated."""
    text = (
        SENTENCE * 5
        + "\n\nSubscribe to our Telegram channel for more news and updates\n\n"
        + SENTENCE * 20
    )
    limit = text.index("for more news") + 5
    src = write_jsonl(tmp_path / "in.jsonl", [{"id": "doc", "text": text}])
    out = tmp_path / "out.jsonl"
    code, stdout, _ = tag(capsys, src, "-o", out, "--model", tiny_model_dir, "--max-chars", limit)
    assert code == 0 and "truncated 1," in stdout
    flags = [json.loads(line)["flag"] for line in out.read_text().splitlines()]
    assert "truncated" in flags


def test_five_megabyte_document_at_passage_level(capsys, tmp_path, tiny_model_dir):
    big = "Riga is calm today. " * 262_144  # 5 MiB
    src = write_jsonl(
        tmp_path / "big.jsonl", [{"id": "big", "text": big}, {"id": "small", "text": SENTENCE}]
    )
    out = tmp_path / "out.jsonl"
    code, stdout, err = tag(
        capsys, src, "-o", out, "--model", tiny_model_dir, "--max-chars", 50_000
    )
    assert code == 0 and err.strip() == "" and "truncated 1," in stdout
    res = [json.loads(line) for line in out.read_text().splitlines()]
    big_rows = [r for r in res if r["id"] == "big"]
    assert max(r["end"] for r in big_rows) <= 50_000 and big_rows[-1]["flag"] == "truncated"
    assert {r["id"] for r in res} == {"big", "small"}


def test_document_unit_flag_and_default_limit(capsys, tmp_path, tiny_model_dir):
    src = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": SENTENCE * 50}])
    out = tmp_path / "out.jsonl"
    code, stdout, _ = tag(capsys, src, "-o", out, "--model", tiny_model_dir, "--unit", "document")
    assert code == 0 and "truncated 0," in stdout  # under the default 2,000,000
    code, stdout, _ = tag(
        capsys,
        src,
        *("-o", out, "--model", tiny_model_dir, "--unit", "document", "--max-chars", 100),
        "--overwrite",  # the same output again
    )
    assert code == 0 and "truncated 1," in stdout
    assert json.loads(out.read_text())["flag"] == "truncated"


def test_max_chars_must_be_positive(capsys, tmp_path):
    code, _, err = tag(capsys, tmp_path / "x.jsonl", "-o", tmp_path / "o.jsonl", "--max-chars", 0)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "--max-chars" in err


def test_nothing_to_tag_before_the_limit_is_a_reject_not_a_loss(capsys, tmp_path, tiny_model_dir):
    src = write_jsonl(
        tmp_path / "in.jsonl",
        [{"id": "pad", "text": " " * 200 + SENTENCE}, {"id": "ok", "text": SENTENCE}],
    )
    out = tmp_path / "out.jsonl"
    code, stdout, _ = tag(capsys, src, "-o", out, "--model", tiny_model_dir, "--max-chars", 100)
    assert code == 1 and "line 1 (id pad): no text to tag" in stdout
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["ok"]
