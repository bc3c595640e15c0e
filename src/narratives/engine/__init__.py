"""Corpus-scale tagging engine: streaming, parallel, resumable, exactly once.

:func:`tag_file` tags a file or folder into an output file (local worker processes or a Dask
cluster); :func:`summarize` turns a tagged output into prevalence tables.
"""

from ._checkpoint import checkpoint_dir
from ._progress import LineProgress, Progress, RichProgress
from ._summarize import summarize, summary_to_markdown
from ._tag import ENGINES, TagSummary, tag_file
from ._work import semeval_rows

__all__ = [
    "ENGINES",
    "LineProgress",
    "Progress",
    "RichProgress",
    "TagSummary",
    "checkpoint_dir",
    "semeval_rows",
    "summarize",
    "summary_to_markdown",
    "tag_file",
]
