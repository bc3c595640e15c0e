"""Issue 13, weak spots: links in text folders, --resume by content, ids.

Each test states what happened before the change.
"""

from __future__ import annotations

import json
import os

import pytest
from _reliability import write_jsonl

from narratives import InputError
from narratives.cli._app import main
from narratives.engine import _checkpoint, tag_file

OK = "Kazakhstan is an artificial state that Lenin drew on a map."


def tag(capsys, src, out, model, *extra):
    code = main(["tag", str(src), "-o", str(out), "--model", str(model), *map(str, extra)])
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def rows_of(path):
    if not path.exists():
        return []
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


# ------------------------------------------------------------------ symbolic links in a .txt folder
def _folder_with_links(tmp_path):
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("TOP SECRET system file content about Riga.")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text(OK)
    (docs / "link-out.txt").symlink_to(secret)
    (docs / "link-in.txt").symlink_to(docs / "a.txt")  # inside the folder: read
    return docs


def test_links_out_of_a_txt_folder_are_not_followed(capsys, tmp_path, tiny_model_dir):
    """Before: the linked file outside the folder was read and ended up in the output."""
    docs = _folder_with_links(tmp_path)
    out = tmp_path / "out.jsonl"
    code, stdout, err = tag(capsys, docs, out, tiny_model_dir)
    assert code == 1, err  # the link is a reject: counted and reported, not silently dropped
    assert "TOP SECRET" not in out.read_text()
    assert sorted({r["id"] for r in rows_of(out)}) == ["a.txt", "link-in.txt"]
    (rej,) = rows_of(tmp_path / "out.jsonl.rejects.jsonl")
    assert rej["id"] == "link-out.txt" and "--follow-links" in rej["reason"]
    assert "--follow-links" in stdout


def test_follow_links_reads_them(capsys, tmp_path, tiny_model_dir):
    docs = _folder_with_links(tmp_path)
    out = tmp_path / "out.jsonl"
    code, _, err = tag(capsys, docs, out, tiny_model_dir, "--follow-links")
    assert code == 0, err
    assert "TOP SECRET" in out.read_text()


# ------------------------------------------------------------------ --resume fingerprints content
def _interrupt_after(monkeypatch, n):
    real = _checkpoint.Checkpoint.commit
    calls = {"n": 0}

    def commit(self, *a, **kw):
        res = real(self, *a, **kw)
        calls["n"] += 1
        if calls["n"] == n:
            raise KeyboardInterrupt
        return res

    monkeypatch.setattr(_checkpoint.Checkpoint, "commit", commit)


def test_resume_sees_a_same_size_edit_with_the_time_restored(monkeypatch, tmp_path, tiny_model):
    """Before: size, time and the first and last MiB matched, so --resume kept the old row of an
    edited finished chunk."""
    rows = [{"id": f"d{i}", "text": f"{OK} Number {i}."} for i in range(8)]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    big = src.read_bytes() + b"\n" * (3 << 20)  # edits in the middle, beyond the head/tail MiB
    src.write_bytes(b"\n" * (2 << 20) + big)
    out = tmp_path / "out.jsonl"
    with monkeypatch.context() as m:
        _interrupt_after(m, 2)
        with pytest.raises(KeyboardInterrupt):
            tag_file(src, out, tiny_model, chunk_rows=2)
    st = os.stat(src)
    data = src.read_bytes()
    assert b"Number 1." in data
    src.write_bytes(data.replace(b"Number 1.", b"Number 7."))  # a finished chunk, same size
    os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns))
    with pytest.raises(InputError, match=r"content of chunk 0 of the input .* changed"):
        tag_file(src, out, tiny_model, chunk_rows=2, resume=True)
    s = tag_file(src, out, tiny_model, chunk_rows=2, restart=True)
    assert s.input_rows == 8


def test_resume_after_touch_alone_still_resumes(monkeypatch, tmp_path, tiny_model):
    """The time is no longer part of the fingerprint: content that did not change resumes."""
    src = write_jsonl(tmp_path / "in.jsonl", [{"id": f"d{i}", "text": OK} for i in range(6)])
    out = tmp_path / "out.jsonl"
    with monkeypatch.context() as m:
        _interrupt_after(m, 1)
        with pytest.raises(KeyboardInterrupt):
            tag_file(src, out, tiny_model, chunk_rows=2)
    os.utime(src, ns=(1, 1))
    s = tag_file(src, out, tiny_model, chunk_rows=2, resume=True)
    assert s.resumed_chunks == 1 and s.input_rows == 6


