"""Issue 13, defects 1 and 2: a run never overwrites or removes a file it did not create.

A run of ``narratives tag IN -o OUT`` writes ``OUT``, ``OUT.rejects.jsonl`` and the checkpoint
folder ``OUT.partial/`` (removed at the end), and removes a stale rejects file of an earlier run.

Before the fix: only ``OUT`` itself was compared with the input (by resolved path, so a hard link
got through); the rejects file was ``OUT-without-extension.rejects.jsonl``, so
``tag r.rejects.jsonl -o r.jsonl`` replaced the input with the rejects (or deleted it on a clean
run), ``-o t.jsonl`` and ``-o t.parquet`` shared ``t.rejects.jsonl`` and a clean run of one deleted
the other's; a folder or file under the name ``OUT.partial`` was emptied or deleted.
"""

from __future__ import annotations

import json
import os

import pytest
from _reliability import write_jsonl

from narratives.cli._app import main

OK = "Kazakhstan is an artificial state that Lenin drew on a map."
ROWS = [{"id": "a", "text": OK}, {"id": "b", "text": "Riga is calm today."}]
BAD = [*ROWS, {"id": "c", "text": None}]  # one reject


def tag(capsys, src, out, model, *extra):
    code = main(["tag", str(src), "-o", str(out), "--model", str(model), *map(str, extra)])
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def one_line_error(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize("rows", [ROWS, BAD], ids=["clean-run", "run-with-rejects"])
def test_the_issue_repro_no_longer_touches_the_input(capsys, tmp_path, tiny_model_dir, rows):
    """``cp in.jsonl r.rejects.jsonl; tag r.rejects.jsonl -o r.jsonl``: the input survives."""
    src = write_jsonl(tmp_path / "r.rejects.jsonl", rows)
    before = src.read_bytes()
    code, _, err = tag(capsys, src, tmp_path / "r.jsonl", tiny_model_dir)
    assert code == (1 if rows is BAD else 0), err
    assert src.read_bytes() == before
    assert (tmp_path / "r.jsonl.rejects.jsonl").exists() == (rows is BAD)


def _as_rejects_file(tmp_path, src, out):
    (tmp_path / f"{out.name}.rejects.jsonl").write_bytes(src.read_bytes())
    return tmp_path / f"{out.name}.rejects.jsonl"


def _symlink_as_rejects(tmp_path, src, out):
    link = tmp_path / f"{out.name}.rejects.jsonl"
    link.symlink_to(src)
    return src


def _hardlink_as_rejects(tmp_path, src, out):
    os.link(src, tmp_path / f"{out.name}.rejects.jsonl")
    return src


def _hardlink_as_output(tmp_path, src, out):
    os.link(src, out)
    return src


def _symlink_as_output(tmp_path, src, out):
    out.symlink_to(src)
    return src


@pytest.mark.parametrize(
    "make",
    [
        _as_rejects_file,
        _symlink_as_rejects,
        _hardlink_as_rejects,
        _hardlink_as_output,
        _symlink_as_output,
    ],
)
@pytest.mark.parametrize("rows", [ROWS, BAD], ids=["clean-run", "run-with-rejects"])
def test_input_that_is_a_file_the_run_writes_is_refused(
    capsys, tmp_path, tiny_model_dir, make, rows
):
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    out = tmp_path / "r.jsonl"
    victim = make(tmp_path, src, out)
    before = victim.read_bytes()
    code, _, err = tag(capsys, victim, out, tiny_model_dir)
    assert code == 2 and "is the input" in one_line_error(err)
    assert victim.read_bytes() == before


def test_input_folder_that_is_the_checkpoint_folder_is_refused(capsys, tmp_path, tiny_model_dir):
    out = tmp_path / "r.jsonl"
    folder = tmp_path / "r.jsonl.partial"
    folder.mkdir()
    (folder / "a.txt").write_text(OK)
    code, _, err = tag(capsys, folder, out, tiny_model_dir)
    assert code == 2 and "is the input" in one_line_error(err)
    assert (folder / "a.txt").read_text() == OK


def test_input_inside_the_checkpoint_folder_is_refused(capsys, tmp_path, tiny_model_dir):
    out = tmp_path / "r.jsonl"
    (tmp_path / "r.jsonl.partial").mkdir()
    src = write_jsonl(tmp_path / "r.jsonl.partial" / "in.jsonl", ROWS)
    before = src.read_bytes()
    code, _, err = tag(capsys, src, out, tiny_model_dir)
    assert code == 2 and "inside the checkpoint folder" in one_line_error(err)
    assert src.read_bytes() == before


def test_a_foreign_file_named_like_the_checkpoint_is_not_removed(capsys, tmp_path, tiny_model_dir):
    src = write_jsonl(tmp_path / "in.jsonl", ROWS)
    out = tmp_path / "r.jsonl"
    notes = tmp_path / "r.jsonl.partial"
    notes.write_text("my notes")
    code, _, err = tag(capsys, src, out, tiny_model_dir)
    assert code == 2 and "not a narratives checkpoint" in one_line_error(err)
    assert notes.read_text() == "my notes"


# ------------------------------------------------------------------ defect 2: one rejects file per output
def test_outputs_differing_in_extension_have_their_own_rejects(capsys, tmp_path, tiny_model_dir):
    src = write_jsonl(tmp_path / "in.jsonl", BAD)
    clean = write_jsonl(tmp_path / "clean.jsonl", ROWS)
    code, _, _ = tag(capsys, src, tmp_path / "t.jsonl", tiny_model_dir)
    assert code == 1
    rej = tmp_path / "t.jsonl.rejects.jsonl"  # README: OUTPUT.rejects.jsonl
    kept = rej.read_bytes()
    assert [json.loads(x)["id"] for x in kept.splitlines()] == ["c"]
    code, _, _ = tag(capsys, clean, tmp_path / "t.parquet", tiny_model_dir)
    assert code == 0
    assert rej.read_bytes() == kept  # the clean parquet run did not delete the jsonl run's rejects
    assert not (tmp_path / "t.parquet.rejects.jsonl").exists()
    assert not (tmp_path / "t.rejects.jsonl").exists()


def test_a_foreign_file_under_the_rejects_name_is_refused(capsys, tmp_path, tiny_model_dir):
    src = write_jsonl(tmp_path / "in.jsonl", ROWS)
    out = tmp_path / "t.jsonl"
    mine = tmp_path / "t.jsonl.rejects.jsonl"
    mine.write_text("not written by narratives\n")
    code, _, err = tag(capsys, src, out, tiny_model_dir)
    assert code == 2 and "not a narratives rejects file" in one_line_error(err)
    assert mine.read_text() == "not written by narratives\n" and not out.exists()


def test_a_stale_rejects_file_of_the_same_output_is_replaced(capsys, tmp_path, tiny_model_dir):
    out = tmp_path / "t.jsonl"
    assert tag(capsys, write_jsonl(tmp_path / "in.jsonl", BAD), out, tiny_model_dir)[0] == 1
    assert (tmp_path / "t.jsonl.rejects.jsonl").exists()
    in2 = write_jsonl(tmp_path / "in2.jsonl", ROWS)
    assert tag(capsys, in2, out, tiny_model_dir, "--overwrite")[0] == 0
    assert not (tmp_path / "t.jsonl.rejects.jsonl").exists()  # written by narratives: removed


# ------------------------------------------------------------------ an existing output: only with --overwrite
EXISTS = "exists: choose another name, or pass --overwrite to replace it"


def _foreign(path):
    """A file the user wrote under the output's name (a real Parquet file for .parquet)."""
    if path.suffix == ".parquet":
        import pandas as pd

        pd.DataFrame({"thesis": ["years of work"]}).to_parquet(path)
    else:
        path.write_text("my,precious\ndata,1\n" if path.suffix == ".csv" else '{"mine": 1}\n')
    return path.read_bytes()


@pytest.mark.parametrize("ext", ["csv", "jsonl", "parquet"])
@pytest.mark.parametrize("rows", [ROWS, BAD], ids=["clean-run", "run-with-rejects"])
def test_an_existing_output_is_refused_before_any_work(capsys, tmp_path, ext, rows):
    """The user's report: ``tag IN -o precious.csv`` replaced precious.csv (exit 1: rejects).
    Refused before the model is even loaded (the model path here does not exist)."""
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    out = tmp_path / f"precious.{ext}"
    before = _foreign(out)
    code, _, err = tag(capsys, src, out, tmp_path / "no-such-model")
    assert code == 2 and one_line_error(err) == f"error: {out} {EXISTS}"
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", f"precious.{ext}"]


def test_an_existing_output_is_refused_with_resume_too(capsys, tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", ROWS)
    out = tmp_path / "precious.jsonl"
    before = _foreign(out)
    code, _, err = tag(capsys, src, out, tmp_path / "no-such-model", "--resume")
    assert code == 2 and one_line_error(err) == f"error: {out} {EXISTS}"
    assert out.read_bytes() == before


def test_a_dangling_symlink_under_the_output_name_is_refused(capsys, tmp_path, tiny_model_dir):
    src = write_jsonl(tmp_path / "in.jsonl", ROWS)
    out = tmp_path / "t.jsonl"
    out.symlink_to(tmp_path / "nowhere.jsonl")
    code, _, err = tag(capsys, src, out, tiny_model_dir)
    assert code == 2 and EXISTS in one_line_error(err)
    assert out.is_symlink() and not (tmp_path / "nowhere.jsonl").exists()


@pytest.mark.parametrize("ext", ["csv", "jsonl", "parquet"])
def test_overwrite_replaces_an_existing_output(capsys, tmp_path, tiny_model_dir, ext):
    from narratives.io import read_tag_output

    src = write_jsonl(tmp_path / "in.jsonl", BAD)
    out = tmp_path / f"precious.{ext}"
    before = _foreign(out)
    code, _, err = tag(capsys, src, out, tiny_model_dir, "--overwrite")
    assert code == 1, err  # one reject
    assert out.read_bytes() != before
    assert sorted(read_tag_output(out)["id"].astype(str).unique()) == ["a", "b"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "in.jsonl",
        f"precious.{ext}",
        f"precious.{ext}.rejects.jsonl",
    ]


def test_overwrite_does_not_replace_a_foreign_rejects_file(capsys, tmp_path, tiny_model_dir):
    """--overwrite is about OUTPUT only: the rejects file keeps its own rule."""
    src = write_jsonl(tmp_path / "in.jsonl", BAD)
    out = tmp_path / "t.jsonl"
    before = _foreign(out)
    mine = tmp_path / "t.jsonl.rejects.jsonl"
    mine.write_text("not written by narratives\n")
    code, _, err = tag(capsys, src, out, tiny_model_dir, "--overwrite")
    assert code == 2 and "not a narratives rejects file" in one_line_error(err)
    assert mine.read_text() == "not written by narratives\n" and out.read_bytes() == before


def test_overwrite_never_allows_the_input_as_output(capsys, tmp_path, tiny_model_dir):
    src = write_jsonl(tmp_path / "in.jsonl", ROWS)
    before = src.read_bytes()
    code, _, err = tag(capsys, src, src, tiny_model_dir, "--overwrite")
    assert code == 2 and "is the input" in one_line_error(err)
    assert src.read_bytes() == before


def test_stdout_output_needs_no_overwrite(capsys, tmp_path, tiny_model_dir, monkeypatch):
    """``-o -`` is standard output, even next to a file named '-', which is left alone."""
    monkeypatch.chdir(tmp_path)
    src = write_jsonl(tmp_path / "in.jsonl", ROWS)
    (tmp_path / "-").write_text("a file named '-' is not the output")
    code = main(["tag", str(src), "-o", "-", "--model", str(tiny_model_dir)])
    lines = capsys.readouterr().out.splitlines()
    assert code == 0 and {json.loads(x)["id"] for x in lines} == {"a", "b"}
    assert (tmp_path / "-").read_text() == "a file named '-' is not the output"


# ------------------------------------------------------------------ summarize -o
def summarize(capsys, tags, out, *extra):
    code = main(["summarize", str(tags), "-o", str(out), *map(str, extra)])
    cap = capsys.readouterr()
    return code, cap.out, cap.err


@pytest.fixture
def tags_file(capsys, tmp_path, tiny_model_dir):
    src = write_jsonl(tmp_path / "in.jsonl", ROWS)
    out = tmp_path / "tags.jsonl"
    assert tag(capsys, src, out, tiny_model_dir)[0] == 0
    return out


@pytest.mark.parametrize("ext", ["csv", "md"])
def test_summarize_refuses_an_existing_table(capsys, tmp_path, tags_file, ext):
    out = tmp_path / f"prev2.{ext}"
    out.write_text("an earlier table I edited by hand\n")
    code, _, err = summarize(capsys, tags_file, out)
    assert code == 2 and one_line_error(err) == f"error: {out} {EXISTS}"
    assert out.read_text() == "an earlier table I edited by hand\n"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]


@pytest.mark.parametrize("ext", ["csv", "md"])
def test_summarize_overwrite_replaces_the_table(capsys, tmp_path, tags_file, ext):
    out = tmp_path / f"prev2.{ext}"
    out.write_text("an earlier table\n")
    code, stdout, err = summarize(capsys, tags_file, out, "--overwrite")
    assert code == 0, err
    assert "artificial_state" in out.read_text() and "table written to" in stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "in.jsonl",
        f"prev2.{ext}",
        "tags.jsonl",
    ]


