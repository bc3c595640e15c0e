"""HTML highlighting of evidence spans (a leaf: used by explanations and the notebook helpers)."""

from __future__ import annotations

import html
import itertools
from collections.abc import Mapping
from typing import Any

import pandas as pd

from ._exceptions import InputError
from ._internal.cells import as_list
from ._internal.vocab import NONE_LABELS

__all__ = ["Html", "highlight"]

_PALETTE = ["#ffe08a", "#b5e3ff", "#ffc4c4", "#c8f2c2", "#e2cdf7", "#ffd7a8", "#d0d0ff"]


class Html(str):
    """A string of HTML that notebooks render (``_repr_html_``) and tests compare as a string."""

    __slots__ = ()

    def _repr_html_(self) -> str:
        return str(self)


def _spans(evidence: Any) -> list[tuple[int, int, str]]:
    """(start, end, label) triples from the accepted evidence shapes."""
    if evidence is None:
        return []
    if isinstance(evidence, pd.DataFrame):
        evidence = evidence.to_dict("records")
    if isinstance(evidence, Mapping):
        if "labels" in evidence:  # an Explanation: cue phrases and each label's best sentence
            out = []
            for lab in evidence.get("labels", []):
                for c in lab.get("cues", []):
                    out.append((c["start"], c["end"], lab["label"]))
                for s in lab.get("sentences", [])[:1]:
                    out.append((s["start"], s["end"], lab["label"]))
            return out
        evidence = [evidence]
    out = []
    for e in evidence:
        if isinstance(e, Mapping):
            if "label" in e:
                label = "" if e["label"] is None else str(e["label"])
            elif "frames" in e:  # a tag row: label the passage with its frames, skip unframed ones
                frames = [f for f in as_list(e["frames"]) if f not in NONE_LABELS]
                if not frames:
                    continue
                label = ", ".join(frames)
            else:
                label = ""
            if e.get("score") is not None and label:
                label = f"{label} ({float(e['score']):.2f})"
            out.append((e["start"], e["end"], label))
        else:
            t = tuple(e)
            if len(t) not in (2, 3):
                raise InputError(
                    f"evidence spans are (start, end) or (start, end, label), not {t!r}"
                )
            out.append((t[0], t[1], str(t[2]) if len(t) == 3 else ""))
    return out


def _mark_style(colours: list[str]) -> str:
    if len(colours) == 1:
        bg = colours[0]
    else:  # overlapping labels: one horizontal band per label
        step = 100 / len(colours)
        stops = ",".join(
            f"{c} {i * step:.0f}% {(i + 1) * step:.0f}%" for i, c in enumerate(colours)
        )
        bg = f"linear-gradient(to bottom,{stops})"
    return f"background:{bg};border-radius:3px;padding:0 1px"


def highlight(text: str, evidence: Any = (), title: str | None = None) -> Html:
    """HTML for ``text`` with the evidence spans marked (``<mark>``).

    Parameters
    ----------
    text : str
        The text the offsets refer to (Python string indices, i.e. code points).
    evidence
        ``{"start", "end", "label"[, "score"]}`` dicts; ``(start, end[, label])`` tuples; tag
        rows (dicts or a DataFrame with ``start``, ``end``, ``frames``: framed passages are
        marked with their frames); or an :class:`~narratives.Explanation` (its cue phrases and
        each label's best sentence).
    title : str, optional
        A heading above the text.

    Notes
    -----
    Spans are clipped to the text; empty ones are dropped. Overlapping spans never produce
    nested or crossing tags: the text is cut at every span edge and each piece is marked once,
    titled with every label covering it (and striped with their colours). All text and labels
    are HTML-escaped; line breaks are kept (``white-space:pre-wrap``). Each label keeps one
    colour throughout.

    Examples
    --------
    >>> highlight("a fake state", [{"start": 2, "end": 6, "label": "artificial_state"}])
    '<div class="narratives-hl" style="line-height:1.7;white-space:pre-wrap">a <mark title="artificial_state" style="background:#ffe08a;border-radius:3px;padding:0 1px">fake</mark> state</div>'
    """
    if not isinstance(text, str):
        raise InputError(f"highlight needs a string, not {type(text).__name__}")
    n = len(text)
    clean: list[tuple[int, int, str]] = []
    colours: dict[str, str] = {}
    for a, b, lab in _spans(evidence):
        a, b = max(0, int(a)), min(n, int(b))
        if a < b:
            clean.append((a, b, lab))
            colours.setdefault(lab, _PALETTE[len(colours) % len(_PALETTE)])
    cuts = sorted({0, n, *(a for a, _, _ in clean), *(b for _, b, _ in clean)})
    pieces: list[tuple[int, int, tuple[str, ...]]] = []
    for lo, hi in itertools.pairwise(cuts):
        labs = tuple(dict.fromkeys(lab for a, b, lab in clean if a <= lo and hi <= b))
        if pieces and pieces[-1][2] == labs and pieces[-1][1] == lo:
            pieces[-1] = (pieces[-1][0], hi, labs)  # same labels on both sides of a cut: one mark
        else:
            pieces.append((lo, hi, labs))
    out = []
    for lo, hi, labs in pieces:
        chunk = html.escape(text[lo:hi], quote=False)
        if not labs:
            out.append(chunk)
            continue
        tip = html.escape("; ".join(lab for lab in labs if lab) or "evidence", quote=True)
        out.append(
            f'<mark title="{tip}" style="{_mark_style([colours[lab] for lab in labs])}">{chunk}</mark>'
        )
    head = f"<h4>{html.escape(title)}</h4>" if title else ""
    return Html(
        f'{head}<div class="narratives-hl" style="line-height:1.7;white-space:pre-wrap">{"".join(out)}</div>'
    )
