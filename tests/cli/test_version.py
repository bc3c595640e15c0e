"""`narratives --version` prints the version defined in narratives/_version.py."""

from __future__ import annotations

from typer.testing import CliRunner

from narratives import _version
from narratives.cli._app import app, main


def test_version_option_prints_the_package_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"narratives {_version.__version__}\n"


def test_version_option_is_eager_and_listed_in_help(capsys):
    assert main(["-v", "--version", "tag"]) == 0  # before any command: no command runs
    assert capsys.readouterr().out.strip() == f"narratives {_version.__version__}"
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "--version" in result.output


def test_version_is_not_an_option_of_the_commands(capsys):
    assert main(["info", "--version"]) == 2
