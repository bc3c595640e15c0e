"""Corpus-scale tagging engine."""

from ._local import TagSummary, semeval_rows, tag_file

__all__ = ["TagSummary", "semeval_rows", "tag_file"]
