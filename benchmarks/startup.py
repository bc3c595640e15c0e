"""Start-up time of the ``narratives`` command (issue 15): ``--help``, and tagging one short
document end to end, against what the libraries it needs cost to import.

    .venv/bin/python benchmarks/startup.py              # or: make bench
    .venv/bin/python benchmarks/startup.py --repeats 11

Every measurement is a fresh process (wall time from launch to exit, median of ``--repeats``
runs). The commands are run round-robin, one run of each in turn, so that a busy machine slows
them all alike and the ratios stay meaningful when the absolute times do not:

- ``python -c pass``: the interpreter alone;
- ``narratives --help``, ``narratives --version``;
- ``narratives tag one.txt -o out.jsonl -q``: one short document, end to end (start-up, default
  model load, spaCy pipeline, tagging, writing the output);
- the same in a process where pytest and dask cannot be imported, as in a user's install without
  the dev and dask extras (before tagging stopped importing them, skops imported every
  scikit-learn estimator module, and some of those import pytest and dask when they are there);
- ``narratives info --short``: start-up plus the model load, no tagging;
- the library floor: a process that only imports what tagging cannot do without (spaCy, pandas,
  pyarrow, SciPy's sparse matrices and special functions): tagging one document can not start
  faster than this;
- the old library floor: the same plus scikit-learn and skops.io, which tagging imported until a
  saved model was read without them (``persistence._lean``);
- the eager package: ``import narratives`` followed by every public name, which is what each
  command (``--help`` included) loaded before the imports became lazy.

A second part times the phases of tagging one document inside one process (imports, model load,
first ``tag`` call), to show where the end-to-end time goes, and then what loading the
scikit-learn pipeline costs when a command needs it (``explain``, ``save``).

Results: benchmarks/results/startup.json and startup.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
TEXT = "Kazakhstan is an artificial state that Lenin drew on a map, and Moscow knows it."

#: Targets of issue 15, in seconds.
TARGETS = {"help": 0.5, "tag_one_document": 1.5, "tag_one_document_user_install": 1.5}

LIBRARY_FLOOR = "import spacy, pandas, pyarrow, scipy.sparse, scipy.special"
OLD_LIBRARY_FLOOR = (
    "import spacy, pandas, pyarrow, scipy.sparse, sklearn.linear_model, sklearn.calibration, "
    "skops.io"
)
EAGER_PACKAGE = "import narratives\nfor n in narratives.__all__: getattr(narratives, n)"

#: ``narratives tag`` as in an install without the dev and dask extras (this venv has them; a
#: user's ``pip install narratives`` does not): tagging must not import them either way.
USER_INSTALL_TAG = (
    "import sys\n"
    "sys.modules['pytest'] = sys.modules['dask'] = None  # as if not installed\n"
    "sys.argv = ['narratives', 'tag', 'one.txt', '-o', 'out-user.jsonl', '-q']\n"
    "from narratives.cli import main\n"
    "main()\n"
)

PHASES = """
import json, sys, time
t0 = time.perf_counter()
import narratives.cli
t1 = time.perf_counter()
import spacy, pandas, pyarrow, scipy.sparse, scipy.special
t2 = time.perf_counter()
import narratives, narratives.engine
t3 = time.perf_counter()
model = narratives.load()
t4 = time.perf_counter()
lean = type(model.decider).__name__ == "LeanPipeline"
model.tag([sys.argv[1]])
t5 = time.perf_counter()
model.tag([sys.argv[1]])
t6 = time.perf_counter()
model.pipeline
t7 = time.perf_counter()
print(json.dumps({
    "import narratives.cli (lazy)": t1 - t0,
    "import spaCy, pandas, pyarrow, SciPy": t2 - t1,
    "import the rest of narratives (engine, model, ...)": t3 - t2,
    "load the default model (lean, no scikit-learn)": t4 - t3,
    "first tag() call (spaCy pipeline, matchers, gazetteer)": t5 - t4,
    "second tag() call": t6 - t5,
    "then model.pipeline (scikit-learn, skops: explain, save)": t7 - t6,
    "lean": lean,
}))
"""


def narratives_command() -> list[str]:
    script = Path(sys.executable).with_name("narratives")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "narratives.cli"]


def timed(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one run of ``argv``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    res = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=cwd, check=False)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if res.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({res.returncode}):\n{res.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _env() -> dict[str, str]:
    """The environment of the timed processes. Python may write bytecode (``__pycache__``,
    ignored by git) in the untimed warm-up: an installed package has it, and an environment with
    ``PYTHONDONTWRITEBYTECODE`` set would otherwise compile narratives' sources in every run."""
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100", "TQDM_DISABLE": "1"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def measure(repeats: int, work: Path) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    (work / "one.txt").write_text(TEXT + "\n", encoding="utf-8")
    cli = narratives_command()
    py = [sys.executable]
    commands = {
        "python": [*py, "-c", "pass"],
        "help": [*cli, "--help"],
        "version": [*cli, "--version"],
        "tag_one_document": [*cli, "tag", "one.txt", "-o", "out.jsonl", "-q"],
        "tag_one_document_user_install": [*py, "-c", USER_INSTALL_TAG],
        "info_short": [*cli, "info", "--short"],
        "library_floor": [*py, "-c", LIBRARY_FLOOR],
        "old_library_floor": [*py, "-c", OLD_LIBRARY_FLOOR],
        "eager_package": [*py, "-c", EAGER_PACKAGE],
    }
    env = _env()
    for argv in commands.values():  # warm the file cache and __pycache__ once, untimed
        timed(argv, env, work)
    times: dict[str, list[float]] = {k: [] for k in commands}
    cpu: dict[str, list[float]] = {k: [] for k in commands}
    for _ in range(repeats):
        for name, argv in commands.items():
            for out in ("out.jsonl", "out-user.jsonl"):
                (work / out).unlink(missing_ok=True)
            wall, used = timed(argv, env, work)
            times[name].append(wall)
            cpu[name].append(used)
    return times, cpu