def test_summarize_never_writes_over_its_input(capsys, tmp_path, tiny_model_dir):
    src = write_jsonl(tmp_path / "in.jsonl", ROWS)
    tags = tmp_path / "tags.csv"
    assert tag(capsys, src, tags, tiny_model_dir)[0] == 0
    before = tags.read_bytes()
    code, _, err = summarize(capsys, tags, tags, "--overwrite")
    assert code == 2 and "is an input" in one_line_error(err)
    assert tags.read_bytes() == before


def test_summarize_failing_to_write_keeps_the_old_table(capsys, tmp_path, tags_file, monkeypatch):
    """With --overwrite, the old table is replaced only by a complete new one."""
    import pandas as pd

    out = tmp_path / "prev2.csv"
    out.write_text("an earlier table\n")

    def fail(self, path, **kw):
        with open(path, "w") as fh:
            fh.write("frame,al")  # half a table on disk...
        raise OSError(28, "No space left on device")  # ...and then the disk fills up

    monkeypatch.setattr(pd.DataFrame, "to_csv", fail)
    code, _, err = summarize(capsys, tags_file, out, "--overwrite")
    assert code == 2 and "No space left on device" in one_line_error(err)
    assert out.read_text() == "an earlier table\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "prev2.csv", "tags.jsonl"]
