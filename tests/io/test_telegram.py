"""Telegram Desktop exports (narratives.io._telegram through iter_chunks and the CLI)."""

from __future__ import annotations

import gzip
import json

import pytest

from narratives import InputError
from narratives.io import iter_chunks

EXPORT = {
    "name": "Example channel",
    "type": "public_channel",
    "id": 1234567,
    "messages": [
        {"id": 1, "type": "service", "action": "create_channel", "text": ""},
        {"id": 2, "type": "message", "date": "2024-01-02T11:00:00", "from": "Example channel",
         "text": "The Kyiv regime is run by neo-Nazis."},
        {"id": 3, "type": "message", "photo": "photos/photo_1.jpg", "text": ""},
        {"id": 4, "type": "message", "forwarded_from": "Other channel",
         "text": ["Wheat prices rose, says ", {"type": "link", "text": "https://example.org"}, "."]},
        {"id": 5, "type": "message", "text": [{"type": "unknown"}]},
    ],
}  # fmt: skip


def _write(path, doc=EXPORT, indent=1):
    path.write_text(json.dumps(doc, indent=indent, ensure_ascii=False), encoding="utf-8")
    return path


def _read(path, chunk_rows=2):
    chunks = list(iter_chunks(path, chunk_rows=chunk_rows))
    rows = [r for ch in chunks for r in ch.frame.to_dict("records")]
    rejects = [r for ch in chunks for r in ch.rejects]
    return chunks, rows, rejects


def test_messages_become_rows_and_the_rest_rejects_with_reasons(tmp_path):
    chunks, rows, rejects = _read(_write(tmp_path / "result.json"))
    assert sum(ch.n_read for ch in chunks) == 5  # every message read, none dropped
    assert [r["id"] for r in rows] == ["2", "4"]
    assert rows[1]["text"] == "Wheat prices rose, says https://example.org."
    assert rows[0]["chat"] == "Example channel" and rows[0]["from"] == "Example channel"
    assert rows[0]["date"] == "2024-01-02T11:00:00"
    assert rows[1]["forwarded_from"] == "Other channel"
    reasons = {r.id: r.reason for r in rejects}
    assert reasons["1"] == "service message (create_channel): no text"
    assert reasons["3"] == "no text (photo without a caption)"
    assert "neither a string nor a list" in reasons["5"]
    assert len(rows) + len(rejects) == 5


def test_compressed_export_and_explicit_format(tmp_path):
    src = _write(tmp_path / "result.json")
    gz = tmp_path / "result.json.gz"
    gz.write_bytes(gzip.compress(src.read_bytes()))
    assert [r["id"] for r in _read(gz)[1]] == ["2", "4"]
    named = tmp_path / "export.data"
    named.write_bytes(src.read_bytes())
    assert [r["id"] for r in _read_fmt(named, "telegram")] == ["2", "4"]


def _read_fmt(path, fmt):
    return [r for ch in iter_chunks(path, fmt=fmt) for r in ch.frame.to_dict("records")]


def test_json_lines_named_json_are_still_json_lines(tmp_path):
    path = tmp_path / "lines.json"
    path.write_text('{"id": "a", "text": "x y z"}\n{"id": "b", "text": "u v w"}\n')
    assert [r["id"] for r in _read(path)[1]] == ["a", "b"]


@pytest.mark.parametrize(
    "first",
    [
        "line one\u2028line two",  # str.splitlines() splits here; JSON Lines does not
        "caf\u0085e",  # NEL, likewise
        "word " * 20_000,  # a first record longer than 64 KiB
    ],
    ids=["u2028", "nel", "long"],
)
@pytest.mark.parametrize("prefix", [b"", b"\xef\xbb\xbf", b"\n"], ids=["plain", "bom", "blank"])
def test_json_lines_named_json_with_an_awkward_first_record(tmp_path, first, prefix):
    path = tmp_path / "lines.json"
    lines = [{"id": "a", "text": first}, {"id": "b", "text": "u v w"}]
    body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in lines).encode()
    path.write_bytes(prefix + body)
    assert [r["id"] for r in _read(path)[1]] == ["a", "b"]


@pytest.mark.parametrize(
    ("doc", "said"),
    [([{"id": 1, "text": "a"}], "a JSON list"), ({"a": 1}, "an object without a 'messages' list")],
)
def test_other_single_json_documents_are_a_clear_error(tmp_path, doc, said):
    path = _write(tmp_path / "data.json", doc)
    with pytest.raises(InputError, match="one JSON document") as exc:
        _read(path)
    assert said in str(exc.value) and "\n" not in str(exc.value)


def test_cli_tags_an_export_with_rejects(tmp_path):
    from narratives.cli._app import main

    src = _write(tmp_path / "result.json")
    out = tmp_path / "tags.jsonl"
    assert main(["tag", str(src), "-o", str(out), "-q"]) == 1  # rows rejected
    tagged = [json.loads(x) for x in out.read_text().splitlines()]
    assert {t["id"] for t in tagged} == {"2", "4"}
    rejected = [
        json.loads(x) for x in (tmp_path / "tags.jsonl.rejects.jsonl").read_text().splitlines()
    ]
    assert {r["id"] for r in rejected} == {"1", "3", "5"}


def test_a_jsonl_line_that_is_not_utf8_keeps_its_readable_id_in_the_reject(tmp_path):
    """Not Telegram, but the same reader family: the reject names the row by its id."""
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'{"id": "k1", "text": "caf\xe9"}\n{"id": "k2", "text": "fine text"}\n')
    _, rows, rejects = _read(path)
    assert [r["id"] for r in rows] == ["k2"]
    assert [(r.id, r.row) for r in rejects] == [("k1", 1)]
    assert rejects[0].reason.startswith("line is not valid UTF-8")
