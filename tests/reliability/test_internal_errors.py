"""Issue 13, defect 7: an unexpected error (a bug) exits 70, not 1 (1 means "finished with
rejected rows"), with one line on stderr and the path of a log file holding the traceback.

Before the fix ``main`` re-raised anything that was not a narratives, OS or usage error: the
console command printed a traceback and exited 1.
"""

from __future__ import annotations

import re
from pathlib import Path

from _reliability import cli_env

from narratives.cli._app import main
from narratives.cli._common import EXIT_INTERNAL


def _boom(*args, **kwargs):
    raise ZeroDivisionError("a bug deep inside")


def test_a_bug_exits_70_with_one_line_and_a_log(capsys, monkeypatch, tmp_path):
    import narratives.cli._inspect as inspect_cli

    monkeypatch.setattr(inspect_cli, "_model", _boom)
    monkeypatch.setenv("NARRATIVES_LOG_DIR", str(tmp_path))
    code = main(["info"])
    err = capsys.readouterr().err
    assert code == EXIT_INTERNAL == 70
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("error: internal error (ZeroDivisionError: a bug deep inside)")
    log = Path(re.search(r"the traceback is in (\S+);", lines[0]).group(1))
    assert log.parent == tmp_path
    text = log.read_text()
    assert "Traceback (most recent call last)" in text and "ZeroDivisionError" in text


def test_the_traceback_is_never_lost_when_the_log_cannot_be_written(capsys, monkeypatch, tmp_path):
    import narratives.cli._inspect as inspect_cli

    monkeypatch.setattr(inspect_cli, "_model", _boom)
    monkeypatch.setenv("NARRATIVES_LOG_DIR", str(tmp_path / "missing"))
    assert main(["info"]) == 70
    err = capsys.readouterr().err
    assert "Traceback" in err and "the traceback is above" in err


def test_the_console_command_exits_70(run, tmp_path):
    """Through the real executable: a bug injected with a sitecustomize module on PYTHONPATH."""
    (tmp_path / "sitecustomize.py").write_text(
        "import narratives.cli._inspect as m\n"
        "def _boom(*a, **k):\n"
        "    raise RuntimeError('injected')\n"
        "m._model = _boom\n"
    )
    import os

    env = cli_env(
        PYTHONPATH=os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]),
        NARRATIVES_LOG_DIR=str(tmp_path),
    )
    res = run("info", env=env)
    assert res.returncode == 70, res.stderr
    assert res.stderr.count("\n") == 1 and "Traceback" not in res.stderr
    assert "internal error (RuntimeError: injected)" in res.stderr
    assert list(tmp_path.glob("narratives-error-*.log"))
