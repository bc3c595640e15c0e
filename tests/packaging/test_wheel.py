"""The wheel, installed outside the repository, tags text with the default model it ships.

What runs: ``pip wheel --no-deps`` builds the wheel from this checkout (pip's build isolation
fetches hatchling from the package index, so the machine needs the index, as ``make`` does); a
fresh virtual environment is made in a temporary folder outside the repository and
``pip install --no-deps --no-index`` installs the wheel into it; there ``narratives --version``
runs, and ``narratives tag`` tags a small JSONL file with the default model (no ``--model``), from
a working directory outside the checkout and without ``PYTHONPATH``.

What that exercises: the wheel's contents (every file of ``src/narratives``, ``py.typed``, the
default model at ``narratives/_default_model``), its size against PyPI's default limit of 100 MB
per file, the console script, the version, and ``load()`` finding the packaged model with no
checkout in reach (the test checks that both the package and the model are loaded from the
fresh environment).

What it does not: resolving and downloading the dependencies. The fresh environment sees the
packages already installed in the test's own environment through a ``.pth`` file (its own
site-packages comes first, so the wheel's ``narratives`` wins over an editable install; a ``.pth``
file's paths are not scanned for further ``.pth`` files, so an editable install's path to
``src/`` stays out). That the declared dependencies cover every import is checked by
``test_metadata.py``; that they resolve from the index on every platform, the sdist, and Python
versions other than the running one are not tested here.
"""

from __future__ import annotations

import json
import os
import re
import site
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYPI_FILE_LIMIT = 100 * 1024 * 1024  # PyPI's default upload limit per file (raised on request)

ROWS = [
    {
        "id": "promo",
        "text": "Kazakhstan is an artificial state that Lenin drew on a map. "
        "It owes its existence to Moscow and should never forget it.",
        "outlet": "X",
    },
    {
        "id": "plain",
        "text": "The city council approved a new budget for road repairs and school "
        "renovations on Tuesday.",
        "outlet": "Y",
    },
]


def _version() -> str:
    text = (ROOT / "src" / "narratives" / "_version.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__ = "([^"]+)"', text, re.M)
    assert match, "src/narratives/_version.py defines no __version__"
    return match.group(1)


def _run(argv: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {
        k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")
    }
    proc = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert proc.returncode == 0, (
        f"{' '.join(map(str, argv))} exited {proc.returncode}\n"
        f"stdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}"
    )
    return proc


def _own_site_packages() -> list[str]:
    """Where the test's own environment has its packages installed."""
    paths = [sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]
    paths += site.getsitepackages()
    if site.ENABLE_USER_SITE:
        paths.append(site.getusersitepackages())
    return [p for p in dict.fromkeys(paths) if Path(p).is_dir()]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", str(ROOT), "-w", str(dist)],
        dist,
    )
    (whl,) = dist.glob("narratives-*.whl")
    return whl


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> dict[str, Path]:
    """A fresh virtual environment with the wheel installed, seeing the test's dependencies."""
    home = tmp_path_factory.mktemp("outside")
    assert not home.resolve().is_relative_to(ROOT)
    env_dir = home / "venv"
    _run([sys.executable, "-m", "venv", str(env_dir)], home)
    python = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    # The environment is still bare here: pip sees no other narratives and installs the wheel.
    _run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)],
        home,
    )
    paths = json.loads(
        _run(
            [str(python), "-c", "import json, sysconfig; print(json.dumps(sysconfig.get_paths()))"],
            home,
        ).stdout
    )
    deps = "".join(f"{p}\n" for p in _own_site_packages())
    (Path(paths["purelib"]) / "_narratives_test_dependencies.pth").write_text(
        deps, encoding="utf-8"
    )
    return {
        "home": home,
        "python": python,
        "scripts": Path(paths["scripts"]),
        "site": Path(paths["purelib"]),
    }


def test_wheel_contents_and_size(wheel):
    assert wheel.name.startswith(f"narratives-{_version()}-")
    size = wheel.stat().st_size
    assert size < PYPI_FILE_LIMIT, f"wheel is {size / 1e6:.1f} MB, over PyPI's default 100 MB"
    names = set(zipfile.ZipFile(wheel).namelist())
    pkg = ROOT / "src" / "narratives"
    sources = {
        f"narratives/{p.relative_to(pkg).as_posix()}"
        for p in pkg.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }
    assert sources - names == set(), "files of src/narratives missing from the wheel"
    assert "narratives/py.typed" in names
    model = ROOT / "models" / "default"
    for p in model.iterdir():
        assert f"narratives/_default_model/{p.name}" in names
    info = zipfile.ZipFile(wheel)
    with info.open(f"narratives-{_version()}.dist-info/entry_points.txt") as fh:
        assert "narratives = narratives.cli:main" in fh.read().decode()


def test_installed_wheel_loads_its_own_package_and_model(venv):
    code = "import narratives; print(narratives.__file__); print(narratives.default_model_path())"
    lines = _run([str(venv["python"]), "-c", code], venv["home"]).stdout.splitlines()
    package, model = (Path(line).resolve() for line in lines[-2:])
    assert package.is_relative_to(venv["site"].resolve())
    assert model == (venv["site"] / "narratives" / "_default_model").resolve()


def test_installed_wheel_prints_its_version(venv):
    proc = _run([str(venv["scripts"] / "narratives"), "--version"], venv["home"])
    assert proc.stdout.strip() == f"narratives {_version()}"


def test_installed_wheel_tags_a_file_with_the_default_model(venv):
    home = venv["home"]
    src = home / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in ROWS), encoding="utf-8")
    out = home / "out.jsonl"
    _run(
        [
            str(venv["scripts"] / "narratives"),
            "tag",
            str(src),
            "-o",
            str(out),
            "--unit",
            "document",
        ],
        home,
    )
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["promo", "plain"]
    promo, plain = rows
    assert "artificial_state" in promo["frames"]
    assert promo["stances"]["artificial_state"] == "promotes"
    assert plain["frames"] == ["none"]
    assert [r["outlet"] for r in rows] == ["X", "Y"]  # input columns carried through
    assert {r["lang"] for r in rows} == {"en"}
