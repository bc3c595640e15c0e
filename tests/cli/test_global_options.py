"""--quiet, -v/-q after the command, and shell completion (issue 15).

Before: there was no --quiet; ``narratives tag ... -v`` was a usage error ("No such option: -v":
the app's options were only accepted before the command); the app was built with
``add_completion=False``, so --install-completion / --show-completion did not exist.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from _cli import run
from narratives.cli._common import hoist_global_flags

SCRIPT = Path(sys.executable).with_name("narratives")
ROWS = [
    {"id": "a", "text": "Kazakhstan is an artificial state that Lenin drew on a map."},
    {"id": "b", "text": "Heavy rain flooded streets in Riga and delayed trams."},
]


@pytest.fixture
def corpus(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    return src


def test_quiet_tag_prints_nothing(capsys, tmp_path, tiny_model_dir, corpus):
    for argv in (["--quiet", "tag"], ["tag", "-q"]):
        out = tmp_path / "out.jsonl"
        code, stdout, stderr = run(
            capsys, *argv, corpus, "-o", out, "-m", tiny_model_dir, "--progress-every", "0"
        )
        assert code == 0 and stdout == "" and stderr == "", (argv, stdout, stderr)
        assert len(out.read_text().splitlines()) == 2
        out.unlink()
    # the next run without --quiet prints its summary and progress again
    code, stdout, stderr = run(
        capsys, "tag", corpus, "-o", out, "-m", tiny_model_dir, "--progress-every", "0"
    )
    assert code == 0 and "documents tagged" in stdout and "tagged 2/2 rows" in stderr


def test_quiet_still_reports_rejects_and_errors(capsys, tmp_path, tiny_model_dir, corpus):
    with open(corpus, "a") as fh:
        fh.write('{"id": "c", "text": 42}\n')
    code, stdout, stderr = run(capsys, "tag", corpus, "-o", tmp_path / "o.jsonl", "-m",
                               tiny_model_dir, "-q")  # fmt: skip
    assert code == 1 and stdout == ""
    assert stderr.startswith("1 input rows rejected; rows and reasons in ")
    code, stdout, stderr = run(capsys, "tag", tmp_path / "none.jsonl", "-o", tmp_path / "x.jsonl",
                               "-q")  # fmt: skip
    assert code == 2 and stderr.startswith("error:")


def test_quiet_keeps_the_answer_of_explain_info_summarize(capsys, tmp_path, tiny_model_dir, corpus):
    code, stdout, _ = run(capsys, "explain", "Riga is calm.", "-m", tiny_model_dir, "-q")
    assert code == 0 and "frames:" in stdout
    code, stdout, _ = run(capsys, "-q", "info", "--short", "-m", tiny_model_dir)
    assert code == 0 and "## Labels and thresholds" in stdout
    out = tmp_path / "out.parquet"
    assert run(capsys, "tag", corpus, "-o", out, "-m", tiny_model_dir, "-q")[0] == 0
    code, stdout, _ = run(capsys, "summarize", out, "-q")
    assert code == 0 and "share of documents" in stdout


def test_verbose_and_quiet_conflict(capsys, tiny_model_dir):
    code, stdout, stderr = run(capsys, "info", "-m", tiny_model_dir, "-v", "--quiet")
    assert code == 2 and stdout == "" and "cannot be combined" in stderr


def test_verbose_after_the_command(capsys, tiny_model_dir, monkeypatch):
    seen = []
    monkeypatch.setattr(
        "narratives.cli._inspect._model",
        lambda path: seen.append(logging.getLogger("narratives").getEffectiveLevel()) or 1 / 0,
    )
    for argv in (["-v", "info"], ["info", "-v"], ["info", "--verbose", "-m", tiny_model_dir]):
        code, _, stderr = run(capsys, *argv)
        assert code == 70 and "No such option" not in stderr  # the injected bug, not a usage error
    assert seen == [logging.INFO] * 3
    assert logging.getLogger("narratives").level == logging.NOTSET  # reset after the run


@pytest.mark.parametrize(
    ("args", "hoisted"),
    [
        (["tag", "in", "-o", "x", "-v"], ["-v", "tag", "in", "-o", "x"]),
        (["-q", "tag", "in", "--verbose"], ["-q", "--verbose", "tag", "in"]),
        (["tag", "in", "--", "-v"], ["tag", "in", "--", "-v"]),
        (["--help"], ["--help"]),
        (["tag", "-v", "tag"], ["-v", "tag", "tag"]),
    ],
)
def test_hoist_global_flags(args, hoisted):
    assert hoist_global_flags(args, {"tag": None, "info": None}) == hoisted


def test_completion_options_are_listed(capsys):
    code, stdout, _ = run(capsys, "--help")
    assert code == 0 and "--install-completion" in stdout and "--show-completion" in stdout


@pytest.mark.skipif(not SCRIPT.is_file(), reason="the narratives console script is not installed")
def test_shell_completion_through_the_console_script(tmp_path):
    env = {**os.environ, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    res = subprocess.run([str(SCRIPT), "--show-completion", "bash"], capture_output=True,
                         text=True, timeout=60, env=env, check=False)  # fmt: skip
    assert res.returncode == 0 and "_NARRATIVES_COMPLETE=complete_bash" in res.stdout
    env.update(_NARRATIVES_COMPLETE="complete_bash", COMP_WORDS="narratives su", COMP_CWORD="1")
    res = subprocess.run([str(SCRIPT)], capture_output=True, text=True, timeout=60, env=env,
                         check=False)  # fmt: skip
    assert res.stdout.split() == ["summarize"], res
    env.update(COMP_WORDS="narratives tag --un", COMP_CWORD="2")
    res = subprocess.run([str(SCRIPT)], capture_output=True, text=True, timeout=60, env=env,
                         check=False)  # fmt: skip
    assert res.stdout.split() == ["--unit"], res


def test_quiet_turns_off_the_progress_bars_of_train_and_evaluate(
    capsys, tmp_path, tiny_model, tiny_df, monkeypatch
):
    import narratives

    seen = {}

    def fake_train(data, **kw):
        seen["train"] = kw.get("progress")
        return tiny_model

    def fake_evaluate(model, data, **kw):
        seen["evaluate"] = kw.get("progress")
        raise narratives.InputError("stop here")

    monkeypatch.setattr(narratives, "train", fake_train)
    monkeypatch.setattr(narratives, "evaluate", fake_evaluate)
    data = tmp_path / "train.jsonl"
    data.write_text(tiny_df.to_json(orient="records", lines=True))
    code, stdout, stderr = run(capsys, "train", data, "-o", tmp_path / "m", "-q")
    assert code == 0 and stdout == "" and stderr == "" and seen["train"] is False
    code, _, _ = run(capsys, "evaluate", data, "-m", tmp_path / "m", "-o", tmp_path / "r", "-q")
    assert code == 2 and seen["evaluate"] is False
    run(capsys, "train", data, "-o", tmp_path / "m2")
    run(capsys, "evaluate", data, "-m", tmp_path / "m", "-o", tmp_path / "r")
    assert seen == {"train": None, "evaluate": None}  # without --quiet: the library's default
