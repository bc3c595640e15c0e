"""The output columns of ``tag``, defined once: names, order and value types.

Passage rows: ``id, passage, start, end, [text,] frames, families, stance, stances, scores,
document_frames, document_families, document_stances, countries, lang, flag`` (the document_*
columns repeat the decisions of the passage's document, so that document prevalence from a
passage file equals that from the document file); document rows: ``id, frames, families, stance, stances, scores, evidence,
frame_passages, countries, lang, n_passages, flag``. Columns copied from the input follow, as
strings; ``narratives tag`` adds ``id_input`` (the input id of a row whose repeated id was made
unique: ``a`` -> ``a#2``) when it renamed any id.
"""

from __future__ import annotations

__all__ = [
    "DOCUMENT_COLUMNS",
    "INT_COLUMNS",
    "LIST_COLUMNS",
    "PASSAGE_COLUMNS",
    "UNITS",
    "output_columns",
]

UNITS = ("passage", "document")

#: Passage rows without the passage text (``text`` goes in at :data:`TEXT_POSITION`).
PASSAGE_COLUMNS = (
    "id",
    "passage",
    "start",
    "end",
    "frames",
    "families",
    "stance",
    "stances",
    "scores",
    "document_frames",
    "document_families",
    "document_stances",
    "countries",
    "lang",
    "flag",
)
DOCUMENT_COLUMNS = (
    "id",
    "frames",
    "families",
    "stance",
    "stances",
    "scores",
    "evidence",
    "frame_passages",
    "countries",
    "lang",
    "n_passages",
    "flag",
)
#: Where the passage text sits in passage rows (after ``end``).
TEXT_POSITION = 4

#: Value types: these are int64; lists of strings; ``scores`` maps fine label -> float,
#: ``stances`` and ``document_stances`` fine label -> "promotes"/"reports" (the frames present), ``evidence`` fine label ->
#: passage index (int; the document's frames only), ``frame_passages`` fine label -> list of passage indices; every other
#: column is a string.
INT_COLUMNS = ("passage", "start", "end", "n_passages")
LIST_COLUMNS = ("frames", "families", "countries", "document_frames", "document_families")


def output_columns(unit: str, with_text: bool = True) -> list[str]:
    """The model's columns of one output row, in order."""
    if unit == "document":
        return list(DOCUMENT_COLUMNS)
    cols = list(PASSAGE_COLUMNS)
    if with_text:
        cols.insert(TEXT_POSITION, "text")
    return cols
