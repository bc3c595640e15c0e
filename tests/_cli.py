"""Run the command line in-process, as the CLI tests do."""

from __future__ import annotations

from narratives.cli._app import main


def run(capsys, *argv):
    """Exit code, stdout and stderr of ``narratives *argv`` (arguments turned into strings)."""
    code = main(list(map(str, argv)))
    cap = capsys.readouterr()
    return code, cap.out, cap.err
