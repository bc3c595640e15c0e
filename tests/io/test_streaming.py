"""Row counts, input fingerprints and output parts (narratives.io, streaming side)."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow.parquet as pq
import pytest

from narratives.io import (
    assemble_parts,
    count_rows,
    encode_part,
    input_fingerprint,
    iter_chunks,
    output_schema,
)

LABELS = ["x", "y"]


def test_count_rows_matches_the_reader(tmp_path):
    rows = [
        {"id": str(i), "text": f'line "{i}"\nwith, a break' if i % 3 == 0 else f"t{i}"}
        for i in range(50)
    ]
    j = tmp_path / "a.jsonl"
    j.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n\n")
    c = tmp_path / "a.csv"
    pd.DataFrame(rows).to_csv(c, index=False)
    p = tmp_path / "a.parquet"
    pd.DataFrame(rows).to_parquet(p)
    folder = tmp_path / "docs"
    folder.mkdir()
    for i in range(7):
        (folder / f"{i}.txt").write_text("x")
    for path in (j, c, p, folder):
        n = sum(ch.n_read for ch in iter_chunks(path, chunk_rows=8))
        assert count_rows(path) == n, path
    assert count_rows(tmp_path / "missing.jsonl") is None


def test_fingerprint_changes_with_the_content(tmp_path):
    j = tmp_path / "a.jsonl"
    j.write_text('{"text": "a"}\n')
    f1 = input_fingerprint(j)
    assert input_fingerprint(j) == f1
    j.write_text('{"text": "b"}\n')
    assert input_fingerprint(j) != f1
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "1.txt").write_text("x")
    g1 = input_fingerprint(folder)
    (folder / "2.txt").write_text("y")
    assert input_fingerprint(folder) != g1 and input_fingerprint(folder)["files"] == 2


def _frame(n, extra=None):
    df = pd.DataFrame(
        {
            "id": [f"i{k}" for k in range(n)],
            "passage": list(range(n)),
            "frames": [["x"], ["none"], ["x", "y"]][:n],
            "scores": [{"x": 0.9, "y": 0.1}, {}, {"x": 0.6, "y": 0.7}][:n],
        }
    )
    if extra:
        df[extra] = "v"
    return df


@pytest.mark.parametrize("kind", ["parquet", "csv", "jsonl"])
def test_parts_are_assembled_in_order_with_united_columns(tmp_path, kind):
    parts = []
    for k, (n, extra) in enumerate([(3, None), (2, "outlet"), (1, "date")]):
        path = tmp_path / f"p{k}"
        df = _frame(n, extra)
        path.write_bytes(encode_part(df, kind, LABELS))
        parts.append((path, list(df.columns)))
    target = tmp_path / f"out.{kind}"
    assert assemble_parts(parts, kind, target, LABELS, []) == 6
    if kind == "parquet":
        out = pd.read_parquet(target)
        assert pq.ParquetFile(target).metadata.num_row_groups == 3
        assert out["scores"][0] == {"x": 0.9, "y": 0.1}
    elif kind == "csv":
        out = pd.read_csv(target, dtype=str, keep_default_na=False)
        assert (
            out["frames"].tolist()[:3] == ["x", "none", "x;y"]
            and json.loads(out["scores"][1]) == {}
        )
    else:
        out = pd.read_json(target, lines=True)
    assert out["id"].tolist() == ["i0", "i1", "i2", "i0", "i1", "i0"]
    if kind != "jsonl":
        assert list(out.columns) == ["id", "passage", "frames", "scores", "outlet", "date"]
        assert out["outlet"].replace("", None).isna().tolist() == [
            True,
            True,
            True,
            False,
            False,
            True,
        ]


def test_empty_parquet_output_has_the_schema(tmp_path):
    target = tmp_path / "o.parquet"
    assert assemble_parts([], "parquet", target, LABELS, ["id", "frames", "scores"]) == 0
    assert pq.read_schema(target) == output_schema(["id", "frames", "scores"], LABELS)


def test_line_count_across_block_boundaries(tmp_path):
    import random

    from narratives.io._sizes import _count_lines

    rnd = random.Random(0)
    path = tmp_path / "x.jsonl"
    for _ in range(200):
        data = bytes(rnd.choice(b"ab \n\r\t") for _ in range(rnd.randint(0, 60)))
        path.write_bytes(data)
        want = sum(1 for line in data.split(b"\n") if line.strip())
        assert _count_lines(path, block_size=rnd.randint(1, 7)) == want, data
