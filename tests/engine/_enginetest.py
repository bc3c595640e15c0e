"""Helpers for the engine tests (a module name of its own: every test folder has a conftest)."""

from __future__ import annotations

import json
import random
from pathlib import Path

from narratives.engine import Progress

SENTENCES = [
    "Kazakhstan is an artificial state that Lenin drew on a map.",
    "NATO expansion left Russia no choice but to defend itself.",
    "Finland will be a legitimate target for nuclear strikes, warned the pundit.",
    "Heavy rain flooded streets in Riga and delayed trams.",
    "State TV claimed that Kazakhstan is an artificial state, a narrative analysts call false.",
    "The new bakery in Chisinau sells honey cake every morning.",
    "Ukraine was never a real country, just a Soviet invention.",
    "Aid convoys reached Kharkiv on Tuesday, officials said.",
    "The West is the real aggressor and Russia only protects its borders.",
    "Wheat prices rose on global markets this week.",
]
OUTLETS = ["alpha", "beta", "gamma"]


def make_rows(n: int, seed: int = 0) -> list[dict]:
    rnd = random.Random(seed)
    rows = []
    for i in range(n):
        k = rnd.randint(1, 7)
        text = " ".join(rnd.choice(SENTENCES) for _ in range(k))
        if i % 4 == 0:
            text = "Headline\n\n" + text
        rows.append(
            {
                "id": f"d{i:04d}",
                "text": text,
                "outlet": OUTLETS[i % 3],
                "date": f"2024-0{1 + i % 3}-1{i % 10}",
            }
        )
    return rows


def write_jsonl(path: Path, rows) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    return path


class Recorder(Progress):
    def __init__(self):
        self.events = []

    def start(self, done=0, total=None):
        self.events.append(("start", done))

    def set_total(self, total):
        self.events.append(("total", total))

    def advance(self, rows, words=0):
        self.events.append(("advance", rows))

    def finish(self):
        self.events.append(("finish", None))