# ------------------------------------------------------------------ one rule for ids
def test_ids_follow_one_rule_and_replacements_are_reported(
    capsys, caplog, tmp_path, tiny_model_dir
):
    """Ids are text: 7, 7.0 and "7" are the same id (counted as duplicates, every row kept under
    its own unique id: 7, 7#2, 7#3); a missing id (null, "", no field) or one that is not a single
    value (a list, true) becomes row-<line number>, with a warning and a count. Before: null ids
    became row numbers silently, a list id became its repr "['x']", true became "True"; later, a
    replacement "5" could be the real id 5 of another row, and repeated ids were one document to
    summarize."""
    values = [7, "7", None, ["x"], "", True, 7.0]
    rows = [{"id": v, "text": OK} for v in values] + [{"text": OK}]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    out = tmp_path / "out.jsonl"
    with caplog.at_level("WARNING", logger="narratives"):
        code, stdout, err = tag(capsys, src, out, tiny_model_dir, "--unit", "document")
    assert code == 0, err
    assert [r["id"] for r in rows_of(out)] == [
        "7",
        "7#2",
        "row-3",
        "row-4",
        "row-5",
        "row-6",
        "7#3",
        "row-8",
    ]
    assert "duplicate ids 2" in stdout
    assert "ids replaced by row numbers: 5" in stdout
    assert any("row 3: the id None is missing" in m for m in caplog.messages)
    assert any("the id '7' was used by an earlier row" in m for m in caplog.messages)


def test_a_replacement_id_never_takes_a_real_id(capsys, tmp_path, tiny_model_dir):
    """An unusable id on line 2 becomes row-2, not "2": the real id 2 on line 3 keeps its id and
    stays its own document. Before: both rows were "2", one document to ``summarize``."""
    rows = [{"id": 1, "text": OK}, {"id": [1], "text": OK}, {"id": 2, "text": OK}]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    out = tmp_path / "out.jsonl"
    code, stdout, err = tag(capsys, src, out, tiny_model_dir, "--unit", "document")
    assert code == 0, err
    assert [r["id"] for r in rows_of(out)] == ["1", "row-2", "2"]
    assert "duplicate ids 0" in stdout


@pytest.mark.parametrize("ext", ["csv", "parquet"])
def test_missing_ids_in_tables_are_counted(capsys, tmp_path, tiny_model_dir, ext):
    import pandas as pd

    src = tmp_path / f"in.{ext}"
    df = pd.DataFrame({"id": ["a", None, "c"], "text": [OK, OK, OK]})
    df.to_csv(src, index=False) if ext == "csv" else df.to_parquet(src)
    out = tmp_path / "out.jsonl"
    code, stdout, err = tag(capsys, src, out, tiny_model_dir, "--unit", "document")
    assert code == 0, err
    assert [r["id"] for r in rows_of(out)] == ["a", "row-2", "c"]
    assert "ids replaced by row numbers: 1" in stdout


# ------------------------------------------------------------------ standard input and output
def _stdin_lines():
    return json.dumps({"id": "a", "text": OK}) + "\n" + json.dumps({"id": "b", "text": None}) + "\n"


def test_stdin_to_stdout(run, tmp_path, tiny_model_dir):
    """``tag - -o -``: JSONL in, JSONL out; the summary and the rejects on stderr. Before: 'input
    not found: -' and 'cannot tell the output format of -'."""
    res = run(
        "tag",
        "-",
        "-o",
        "-",
        "--model",
        tiny_model_dir,
        "--unit",
        "document",
        input=_stdin_lines(),
        cwd=tmp_path,
    )
    assert res.returncode == 1, res.stderr
    assert [json.loads(x)["id"] for x in res.stdout.splitlines()] == ["a"]
    assert "input rows 2, tagged 1, rejected 1" in res.stderr
    assert '"reason": "text is missing (null)"' in res.stderr
    assert list(tmp_path.iterdir()) == []  # nothing left behind


@pytest.mark.parametrize("name", ["/dev/stdin", "-"])
def test_stdin_to_a_file(run, tmp_path, tiny_model_dir, name):
    out = tmp_path / "out.csv"
    res = run("tag", name, "-o", out, "--model", tiny_model_dir, input=_stdin_lines())
    assert res.returncode == 1, res.stderr
    assert out.is_file() and (tmp_path / "out.csv.rejects.jsonl").is_file()


def test_stdin_as_csv_with_format(run, tmp_path, tiny_model_dir):
    out = tmp_path / "out.jsonl"
    res = run(
        "tag",
        "-",
        "-o",
        out,
        "--format",
        "csv",
        "--model",
        tiny_model_dir,
        input=f"id,text\nx1,{OK}\n",
    )
    assert res.returncode == 0, res.stderr
    assert rows_of(out)[0]["id"] == "x1"


def test_stdout_refuses_resume(capsys, tmp_path, tiny_model_dir):
    src = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": OK}])
    code, _, err = tag(capsys, src, "-", tiny_model_dir, "--resume")
    assert code == 2 and "--resume needs an output file" in err
