"""Issue 13, defect 4: a UTF-8 byte order mark at the start of a file (a spreadsheet's "CSV UTF-8",
Notepad) is dropped by every text reader.

Before the fix: a CSV's header was read as ``\\ufeffid``, so the ids silently became row numbers
(exit 0) and ``--id-column id`` said the column was missing; the first line of a JSONL file was
rejected as malformed JSON; a ``.txt`` document started with U+FEFF; ``summarize`` could not read
a JSONL output saved with a BOM.
"""

from __future__ import annotations

import json

import pytest

from narratives.cli._app import main

BOM = b"\xef\xbb\xbf"
OK = "Kazakhstan is an artificial state that Lenin drew on a map."


def tag(capsys, src, out, model, *extra):
    code = main(["tag", str(src), "-o", str(out), "--model", str(model), *map(str, extra)])
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def rows_of(path):
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("extra", [[], ["--id-column", "id"]], ids=["default-id", "id-column"])
@pytest.mark.parametrize("crlf", [False, True], ids=["lf", "crlf"])
def test_csv_with_bom_keeps_its_ids(capsys, tmp_path, tiny_model_dir, extra, crlf):
    nl = b"\r\n" if crlf else b"\n"
    src = tmp_path / "in.csv"
    src.write_bytes(
        BOM + nl.join([b"id,text", b"doc-7," + OK.encode(), b"doc-9,Riga is calm."]) + nl
    )
    out = tmp_path / "out.jsonl"
    code, _, err = tag(capsys, src, out, tiny_model_dir, "--unit", "document", *extra)
    assert code == 0, err
    assert [r["id"] for r in rows_of(out)] == ["doc-7", "doc-9"]


def test_csv_with_bom_and_a_missing_column_names_the_real_header(capsys, tmp_path, tiny_model_dir):
    src = tmp_path / "in.csv"
    src.write_bytes(BOM + b"id,body\na,x\n")
    code, _, err = tag(capsys, src, tmp_path / "out.jsonl", tiny_model_dir)
    assert code == 2 and "available: id, body" in err and "\ufeff" not in err


def test_jsonl_with_bom_is_not_rejected(capsys, tmp_path, tiny_model_dir):
    src = tmp_path / "in.jsonl"
    lines = [json.dumps({"id": "a", "text": OK}), json.dumps({"id": "b", "text": "Riga."})]
    src.write_bytes(BOM + "\n".join(lines).encode() + b"\n")
    out = tmp_path / "out.jsonl"
    code, _, err = tag(capsys, src, out, tiny_model_dir, "--unit", "document")
    assert code == 0, err
    assert [r["id"] for r in rows_of(out)] == ["a", "b"]
    assert not (tmp_path / "out.jsonl.rejects.jsonl").exists()


@pytest.mark.parametrize("as_folder", [False, True], ids=["file", "folder"])
def test_txt_with_bom_does_not_start_with_u_feff(capsys, tmp_path, tiny_model_dir, as_folder):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_bytes(BOM + OK.encode())
    src = folder if as_folder else folder / "a.txt"
    out = tmp_path / "out.jsonl"
    code, _, err = tag(capsys, src, out, tiny_model_dir)
    assert code == 0, err
    first = rows_of(out)[0]
    assert first["text"].startswith("Kazakhstan") and first["start"] == 0


def test_bom_elsewhere_is_content(capsys, tmp_path, tiny_model_dir):
    """Only a leading BOM is dropped: a line starting with one later on is still malformed JSON."""
    src = tmp_path / "in.jsonl"
    src.write_bytes(
        json.dumps({"id": "a", "text": OK}).encode() + b"\n" + BOM + b'{"id": "b", "text": "x"}\n'
    )
    out = tmp_path / "out.jsonl"
    code, _, _ = tag(capsys, src, out, tiny_model_dir)
    assert code == 1
    assert [r["row"] for r in rows_of(tmp_path / "out.jsonl.rejects.jsonl")] == [2]


def test_summarize_reads_a_jsonl_output_saved_with_a_bom(capsys, tmp_path, tiny_model_dir):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "a", "text": OK}) + "\n")
    out = tmp_path / "out.jsonl"
    assert tag(capsys, src, out, tiny_model_dir)[0] == 0
    out.write_bytes(BOM + out.read_bytes())
    assert main(["summarize", str(out)]) == 0, capsys.readouterr().err
