"""Compressed inputs (.gz, .zst): read as a stream like the plain file, everywhere a file is read."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest
import zstandard

from narratives import InputError
from narratives.cli._app import main
from narratives.engine import checkpoint_dir, tag_file
from narratives.io import (
    base_suffix,
    count_rows,
    detect_format,
    input_fingerprint,
    iter_chunks,
    read_all,
    read_labelled,
)

ROWS = [
    {"id": f"d{i}", "text": f"Document {i}, with a comma\nand a line break.", "outlet": "x"}
    for i in range(23)
]


def _docs(n: int) -> list[dict]:
    sentences = [
        "Kazakhstan is an artificial state that Lenin drew on a map.",
        "Heavy rain flooded streets in Riga and delayed trams.",
        "NATO expansion left Russia no choice but to defend itself.",
    ]
    return [
        {"id": f"d{i:03d}", "text": " ".join(sentences[: 1 + i % 3]), "outlet": f"o{i % 2}"}
        for i in range(n)
    ]


def _zstd(data: bytes, checksum: bool = False) -> bytes:
    # two frames, as the zstd tool writes for appended files: both must be read
    c = zstandard.ZstdCompressor(write_checksum=checksum)
    return c.compress(data[:40]) + c.compress(data[40:])


COMPRESS = {".gz": gzip.compress, ".zst": _zstd}


def _half(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _jsonl_bytes(rows=ROWS, bad_line: int | None = None) -> bytes:
    lines = [json.dumps(r) for r in rows]
    if bad_line is not None:
        lines[bad_line - 1] = "{not json"
    return ("\n".join(lines) + "\n").encode()


def _pair(tmp_path: Path, base: str, suffix: str, data: bytes) -> tuple[Path, Path]:
    """The plain file ``base`` and its compressed twin ``base + suffix``."""
    plain = tmp_path / base
    plain.write_bytes(data)
    packed = tmp_path / (base + suffix)
    packed.write_bytes(COMPRESS[suffix](data))
    return plain, packed


def _csv_bytes(sep: str = ",") -> bytes:
    return pd.DataFrame(ROWS).to_csv(index=False, sep=sep).encode()


def _frames(path: Path, **kw) -> tuple[list[pd.DataFrame], list]:
    frames, rejects = [], []
    for ch in iter_chunks(path, chunk_rows=5, **kw):
        frames.append(ch.frame)
        rejects.extend((r.id, r.row, r.reason) for r in ch.rejects)
    return frames, rejects


@pytest.mark.parametrize("suffix", [".gz", ".zst"])
@pytest.mark.parametrize(
    ("base", "data"),
    [
        ("a.jsonl", _jsonl_bytes(bad_line=4)),
        ("a.csv", _csv_bytes()),
        ("a.tsv", _csv_bytes("\t")),
        ("a.csv", b"\xef\xbb\xbf" + _csv_bytes()),  # a spreadsheet's BOM
    ],
    ids=["jsonl", "csv", "tsv", "csv-bom"],
)
def test_same_chunks_rows_and_rejects_as_the_plain_file(tmp_path, suffix, base, data):
    plain, packed = _pair(tmp_path, base, suffix, data)
    assert detect_format(packed) == detect_format(plain)
    assert base_suffix(packed) == plain.suffix
    got, got_rej = _frames(packed)
    want, want_rej = _frames(plain)
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        pd.testing.assert_frame_equal(g, w)
    assert got_rej == want_rej
    assert count_rows(packed) == count_rows(plain)
    assert sum(len(f) for f in got) + len(got_rej) == count_rows(packed)


@pytest.mark.parametrize("suffix", [".gz", ".zst"])
def test_a_compressed_text_file_is_one_document(tmp_path, suffix):
    _plain, packed = _pair(tmp_path, "doc.txt", suffix, "Kyiv \u2014 caf\u00e9.\n".encode())
    df, rejects = read_all(packed)
    assert not rejects and df["text"].tolist() == ["Kyiv \u2014 caf\u00e9.\n"]
    assert df["id"].tolist() == [packed.name] and count_rows(packed) == 1


def test_the_format_is_named_before_the_compression_suffix(tmp_path):
    bare = tmp_path / "data.gz"
    bare.write_bytes(gzip.compress(_jsonl_bytes()))
    with pytest.raises(InputError, match=r"before \.gz.*--format"):
        detect_format(bare)
    assert len(read_all(bare, fmt="jsonl")[0]) == len(ROWS)  # --format jsonl: still decompressed
    pq = tmp_path / "a.parquet.gz"
    pd.DataFrame(ROWS).to_parquet(tmp_path / "a.parquet")
    pq.write_bytes(gzip.compress((tmp_path / "a.parquet").read_bytes()))
    with pytest.raises(InputError, match="compressed Parquet"):
        read_all(pq)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("cut.jsonl.gz", _half(gzip.compress(_jsonl_bytes(_docs(2000))))),  # truncated
        ("plain.jsonl.gz", _jsonl_bytes()),  # not gzip at all
        ("junk.csv.zst", b"this is no zstd frame" * 10),
        ("cut.csv.zst", _half(_zstd(pd.DataFrame(_docs(5000)).to_csv().encode()))),
        ("cut-checksum.jsonl.zst", _half(_zstd(_jsonl_bytes(_docs(5000)), checksum=True))),
        ("cut.txt.gz", gzip.compress(b"text " * 10_000)[:100]),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_a_corrupt_compressed_file_is_one_input_error(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=r"is not a readable (gzip|zstd) file \(corrupt") as exc:
        read_all(path)
    assert "\n" not in str(exc.value)
    count_rows(path)  # a progress total never raises (None for a table, 1 for a text file)


def test_decompression_is_streamed(tmp_path):
    """The first chunks arrive before the damage at the end is reached: nothing decompresses the
    whole file before reading it."""
    data = gzip.compress(_jsonl_bytes(_docs(100_000)))  # 8 MB of JSON lines
    path = tmp_path / "big.jsonl.gz"
    path.write_bytes(data[: len(data) - 200])
    it = iter_chunks(path, chunk_rows=5)
    first = next(it)
    assert first.frame["row"].tolist() == [1, 2, 3, 4, 5]
    with pytest.raises(InputError, match="corrupt or truncated"):
        for _ in it:
            pass


def test_labelled_data_for_train_and_evaluate(tmp_path):
    rows = [
        {"text": f"t {i}", "frames": ["a"] if i % 2 else [], "stance": "none"} for i in range(9)
    ]
    data = "\n".join(json.dumps(r) for r in rows).encode()
    plain, packed = _pair(tmp_path, "gold.jsonl", ".zst", data)
    got, want = read_labelled(packed), read_labelled(plain)
    pd.testing.assert_frame_equal(got.frame, want.frame)


def test_tag_and_summarize_from_the_cli(tmp_path, tiny_model_dir, capsys):
    rows = _docs(12)
    _plain, packed = _pair(
        tmp_path, "in.csv", ".gz", pd.DataFrame(rows).to_csv(index=False).encode()
    )
    out = tmp_path / "o.jsonl"
    assert main(["tag", str(packed), "-o", str(out), "--model", str(tiny_model_dir)]) == 0
    tagged = pd.read_json(out, lines=True, dtype=False)
    assert set(tagged["id"]) == {r["id"] for r in rows} and "outlet" in tagged.columns
    (tmp_path / "o.jsonl.gz").write_bytes(gzip.compress(out.read_bytes()))
    capsys.readouterr()
    assert main(["summarize", str(tmp_path / "o.jsonl.gz"), "--by", "outlet"]) == 0
    assert "o1" in capsys.readouterr().out


def test_a_corrupt_input_fails_tag_with_one_line(tmp_path, tiny_model_dir, capsys):
    path = tmp_path / "in.jsonl.gz"
    path.write_bytes(gzip.compress(_jsonl_bytes())[:-30])
    code = main(["tag", str(path), "-o", str(tmp_path / "o.jsonl"), "--model", str(tiny_model_dir)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "in.jsonl.gz is not a readable gzip file (corrupt or truncated" in err


def test_resume_reads_a_compressed_input(tmp_path, tiny_model, monkeypatch):
    from narratives.engine import _checkpoint

    src = tmp_path / "in.jsonl.zst"
    src.write_bytes(_zstd(_jsonl_bytes(_docs(30))))
    assert input_fingerprint(src) == input_fingerprint(src)
    ref = tmp_path / "ref.jsonl"
    tag_file(src, ref, tiny_model, chunk_rows=4)
    out = tmp_path / "out.jsonl"
    real, calls = _checkpoint.Checkpoint.commit, {"n": 0}

    def commit(self, *a, **kw):
        res = real(self, *a, **kw)
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return res

    with monkeypatch.context() as m:
        m.setattr(_checkpoint.Checkpoint, "commit", commit)
        with pytest.raises(KeyboardInterrupt):
            tag_file(src, out, tiny_model, chunk_rows=4)
    assert checkpoint_dir(out).exists()
    s = tag_file(src, out, tiny_model, chunk_rows=4, resume=True)
    assert s.resumed_chunks == 3 and out.read_text() == ref.read_text()


def test_rejects_of_a_compressed_jsonl_are_named_by_line(tmp_path, tiny_model_dir, capsys):
    path = tmp_path / "in.jsonl.gz"
    path.write_bytes(gzip.compress(_jsonl_bytes(_docs(6), bad_line=4)))
    code = main(["tag", str(path), "-o", str(tmp_path / "o.jsonl"), "--model", str(tiny_model_dir)])
    assert code == 1 and "line 4: malformed JSON" in capsys.readouterr().out
