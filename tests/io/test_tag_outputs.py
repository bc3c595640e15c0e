"""Reading tag outputs back: one reader for summarize, sample and validate (io._tag_outputs)."""

from __future__ import annotations

import gzip

import pandas as pd
import pytest
import zstandard

from narratives.cli._app import main
from narratives.io import read_tag_output, tag_output_batches
from narratives.validation._units import load_units


@pytest.fixture(scope="module")
def outputs(tiny_model_dir, tmp_path_factory):
    """The same tag run written as Parquet, JSONL and CSV, and the text formats compressed; one
    text starts with '=' so that the CSV neutralises it."""
    d = tmp_path_factory.mktemp("tag_outputs")
    rows = [
        {"id": f"d{i}", "text": t, "outlet": f"o{i % 2}"}
        for i, t in enumerate(
            [
                "=Kazakhstan is an artificial state that Lenin drew on a map.",
                "The weather in Riga was mild on Tuesday.",
                "Ukraine is run by Western puppets, the channel said.",
            ]
        )
    ]
    src = d / "in.jsonl"
    pd.DataFrame(rows).to_json(src, orient="records", lines=True)
    paths = {}
    for ext in ("parquet", "jsonl", "csv"):
        out = d / f"tags.{ext}"
        assert main(["tag", str(src), "-o", str(out), "--model", str(tiny_model_dir), "-q"]) == 0
        paths[ext] = out
    paths["jsonl.gz"] = d / "tags.jsonl.gz"
    paths["jsonl.gz"].write_bytes(gzip.compress(paths["jsonl"].read_bytes()))
    paths["csv.zst"] = d / "tags.csv.zst"
    paths["csv.zst"].write_bytes(zstandard.ZstdCompressor().compress(paths["csv"].read_bytes()))
    return paths


@pytest.mark.parametrize("fmt", ["jsonl", "jsonl.gz", "csv", "csv.zst"])
def test_every_format_reads_back_the_parquet_values(outputs, fmt):
    want = read_tag_output(outputs["parquet"])
    got = read_tag_output(outputs[fmt])
    assert list(got["id"]) == list(want["id"])
    # the CSV's neutralising apostrophe is undone
    assert list(got["text"]) == list(want["text"]) and got["text"].iloc[0].startswith("=")
    assert [str(x) for x in got["passage"]] == [str(x) for x in want["passage"]]


def test_batches_keep_the_asked_columns(outputs):
    parts = list(tag_output_batches(outputs["jsonl.gz"], ["id", "outlet"], batch_rows=1))
    assert len(parts) == 3 and all(list(p.columns) == ["id", "outlet"] for p in parts)


@pytest.mark.parametrize("fmt", ["jsonl.gz", "csv.zst"])
def test_sample_and_validate_read_compressed_outputs(outputs, fmt):
    want = load_units(outputs["parquet"], unit="document")
    got = load_units(outputs[fmt], unit="document")
    assert list(got.frame["id"]) == list(want.frame["id"])


def test_an_unknown_extension_is_one_input_error(tmp_path):
    from narratives import InputError

    path = tmp_path / "tags.txt"
    path.write_text("x")
    with pytest.raises(InputError, match="cannot tell the format"):
        read_tag_output(path)
