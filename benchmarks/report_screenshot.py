"""Render a real evaluation report in headless Chromium and save a screenshot.

    .venv/bin/python benchmarks/report_screenshot.py                      # CV report on the bundled corpus
    .venv/bin/python benchmarks/report_screenshot.py --report REPORT_DIR/report.html

Without ``--report`` it cross-validates the pipeline and the baselines on the bundled hand-written
corpus (data/corpus/, 3 folds) and writes the report to a temporary folder. The page is opened from
disk (``file://``) with networking disabled, so the screenshot also proves the report is
self-contained. Writes benchmarks/results/report_screenshot.png and checks that the image is not
blank and that the rendered page holds the embedded PNG plots.

Needs Debian's ``chromium`` (``apt-get install -y chromium``); exits 0 with a message when absent.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--hide-scrollbars",
]


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def corpus_report(out_dir: Path, folds: int, seed: int) -> Path:
    """Cross-validate on the bundled corpus and write a report; returns report.html."""
    import pandas as pd

    import narratives
    from narratives.evaluation import write_report

    frames = [
        pd.read_json(p, lines=True) for p in sorted((ROOT / "data" / "corpus").glob("part-*.jsonl"))
    ]
    df = pd.concat(frames, ignore_index=True)
    t0 = time.perf_counter()
    res = narratives.evaluate(data=df, cv=folds, seed=seed, n_bootstrap=500)
    print(f"cross-validated {len(df)} corpus texts in {time.perf_counter() - t0:.0f}s")
    return write_report(res, out_dir)["html"]


def screenshot(
    chromium: str, page: Path, png: Path, size: str = "1280,2400", timeout: int = 180
) -> None:
    with tempfile.TemporaryDirectory(prefix="narratives-chromium-") as profile:
        cmd = [
            chromium,
            *FLAGS,
            f"--user-data-dir={profile}",
            f"--screenshot={png}",
            f"--window-size={size}",
            page.resolve().as_uri(),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0 or not png.is_file():
        raise SystemExit(f"chromium failed ({proc.returncode}): {proc.stderr.strip()[-800:]}")


def dom_check(chromium: str, page: Path, timeout: int = 180) -> dict[str, int]:
    """Count <img> elements in the rendered DOM whose base64 PNG decoded (headless --dump-dom)."""
    with tempfile.TemporaryDirectory(prefix="narratives-chromium-") as profile:
        cmd = [
            chromium,
            *FLAGS,
            f"--user-data-dir={profile}",
            "--dump-dom",
            page.resolve().as_uri(),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    dom = proc.stdout
    return {
        "img": len(re.findall(r"<img ", dom)),
        "png_data": len(re.findall(r"src=\"data:image/png;base64,", dom)),
    }


def not_blank(png: Path) -> float:
    """Standard deviation of the screenshot's pixels (0 for a blank page)."""
    import matplotlib.image as mpimg

    return float(mpimg.imread(png)[..., :3].std())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--report",
        type=Path,
        help="An existing report.html (default: build one on the bundled corpus).",
    )
    ap.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks" / "results" / "report_screenshot.png"
    )
    ap.add_argument("--folds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--window-size", default="1280,2400")
    args = ap.parse_args(argv)
    chromium = find_chromium()
    if chromium is None:
        print("skipped: chromium is not installed (apt-get install -y chromium)")
        return 0
    with tempfile.TemporaryDirectory(prefix="narratives-report-") as tmp:
        page = args.report or corpus_report(Path(tmp) / "report", args.folds, args.seed)
        if not page.is_file():
            raise SystemExit(f"no report at {page}")
        args.out.parent.mkdir(parents=True, exist_ok=True)
        screenshot(chromium, page, args.out, args.window_size)
        dom = dom_check(chromium, page)
    spread = not_blank(args.out)
    print(
        f"screenshot: {args.out} ({args.out.stat().st_size // 1024} KB, pixel s.d. {spread:.3f}); "
        f"rendered DOM: {dom['img']} images, {dom['png_data']} embedded PNGs"
    )
    if spread < 0.02 or dom["png_data"] < 4:
        print("error: the screenshot looks blank or the plots are missing", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