def phases(repeats: int) -> dict[str, float]:
    runs = []
    for _ in range(repeats):
        res = subprocess.run(
            [sys.executable, "-c", PHASES, TEXT],
            capture_output=True,
            text=True,
            check=True,
            env=_env(),
        )
        runs.append(json.loads(res.stdout.strip().splitlines()[-1]))
    if not all(r.pop("lean") for r in runs):
        raise SystemExit("the default model did not load lean: tagging imported scikit-learn")
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def summarise(
    times: dict[str, list[float]], cpu: dict[str, list[float]], phase: dict[str, float]
) -> dict:
    med = {k: statistics.median(v) for k, v in times.items()}
    return {
        "median_seconds": {k: round(v, 3) for k, v in med.items()},
        "median_cpu_seconds": {k: round(statistics.median(v), 3) for k, v in cpu.items()},
        "min_seconds": {k: round(min(v), 3) for k, v in times.items()},
        "runs_seconds": {k: [round(x, 3) for x in v] for k, v in times.items()},
        "targets_seconds": TARGETS,
        "met": {k: med[k] < t for k, t in TARGETS.items()},
        "ratios": {
            "help / python": round(med["help"] / med["python"], 2),
            "help / eager package import (the old start-up of every command)": round(
                med["help"] / med["eager_package"], 3
            ),
            "tag one document / library floor": round(
                med["tag_one_document"] / med["library_floor"], 2
            ),
            "library floor / tag one document (share that is imports narratives cannot skip)": round(
                med["library_floor"] / med["tag_one_document"], 2
            ),
            "info --short / tag one document": round(
                med["info_short"] / med["tag_one_document"], 2
            ),
        },
        "phases_median_seconds": {k: round(v, 3) for k, v in phase.items()},
    }


def markdown(r: dict) -> str:
    med, lo, cpu = r["median_seconds"], r["min_seconds"], r["median_cpu_seconds"]
    names = {
        "python": "`python -c pass` (interpreter alone)",
        "help": "`narratives --help`",
        "version": "`narratives --version`",
        "tag_one_document": "`narratives tag one.txt -o out.jsonl -q` (one short document)",
        "tag_one_document_user_install": "the same, without pytest and dask installed (a user's install)",
        "info_short": "`narratives info --short` (start-up + model load)",
        "library_floor": "import spaCy, pandas, pyarrow, SciPy (library floor)",
        "old_library_floor": "the same + scikit-learn, skops.io (what tagging imported before)",
        "eager_package": "`import narratives` + every public name (each command before)",
    }
    lines = [
        "# Start-up time",
        "",
        f"Measured by `benchmarks/startup.py --repeats {r['repeats']}` on {r['machine']}: fresh "
        "processes, run round-robin; median (and fastest) wall time of "
        f"{r['repeats']} runs each, and the median CPU time (user + system; a busy machine "
        "stretches wall time more than CPU time). Load average at the start / end: "
        f"{r['load_before']} / {r['load_after']} ({r['cpus']} CPUs).",
        "",
        "| command | median s | fastest s | median CPU s | target | met |",
        "|---|---:|---:|---:|---|---|",
    ]
    for k, label in names.items():
        target = r["targets_seconds"].get(k)
        met = "" if target is None else ("yes" if r["met"][k] else "no")
        lines.append(
            f"| {label} | {med[k]:.3f} | {lo[k]:.3f} | {cpu[k]:.3f} | "
            f"{'' if target is None else f'< {target}'} | {met} |"
        )
    lines += ["", "| ratio | value |", "|---|---:|"]
    lines += [f"| {k} | {v} |" for k, v in r["ratios"].items()]
    lines += [
        "",
        "Where tagging one document spends its time (one process, median of the phase runs):",
        "",
        "| phase | median s |",
        "|---|---:|",
    ]
    lines += [f"| {k} | {v:.3f} |" for k, v in r["phases_median_seconds"].items()]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=7, help="runs of each command (default 7)")
    ap.add_argument("--phase-repeats", type=int, default=3, help="runs of the phase timing")
    ap.add_argument("--out", type=Path, default=RESULTS, help="folder for startup.{md,json}")
    args = ap.parse_args()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="narratives-startup-") as tmp:
        times, cpu = measure(args.repeats, Path(tmp))
    phase = phases(args.phase_repeats)
    r = {
        "repeats": args.repeats,
        "machine": f"{platform.system()} {platform.machine()}, Python {platform.python_version()}",
        "cpus": os.cpu_count(),
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
        **summarise(times, cpu, phase),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "startup.json").write_text(json.dumps(r, indent=2) + "\n", encoding="utf-8")
    (args.out / "startup.md").write_text(markdown(r), encoding="utf-8")
    print(markdown(r))


if __name__ == "__main__":
    main()
