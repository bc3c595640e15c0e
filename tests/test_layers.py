"""The import contract (pyproject.toml [tool.importlinter]) holds, and it catches an upward import."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter not installed")


def _lint(pkg_parent: Path, cwd: Path) -> subprocess.CompletedProcess:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    lines = ["[tool.importlinter]"]
    lines += _toml_items(config["importlinter"], skip="contracts")
    for contract in config["importlinter"]["contracts"]:
        lines += ["", "[[tool.importlinter.contracts]]", *_toml_items(contract)]
    (cwd / "pyproject.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(pkg_parent)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", "pyproject.toml", "--no-cache"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _toml_items(table: dict, skip: str = "") -> list[str]:
    out = []
    for k, v in table.items():
        if k == skip:
            continue
        if isinstance(v, bool):
            out.append(f"{k} = {'true' if v else 'false'}")
        elif isinstance(v, list):
            out.append(f"{k} = [{', '.join(repr(x).replace(chr(39), chr(34)) for x in v)}]")
        else:
            out.append(f'{k} = "{v}"')
    return out


def _copy_package(tmp_path: Path) -> Path:
    parent = tmp_path / "src"
    shutil.copytree(
        ROOT / "src" / "narratives",
        parent / "narratives",
        ignore=shutil.ignore_patterns("__pycache__", "_default_model"),
    )
    return parent


def test_the_package_keeps_its_layers(tmp_path):
    parent = _copy_package(tmp_path)
    res = _lint(parent, tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "2 kept, 0 broken" in res.stdout


def test_an_upward_import_breaks_the_contract(tmp_path):
    """A function-level import from a lower layer (io) into a higher one (the façade) fails."""
    parent = _copy_package(tmp_path)
    target = parent / "narratives" / "io" / "_parts.py"
    target.write_text(
        target.read_text(encoding="utf-8")
        + "\n\ndef _upward():\n    from .._model import NarrativeModel\n\n    return NarrativeModel\n",
        encoding="utf-8",
    )
    res = _lint(parent, tmp_path)
    assert res.returncode != 0
    assert "BROKEN" in res.stdout and "narratives.io._parts -> narratives._model" in res.stdout


def _root_importers(pkg_parent: Path) -> set[str]:
    """Modules of the package that import its root (narratives/__init__) directly.

    import-linter's forbidden contract on the root package no longer reports such an import
    once the root imports nothing of its own (it is lazy), so the rule is checked on grimp's
    import graph, the graph import-linter itself builds.
    """
    code = (
        "import grimp, json; g = grimp.build_graph('narratives', cache_dir=None); "
        "print(json.dumps(sorted(g.find_modules_that_directly_import('narratives'))))"
    )
    res = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": str(pkg_parent)},
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return set(json.loads(res.stdout))


def test_only_the_command_line_imports_the_package_root(tmp_path):
    parent = _copy_package(tmp_path)
    assert {m for m in _root_importers(parent) if not m.startswith("narratives.cli")} == set()
    target = parent / "narratives" / "_taxonomy.py"
    target.write_text(
        target.read_text(encoding="utf-8") + "\n\nimport narratives  # noqa: E402\n",
        encoding="utf-8",
    )
    assert "narratives._taxonomy" in _root_importers(parent)
