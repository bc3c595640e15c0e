"""The words around the tables of ``narratives tag`` and ``narratives summarize`` (issue 15).

Before: ``make demo`` said "tagged 40 documents" above a table that counted passages (its column
was "rows"); ``n`` and ``total`` were not explained; promotes + reports could exceed ``all``
(a document with a promoting and a reporting passage of one frame) without a word why.
"""

from __future__ import annotations

import json

import pytest

from narratives.cli._app import main

DOCS = [
    {
        "id": "a",
        "text": "Kazakhstan is an artificial state that Lenin drew on a map.\n\n"
        "Heavy rain flooded streets in Riga and delayed trams.",
        "outlet": "X",
    },
    {"id": "b", "text": "Heavy rain flooded streets in Riga and delayed trams.", "outlet": "Y"},
]


@pytest.fixture
def corpus(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in DOCS))
    return src


def run(capsys, *argv):
    code = main(list(map(str, argv)))
    cap = capsys.readouterr()
    return code, " ".join(cap.out.split()), cap.err


def test_tag_table_says_what_it_counts(capsys, tmp_path, tiny_model_dir, corpus):
    out = tmp_path / "out.parquet"
    code, stdout, _ = run(capsys, "tag", corpus, "-o", out, "-m", tiny_model_dir)
    assert code == 0
    assert "2 documents tagged into 3 passage rows" in stdout
    assert "┃ passages ┃" in stdout and "┃ rows ┃" not in stdout
    assert "passages with each frame; a passage can have several frames" in stdout
    assert "none: passages without a frame" in stdout
    code, stdout, _ = run(capsys, "tag", corpus, "-o", tmp_path / "d.jsonl", "-m", tiny_model_dir,
                          "--unit", "document")  # fmt: skip
    assert "2 documents tagged into 2 document rows" in stdout
    assert "documents with each frame; a document can have several frames" in stdout


def test_summarize_explains_its_columns(capsys, tmp_path, tiny_model_dir, corpus):
    out = tmp_path / "out.parquet"
    assert run(capsys, "tag", corpus, "-o", out, "-m", tiny_model_dir)[0] == 0
    code, stdout, _ = run(capsys, "summarize", out)
    assert code == 0
    assert "all: share of the documents with the label, whatever its stance" in stdout
    assert "so these can add up to more than all" in stdout
    assert "n: documents with the label; total: documents counted" in stdout
    code, stdout, _ = run(capsys, "summarize", out, "--unit", "passage", "--by", "outlet")
    assert "n: passages in the group with the label; total: passages in the group" in stdout
    assert "a passage has one stance per label" in stdout and "more than all" not in stdout
    code, stdout, _ = run(capsys, "summarize", out, "--no-stance")
    assert "whatever its stance" in stdout and "promotes" not in stdout
