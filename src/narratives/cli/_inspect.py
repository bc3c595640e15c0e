"""``narratives explain`` and ``narratives info``: one text, one model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from .._exceptions import InputError
from ._common import ModelOpt, _model, out


def explain(
    text: Annotated[str, typer.Argument(help="The text, or the path of a UTF-8 text file.")],
    model: ModelOpt = None,
    top_k: Annotated[int, typer.Option(help="Features shown per label.")] = 8,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Show the evidence behind the labels of one text."""
    p = Path(text)
    if len(text) < 4096 and p.is_file():
        try:
            text = p.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise InputError(f"{p} is not valid UTF-8") from None
    ex = _model(model).explain(text, top_k=top_k)
    if as_json:
        out.print_json(json.dumps(ex, default=str))
        return
    out.print(
        f"frames: [bold]{', '.join(ex['frames'])}[/]   families: {', '.join(ex['families'])}   stance: [bold]{ex['stance']}[/]"
    )
    for lab in ex["labels"]:
        mark = "[green]✓[/]" if lab["predicted"] else "[dim]·[/]"
        out.print(
            f"\n{mark} [bold]{lab['label']}[/] ({lab['family']}) score {lab['score']:.2f} / threshold {lab['threshold']:.2f}"
        )
        for s in lab["sentences"][:2]:
            out.print(f"   sentence {s['score']:.2f}: {s['text'][:200]}")
        if lab["features"]:
            out.print("   features: " + ", ".join(f"{n} (+{w:.2f})" for n, w in lab["features"]))
        if lab["cues"]:
            out.print("   cues: " + ", ".join(repr(c["phrase"]) for c in lab["cues"][:8]))
        ev = lab.get("stance_evidence") or {}
        if lab.get("stance") and ev:
            pro = ", ".join(n for n, _ in ev.get("towards_promotes", [])[:5]) or "-"
            rep = ", ".join(n for n, _ in ev.get("towards_reports", [])[:5]) or "-"
            out.print(f"   stance {lab['stance']}: towards promotes {pro}; towards reports {rep}")
    if ex["stance_cues"]:
        out.print("\nstance cues: " + ", ".join(repr(c["phrase"]) for c in ex["stance_cues"][:8]))


def info(
    model: ModelOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the manifest as JSON.")] = False,
) -> None:
    """Print the model card."""
    m = _model(model)
    if as_json:
        out.print_json(json.dumps(m.info(), default=str))
    else:
        out.print(m.card(), markup=False)
