"""Corpus-scale tagging engine: streaming, parallel, resumable, exactly once.

:func:`tag_file` tags a file or folder into an output file (local worker processes or a Dask
cluster); :func:`tag_dataframe` tags a dask DataFrame lazily, partition by partition;
:func:`summarize` turns a tagged output into prevalence tables.
"""

from ._checkpoint import checkpoint_dir
from ._dataframe import parquet_schema, tag_dataframe
from ._prevalence import NO_VALUE, NON_TEXT_FLAGS, infer_unit, level_column, prevalence
from ._progress import LineProgress, Progress, RichProgress
from ._summarize import summarize, summary_to_markdown
from ._tag import ENGINES, TagOptions, TagSummary, check_run_paths, tag_file
from ._work import semeval_rows

__all__ = [
    "ENGINES",
    "NON_TEXT_FLAGS",
    "NO_VALUE",
    "LineProgress",
    "Progress",
    "RichProgress",
    "TagOptions",
    "TagSummary",
    "check_run_paths",
    "checkpoint_dir",
    "infer_unit",
    "level_column",
    "parquet_schema",
    "prevalence",
    "semeval_rows",
    "summarize",
    "summary_to_markdown",
    "tag_dataframe",
    "tag_file",
]
