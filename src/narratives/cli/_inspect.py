"""``narratives explain`` and ``narratives info``: one text, one model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from .._exceptions import InputError
from ._common import ModelOpt, _model, out

#: Endings that make an argument of ``explain`` a file name rather than text.
TEXT_FILE_SUFFIXES = (".txt", ".text", ".md", ".markdown", ".html", ".htm", ".xml", ".rst")
_PATH_MAX, _NAME_MAX = 4096, 255


def looks_like_path(arg: str) -> bool:
    """Whether ``arg`` is meant as a file name: one short line that ends in a text-file
    extension, or starts like a path (``/``, ``./``, ``../``, ``~/``) and has no spaces.

    Text is never taken for a path because of what is on disk: a mistyped ``mine.txt`` is an
    error, not the text "mine.txt"."""
    if not arg or "\n" in arg or "\x00" in arg or len(arg) > _PATH_MAX:
        return False
    if any(len(part.encode("utf-8", "surrogateescape")) > _NAME_MAX for part in arg.split("/")):
        return False
    if arg.lower().endswith(TEXT_FILE_SUFFIXES) and arg.strip() == arg:
        return True
    return arg.startswith(("/", "./", "../", "~/")) and not any(c.isspace() for c in arg)


def _is_file(p: Path) -> bool:
    """``p.is_file()`` that is False, not an error, for names the system refuses (too long,
    NUL bytes, ...)."""
    try:
        return p.is_file()
    except (OSError, ValueError):
        return False


def _read_text_file(p: Path) -> str:
    p = p.expanduser()
    if not _is_file(p):
        what = "is a folder, not a file" if p.is_dir() else "no such file"
        raise InputError(f"{what}: {p}")
    try:
        return p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{p} is not valid UTF-8") from None


def text_to_explain(text: str | None, file: Path | None) -> str:
    """The text ``narratives explain`` explains: ``--file``, else TEXT, read as a file when it
    looks like a file name (:func:`looks_like_path`; an error when no such file exists) or when
    it is the name of an existing file, else TEXT itself."""
    if (text is None) == (file is None):
        raise InputError("explain needs one TEXT argument or --file PATH (not both)")
    if file is not None:
        return _read_text_file(file)
    assert text is not None
    if looks_like_path(text):
        return _read_text_file(Path(text))
    if len(text) <= _PATH_MAX and "\n" not in text and _is_file(Path(text)):
        return _read_text_file(Path(text))  # an existing file without a known extension
    return text


def explain(
    text: Annotated[
        str | None,
        typer.Argument(
            help="The text, or the path of a UTF-8 text file (a name ending in .txt, .md, .html, ... "
            "or starting with / ./ ../ is read as a file, and must exist).",
            show_default=False,
        ),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option("--file", help="Explain the text of this UTF-8 file (any name)."),
    ] = None,
    model: ModelOpt = None,
    top_k: Annotated[int, typer.Option(help="Features shown per label.")] = 8,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Show the evidence behind the labels of one text."""
    text = text_to_explain(text, file)
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
    short: Annotated[
        bool,
        typer.Option(
            "--short",
            help="Only the summary from the manifest: taxonomy, data, labels, thresholds.",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the manifest as JSON.")] = False,
) -> None:
    """Print the model card: what the model was trained on, the languages it tags, its labels and
    thresholds, held-out and real-text results and known failure modes."""
    m = _model(model)
    if as_json:
        out.print_json(json.dumps(m.info(), default=str))
    else:
        out.print(model_card(m, short=short).rstrip("\n"), markup=False, highlight=False)


#: Read at most this much of a model directory's MODEL_CARD.md (the default model's: 15 kB).
CARD_MAX_BYTES = 1 << 20


def model_card(m, short: bool = False) -> str:
    """The card ``narratives info`` prints: the summary the model makes from its manifest
    (``NarrativeModel.card``) with the languages it tags, then (unless ``short``) every section
    of the model directory's ``MODEL_CARD.md`` that the summary lacks: held-out test metrics,
    top features, real-text results, known failure modes (what the build script wrote)."""
    summary = m.card()
    if "- languages:" not in summary:
        head, sep, rest = summary.partition("\n## ")
        langs = ", ".join(m.languages) or "none"
        line = f"- languages tagged: {langs} (other languages are flagged unsupported_language)"
        summary = f"{head.rstrip()}\n{line}\n{sep}{rest}"
    if short or m.path is None:
        return summary
    extra = _sections_beyond(summary, _stored_card(Path(m.path) / "MODEL_CARD.md"))
    return summary.rstrip("\n") + "\n" + "".join(f"\n{sec}" for sec in extra)


def _stored_card(path: Path) -> str:
    try:
        with open(path, "rb") as fh:
            return fh.read(CARD_MAX_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return ""


def _sections_beyond(summary: str, card: str) -> list[str]:
    """The ``## `` sections of ``card`` whose heading is not among the summary's."""
    have = {ln.strip() for ln in summary.splitlines() if ln.startswith("## ")}
    sections: list[list[str]] = []
    for line in card.splitlines():
        if line.startswith("## "):
            sections.append([line])
        elif sections:
            sections[-1].append(line)
    return ["\n".join(sec).rstrip() + "\n" for sec in sections if sec[0].strip() not in have]
