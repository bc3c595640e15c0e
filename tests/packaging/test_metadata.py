"""Package metadata in pyproject.toml: every import declared, the version defined once and in the
changelog, the project URLs, the datasketch bound. Reads files only (no build; test_wheel.py
builds and installs the wheel)."""

from __future__ import annotations

import ast
import importlib.metadata as md
import re
import sys
import tomllib
from pathlib import Path

import narratives
from narratives import _version

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "narratives"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(req: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", req)
    assert match, req
    return _norm(match.group(1))


def _imported_top_level_modules() -> dict[str, set[str]]:
    """Top-level modules imported anywhere in the package (function-level imports included)."""
    found: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in ("narratives", "__future__"):
                    found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_imported_third_party_module_is_a_declared_dependency():
    project = PYPROJECT["project"]
    declared = {_requirement_name(r) for r in project["dependencies"]}
    for extra, reqs in project["optional-dependencies"].items():
        if (
            extra != "dev"
        ):  # the user-facing extras (dask); dev tools are not imported by the package
            declared |= {_requirement_name(r) for r in reqs}
    providers = md.packages_distributions()
    problems = []
    for module, files in sorted(_imported_top_level_modules().items()):
        dists = {_norm(d) for d in providers.get(module, [])}
        if not dists:
            problems.append(f"{module} (imported in {sorted(files)}) is not installed")
        elif not dists & declared:
            problems.append(f"{module} (from {sorted(dists)}, in {sorted(files)}) is not declared")
    assert problems == [], "\n".join(problems)


def test_the_version_is_defined_once():
    assert PYPROJECT["tool"]["hatch"]["version"]["path"] == "src/narratives/_version.py"
    assert "version" in PYPROJECT["project"]["dynamic"]
    assert narratives.__version__ is _version.__version__
    literal = re.compile(r"^\s*__version__\s*=", re.M)
    defining = [p.relative_to(ROOT) for p in SRC.rglob("*.py") if literal.search(p.read_text())]
    assert defining == [Path("src/narratives/_version.py")]


def test_the_changelog_has_a_section_for_the_version():
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## [Unreleased]" in text
    assert re.search(rf"^## \[{re.escape(_version.__version__)}\]", text, re.M), (
        f"CHANGELOG.md has no section for version {_version.__version__}"
    )


def test_project_urls():
    urls = PYPROJECT["project"]["urls"]
    assert set(urls) >= {"Homepage", "Documentation", "Issues", "Changelog"}
    for url in (
        urls["Homepage"],
        urls["Changelog"],
    ):  # http(s) addresses, or files of the repository
        assert url.startswith("https://") or (ROOT / url).exists(), url


def test_datasketch_is_bounded_to_the_major_version_whose_folds_were_checked():
    (req,) = [
        r for r in PYPROJECT["project"]["dependencies"] if _requirement_name(r) == "datasketch"
    ]
    assert "<3" in req.replace(" ", ""), req
    installed = md.version("datasketch")
    assert installed.split(".")[0] == "2", f"datasketch {installed} is installed; {req} declared"
