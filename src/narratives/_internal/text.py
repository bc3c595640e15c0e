"""Short display forms of labels (plot ticks, table cells)."""

from __future__ import annotations

__all__ = ["shorten"]


def shorten(label: str, limit: int = 48) -> str:
    """Fit a label in ``limit`` characters. Hierarchical labels (``"CC: Narrative: Sub"``) keep
    their first part and their last part, which carry the domain and the specific claim."""
    label = str(label)
    if len(label) <= limit:
        return label
    parts = label.split(": ")
    if len(parts) > 1:
        head, last = parts[0], parts[-1]
        if len(last) > limit - 2:
            return "…" + last[-(limit - 1) :]
        prefix = label[: len(label) - len(last) - 2]
        cut = prefix[: max(0, limit - len(last) - 3)]  # room left for "…: " + last
        if " " in cut:
            cut = cut[: cut.rfind(" ")]  # whole words only
        cut = cut.rstrip(" :,")
        if len(cut) > len(head) + 5:
            return f"{cut}…: {last}"
        if len(head) + 5 + len(last) <= limit:
            return f"{head}: …: {last}"
        return "…: " + last[-(limit - 3) :]
    return "…" + label[-(limit - 1) :]
