"""A folder of Parquet files is one dataset: sorted file order, streamed, same options as a file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from narratives import InputError
from narratives.cli._app import main
from narratives.io import count_rows, detect_format, input_fingerprint, iter_chunks, read_all


def _part(path: Path, ids: list[str], **extra) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"doc": ids, "body": [f"text of {i}" for i in ids], **extra}).to_parquet(path)


@pytest.fixture
def folder(tmp_path) -> Path:
    root = tmp_path / "ds"
    # written out of order: the dataset's order is that of the sorted paths
    _part(root / "year=2024" / "part-1.parquet", ["e", "f", "g"])
    _part(root / "year=2023" / "part-0.parquet", ["a", "b"], outlet=["x", "y"])
    _part(root / "year=2024" / "part-0.parquet", ["c", "d"])
    (root / "_SUCCESS").write_text("")  # written by Spark: not data
    (root / ".part-0.parquet.crc").write_text("x")
    return root


def test_one_dataset_in_sorted_file_order(folder):
    assert detect_format(folder) == "parquet"
    chunks = list(iter_chunks(folder, text_column="body", id_column="doc", chunk_rows=2))
    df = pd.concat([c.frame for c in chunks], ignore_index=True)
    assert df["id"].tolist() == list("abcdefg")
    assert df["row"].tolist() == list(range(1, 8))  # numbered across the files
    assert df["text"].tolist() == [f"text of {i}" for i in "abcdefg"]
    assert df["year"].tolist() == [2023] * 2 + [2024] * 5  # key=value folders are columns
    assert df["outlet"].tolist()[:2] == ["x", "y"] and df["outlet"].isna()[2:].all()
    assert max(len(c.frame) for c in chunks) <= 2  # streamed in batches
    assert count_rows(folder) == 7


def test_text_and_id_columns_as_for_a_file(folder, tmp_path):
    with pytest.raises(InputError, match="'text'"):
        read_all(folder)
    with pytest.raises(InputError, match="'nope'"):
        read_all(folder, text_column="body", id_column="nope")
    df, _ = read_all(folder, text_column="body")
    assert df["id"].tolist() == [str(i) for i in range(1, 8)]  # no id column: row numbers
    flat = tmp_path / "flat"
    flat.mkdir()
    pd.DataFrame({"id": ["p", "q"], "text": ["one", "two"]}).to_parquet(flat / "a.pq")
    assert read_all(flat)[0]["id"].tolist() == ["p", "q"]  # an "id" column is the default


def test_explicit_format_and_fingerprint(folder):
    assert len(read_all(folder, fmt="parquet", text_column="body")[0]) == 7
    fp = input_fingerprint(folder)
    assert fp["format"] == "parquet" and fp["files"] == 3
    _part(folder / "year=2025" / "part-0.parquet", ["h"])
    assert input_fingerprint(folder) != fp


def test_a_folder_mixing_formats_is_an_error(folder):
    (folder / "notes.jsonl").write_text('{"text": "x"}\n')
    with pytest.raises(InputError, match=r"mixes input formats \(1 jsonl, 3 parquet files\)"):
        detect_format(folder)


def test_files_that_do_not_fit_one_table(folder):
    pd.DataFrame({"doc": [1], "body": [2]}).to_parquet(folder / "z.parquet")
    with pytest.raises(InputError, match="do not fit one table"):
        read_all(folder, text_column="body")
    (folder / "z.parquet").write_bytes(b"not parquet")
    with pytest.raises(InputError, match="not readable Parquet"):
        read_all(folder, text_column="body")


def test_an_empty_parquet_folder(tmp_path):
    (tmp_path / "e").mkdir()
    with pytest.raises(InputError, match=r"no \.parquet files"):
        read_all(tmp_path / "e", fmt="parquet")


def test_tag_a_folder_from_the_cli(folder, tmp_path, tiny_model_dir):
    out = tmp_path / "o.parquet"
    args = ["tag", str(folder), "-o", str(out), "--text-column", "body", "--id-column", "doc"]
    assert main([*args, "--model", str(tiny_model_dir), "--unit", "document"]) == 0
    got = pd.read_parquet(out)
    assert got["id"].tolist() == list("abcdefg") and "year" in got.columns
