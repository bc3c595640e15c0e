"""The bad-input matrix over ``narratives tag``.

Every case checks: a one-line message and no traceback, the documented exit code (0 ok, 1 ok with
rejects, 2 usage or input error, 3 model error) and that nothing is lost: every input row is in the
output or in ``OUT.rejects.jsonl`` (by id, or by line/row number when the id could not be read).
Cases already covered by tests/cli/test_cli.py (missing JSONL file/column, empty JSONL, null/number/
list/non-UTF-8 values in JSONL, missing output folder, 5 MB document) are not repeated here.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pandas as pd
import pytest
from _reliability import write_jsonl

from narratives.cli._app import main

OK = "Kazakhstan is an artificial state that Lenin drew on a map."


def tag(capsys, src, out, *extra, model=None):
    argv = ["tag", str(src), "-o", str(out), *map(str, extra)]
    if model is not None:
        argv += ["--model", str(model)]
    code = main(argv)
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def one_line_error(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("error:") and "Traceback" not in err
    return lines[0]


def read_rows(path: Path) -> list[dict]:
    if not path.exists():
        return []
    if path.suffix == ".parquet":
        return pd.read_parquet(path).to_dict("records")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def rejects_of(out: Path) -> list[dict]:
    return read_rows(out.with_name(out.name + ".rejects.jsonl"))


def assert_nothing_lost(out: Path, expected: dict) -> None:
    """``expected`` maps each input row number to its id (None when the id cannot be read)."""
    out_ids = {str(r["id"]) for r in read_rows(out)}
    rejects = rejects_of(out)
    rej_ids = {str(r["id"]) for r in rejects if r["id"] is not None}
    rej_rows = {r["row"] for r in rejects}
    for row, rid in expected.items():
        assert (rid is not None and (rid in out_ids or rid in rej_ids)) or row in rej_rows, (
            f"input row {row} (id {rid}) is neither in the output nor in the rejects"
        )
    assert len(out_ids & rej_ids) == 0 or all(
        list(expected.values()).count(i) > 1 for i in out_ids & rej_ids
    )


# ------------------------------------------------------------------ file-level input errors (exit 2)
@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        ("missing.csv", None, "input not found"),
        ("missing-col.csv", lambda p: p.write_text("id,body\na,x\n"), "available: id, body"),
        (
            "missing-col.parquet",
            lambda p: pd.DataFrame({"id": ["a"], "body": ["x"]}).to_parquet(p),
            "available: id, body",
        ),
        ("empty.csv", lambda p: p.write_bytes(b""), "empty"),
        ("empty.parquet", lambda p: p.write_bytes(b""), "not a readable Parquet file"),
        ("header-only.csv", lambda p: p.write_text("id,text\n"), "no data rows"),
        ("header-only-crlf.csv", lambda p: p.write_bytes(b"id,text\r\n"), "no data rows"),
        (
            "zero-rows.parquet",
            lambda p: pd.DataFrame(
                {"id": pd.Series([], dtype=str), "text": pd.Series([], dtype=str)}
            ).to_parquet(p),
            "no data rows",
        ),
        ("blank-lines.jsonl", lambda p: p.write_text("\n\n  \n"), "no data rows"),
        (
            "random.parquet",
            lambda p: p.write_bytes(random.Random(0).randbytes(4096)),
            "not a readable Parquet file",
        ),
        ("random.csv", lambda p: p.write_bytes(random.Random(1).randbytes(4096)), "random.csv"),
        (
            "cr-in-header.csv",
            lambda p: p.write_bytes(b"id,te\rxt,more\na,b,c\n"),
            "cr-in-header.csv",
        ),
        ("unknown.xml", lambda p: p.write_text("<a/>"), "pass --format"),
    ],
    ids=lambda v: v if isinstance(v, str) and "." in v else "",
)
def test_file_level_input_errors(capsys, tmp_path, tiny_model_dir, name, make, message):
    src = tmp_path / name
    if make:
        make(src)
    out = tmp_path / "out.jsonl"
    code, _, err = tag(capsys, src, out, model=tiny_model_dir)
    line = one_line_error(err)
    assert code == 2, err
    assert message in line
    assert not out.exists() and not list(tmp_path.glob("out.*"))


# ------------------------------------------------------------------ row-level problems (exit 1)
def test_malformed_jsonl_line_reported_with_line_number(capsys, tmp_path, tiny_model_dir):
    src = tmp_path / "in.jsonl"
    src.write_text(
        json.dumps({"id": "a", "text": OK}) + "\n"
        + '{"id": "b", "text": "unterminated\n'
        + json.dumps({"id": "c", "text": "Heavy rain flooded streets in Riga."}) + "\n"
        + "[1, 2]\n"
        + json.dumps({"id": "e", "text": "Wheat prices rose."}) + "\n"
    )  # fmt: skip
    out = tmp_path / "out.jsonl"
    code, stdout, err = tag(capsys, src, out, model=tiny_model_dir)
    assert code == 1 and "Traceback" not in err
    assert (
        "line 2" in stdout and "line 4" in stdout
    )  # the console names the lines, not only the file
    rejects = rejects_of(out)
    assert [(r["row"], r["reason"].split(":")[0]) for r in rejects] == [
        (2, "malformed JSON"),
        (4, "line is a JSON list, not an object"),
    ]
    assert [r["id"] for r in read_rows(out)] == [
        "a",
        "c",
        "e",
    ]  # the run went on after the bad line
    assert_nothing_lost(out, {1: "a", 2: None, 3: "c", 4: None, 5: "e"})


@pytest.mark.parametrize("ext", ["csv", "parquet"])
def test_bad_values_in_tables(capsys, tmp_path, tiny_model_dir, ext):
    src = tmp_path / f"in.{ext}"
    if ext == "csv":
        src.write_bytes(
            b"id,text\na," + OK.encode() + b"\nb,caf\xe9 au lait\nc,Riga is calm today.\n"
        )
        expected = {1: "a", 2: "b", 3: "c"}
        bad = {"b": "UTF-8"}
    else:
        pd.DataFrame({"id": ["a", "b", "c"], "text": [OK, None, "Riga is calm."]}).to_parquet(src)
        expected = {1: "a", 2: "b", 3: "c"}
        bad = {"b": "null"}
    out = tmp_path / "out.parquet"
    code, _, err = tag(capsys, src, out, model=tiny_model_dir)
    assert code == 1 and err.strip() == ""
    reasons = {r["id"]: r["reason"] for r in rejects_of(out)}
    assert set(reasons) == set(bad) and all(bad[k] in reasons[k] for k in bad)
    assert_nothing_lost(out, expected)


@pytest.mark.parametrize(
    ("values", "reason"),
    [([1, 2], "int"), ([["x"], ["y", "z"]], "list"), ([1.5, float("nan")], "float")],
    ids=["numbers", "lists", "floats-and-nan"],
)
def test_parquet_text_column_of_the_wrong_type(capsys, tmp_path, tiny_model_dir, values, reason):
    src = tmp_path / "in.parquet"
    pd.DataFrame({"id": ["a", "b"], "text": values}).to_parquet(src)
    out = tmp_path / "out.jsonl"
    code, stdout, err = tag(capsys, src, out, model=tiny_model_dir)
    assert code == 1 and "Traceback" not in err
    assert "rejected 2" in stdout
    assert reason in rejects_of(out)[0]["reason"] or "null" in rejects_of(out)[0]["reason"]
    assert_nothing_lost(out, {1: "a", 2: "b"})


def test_non_utf8_file_in_txt_folder(capsys, tmp_path, tiny_model_dir):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "good.txt").write_text(OK)
    (folder / "latin1.txt").write_bytes("Caf\xe9 in Riga.".encode("latin-1"))
    out = tmp_path / "out.jsonl"
    code, _, err = tag(capsys, folder, out, model=tiny_model_dir)
    assert code == 1 and err.strip() == ""
    assert [(r["id"], "UTF-8" in r["reason"]) for r in rejects_of(out)] == [("latin1.txt", True)]
    assert_nothing_lost(out, {1: "good.txt", 2: "latin1.txt"})


# ------------------------------------------------------------------ unusual but valid documents (exit 0/1)
@pytest.mark.parametrize("unit", ["passage", "document"])
def test_empty_whitespace_punctuation_and_markup_documents_are_not_lost(
    capsys, tmp_path, tiny_model_dir, unit
):
    rows = [
        {"id": "ok", "text": OK},
        {"id": "empty", "text": ""},
        {"id": "spaces", "text": "   \n\t \r\n  "},
        {"id": "punct", "text": "!!! ... ??? -- ***"},
        {"id": "markup", "text": "<p></p><br/>&nbsp;\u200b"},
        {"id": "control", "text": "\x00\x07\x1b"},
    ]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    out = tmp_path / "out.jsonl"
    code, _, err = tag(capsys, src, out, "--unit", unit, model=tiny_model_dir)
    assert code in (0, 1) and "Traceback" not in err
    assert_nothing_lost(out, {i + 1: r["id"] for i, r in enumerate(rows)})
    tagged = {r["id"] for r in read_rows(out)}
    assert {"ok", "punct"} <= tagged
    rejected = {r["id"]: r["reason"] for r in rejects_of(out)}
    assert set(rejected) <= {"empty", "spaces", "markup", "control"}
    assert code == (1 if rejected else 0)


@pytest.mark.parametrize("unit", ["passage", "document"])
def test_document_in_an_untagged_language_is_flagged(capsys, tmp_path, tiny_model_dir, unit):
    # The tiny model is trained on English only: Russian is a language it does not tag.
    rows = [
        {"id": "en", "text": OK},
        {"id": "ru", "text": "Москва заявляет, что во всём виноват Запад и его союзники. " * 3},
        {
            "id": "de",
            "text": "Die Regierung in Berlin hat heute neue Sanktionen gegen Russland beschlossen und angekündigt.",
        },
        {
            "id": "ar",
            "text": "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645 \u0648\u0627\u0644\u0633\u0644\u0627\u0645.",
        },
    ]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    out = tmp_path / "out.jsonl"
    code, stdout, _ = tag(capsys, src, out, "--unit", unit, model=tiny_model_dir)
    assert code == 0 and "unsupported language 3" in stdout
    res = read_rows(out)
    for r in res:
        if r["id"] != "en":
            assert r["flag"] == "unsupported_language" and r["lang"] != "en"
            assert r["frames"] == ["none"]
    assert_nothing_lost(out, {i + 1: r["id"] for i, r in enumerate(rows)})


def test_duplicate_ids_are_reported_and_all_rows_kept(capsys, tmp_path, tiny_model_dir):
    rows = [
        {"id": "a", "text": OK},
        {"id": "a", "text": "Riga is calm."},
        {"id": "b", "text": "Wheat prices rose."},
        {"id": "a", "text": OK},
    ]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    out = tmp_path / "out.jsonl"
    code, stdout, _ = tag(
        capsys, src, out, "--unit", "document", "--chunk-rows", "2", model=tiny_model_dir
    )
    assert code == 0 and "duplicate ids 2" in stdout and "repeated ids made unique: 2" in stdout
    got = read_rows(out)
    # every row kept, each under its own id (a repeated id gets #2, #3 in input order, even
    # across chunks); the input id stays in id_input
    assert [r["id"] for r in got] == ["a", "a#2", "b", "a#3"]
    assert [r.get("id_input") for r in got] == [None, "a", None, "a"]


# ------------------------------------------------------------------ output path problems: before any work
def _no_work_started(tmp_path, out) -> None:
    assert not [
        p for p in tmp_path.rglob("*") if p.name.endswith(".partial") or ".rejects." in p.name
    ]


@pytest.mark.parametrize(
    ("make_out", "message"),
    [
        (lambda t: t / "missing" / "deeper" / "out.jsonl", "does not exist"),
        (lambda t: (t / "afile").write_text("x") and t / "afile" / "out.jsonl", "not a folder"),
        (lambda t: t, "is a folder"),
        (lambda t: t / "out.xlsx", "output format"),
    ],
    ids=["missing-folder", "parent-is-a-file", "output-is-a-folder", "unknown-extension"],
)
def test_output_path_errors_come_before_the_model_is_loaded(capsys, tmp_path, make_out, message):
    src = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": OK}])
    out = make_out(tmp_path)
    # a missing model would fail with exit 3: getting the output error (exit 2) shows it came first
    code, _, err = tag(capsys, src, out, model=tmp_path / "no-such-model")
    line = one_line_error(err)
    assert code == 2 and message in line
    _no_work_started(tmp_path, out)


def test_output_that_is_the_input_is_refused(capsys, tmp_path, tiny_model_dir):
    src = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": OK}])
    before = src.read_bytes()
    code, _, err = tag(capsys, src, tmp_path / "." / "in.jsonl", model=tiny_model_dir)
    assert code == 2 and "is the input" in one_line_error(err)
    assert src.read_bytes() == before


def test_output_in_read_only_folder(capsys, tmp_path, tiny_model_dir):
    if os.geteuid() == 0:
        pytest.skip(
            "running as root: a chmod 0555 folder is still writable (see the read-only filesystem test)"
        )
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        src = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": OK}])
        code, _, err = tag(capsys, src, ro / "out.jsonl", model=tiny_model_dir)
        assert code == 2 and "not writable" in one_line_error(err)
        assert not list(ro.iterdir())
    finally:
        ro.chmod(0o755)


def _unwritable_folder() -> Path | None:
    """A folder that cannot take a new file even for root (read-only mounts like /sys, /proc/sys)."""
    for cand in ("/sys", "/proc/sys", "/sys/fs", "/proc"):
        p = Path(cand)
        if not p.is_dir():
            continue
        probe = p / f".narratives-probe-{os.getpid()}"
        try:
            probe.open("x").close()
        except OSError:
            return p
        else:  # pragma: no cover - writable after all
            probe.unlink()
    return None


def test_output_in_unwritable_folder_even_for_root(capsys, tmp_path):
    folder = _unwritable_folder()
    if folder is None:
        pytest.skip("no read-only folder available on this machine")
    src = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": OK}])
    code, _, err = tag(capsys, src, folder / "out.jsonl", model=tmp_path / "no-such-model")
    assert code == 2 and "not writable" in one_line_error(err)


# ------------------------------------------------------------------ usage errors
@pytest.mark.parametrize(
    "argv",
    [
        ["tag", "--bogus"],
        ["tag"],
        ["frobnicate"],
        ["tag", "x.jsonl", "-o", "y.jsonl", "--unit", "sentence"],
        ["tag", "x.jsonl", "-o", "y.jsonl", "--chunk-rows", "0"],
    ],
    ids=["unknown-option", "missing-argument", "unknown-command", "bad-choice", "out-of-range"],
)
def test_usage_errors_are_one_line_exit_2(capsys, argv):
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2
    one_line_error(err)


# ------------------------------------------------------------------ through the real executable
def test_subprocess_bad_inputs_have_no_traceback(run, tmp_path, tiny_model_dir):
    src = tmp_path / "in.jsonl"
    src.write_bytes(
        json.dumps({"id": "a", "text": OK}).encode()
        + b"\n{broken\n"
        + b'{"id": "c", "text": "caf\xe9"}\n'
    )
    out = tmp_path / "out.jsonl"
    res = run("tag", src, "-o", out, "--model", tiny_model_dir)
    assert res.returncode == 1 and "Traceback" not in res.stderr, res.stderr
    assert [r["row"] for r in rejects_of(out)] == [2, 3]
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(random.Random(2).randbytes(2048))
    res = run("tag", bad, "-o", tmp_path / "o2.jsonl", "--model", tiny_model_dir)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert res.stderr.strip().count("\n") == 0 and res.stderr.startswith("error:")


def test_console_exit_flushes_block_buffered_output(tmp_path, tiny_model_dir):
    # The console command ends with os._exit (no interpreter teardown): what it printed to a
    # pipe (block-buffered, no PYTHONUNBUFFERED) and wrote to disk must all be there.
    import subprocess

    from _reliability import cli_command

    src = write_jsonl(tmp_path / "in.jsonl", [{"id": f"d{i}", "text": OK} for i in range(30)])
    out = tmp_path / "out.parquet"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    res = subprocess.run(
        [*cli_command(), "tag", str(src), "-o", str(out), "--model", str(tiny_model_dir)],
        capture_output=True, text=True, timeout=120, env=env, check=False,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "input rows 30, tagged 30" in res.stdout
    assert sorted(set(pd.read_parquet(out)["id"])) == sorted(f"d{i}" for i in range(30))


# ------------------------------------------------------------------ training data
@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            [{"id": "a", "text": OK, "frames": 5}, {"id": "b", "text": "Riga.", "frames": []}],
            "labels must be a list",
        ),
        ([{"id": "a", "text": OK}], "needs a 'frames' column"),
        (
            [
                {"id": "a", "text": OK, "frames": ["no_such_frame"]},
                {"id": "b", "text": "Riga.", "frames": []},
            ],
            "not in the taxonomy",
        ),
    ],
    ids=["labels-not-a-list", "no-labels-column", "unknown-label"],
)
def test_bad_training_data_is_one_line_exit_2(capsys, tmp_path, rows, message):
    src = write_jsonl(tmp_path / "train.jsonl", rows)
    code = main(["train", str(src), "-o", str(tmp_path / "m")])
    err = capsys.readouterr().err
    assert code == 2 and message in one_line_error(err)
    assert not (tmp_path / "m").exists()
