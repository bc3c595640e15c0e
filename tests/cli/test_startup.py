"""Start-up (issue 15): the command line parses its arguments before it loads the heavy
libraries, so ``narratives --help`` is quick; the package root loads its names on first use.

Before the change ``import narratives`` (and so every command, ``--help`` included) imported
spaCy, scikit-learn, skops, scipy, pandas and datasketch: 2-5 s before any argument was read.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import narratives

HEAVY = ("spacy", "sklearn", "skops", "scipy", "pandas", "datasketch", "pyarrow", "matplotlib")


def _loaded_after(code: str) -> list[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    res = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(res.stdout.strip().splitlines()[-1])


def test_importing_the_package_loads_no_heavy_library():
    assert _loaded_after("import narratives") == []


def test_help_loads_no_heavy_library():
    code = (
        "from narratives.cli._app import main\n"
        "import contextlib, io\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert main(['--help']) == 0\n"
        "    assert main(['tag', '--help']) == 0\n"
    )
    assert _loaded_after(code) == []


@pytest.mark.parametrize("name", narratives.__all__)
def test_every_public_name_resolves(name):
    assert getattr(narratives, name) is not None
    assert name in dir(narratives)


def test_from_import_and_unknown_names():
    from narratives import NarrativeModel, load

    assert load.__module__ == "narratives._api" and NarrativeModel.__name__ == "NarrativeModel"
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        narratives.nope  # noqa: B018
