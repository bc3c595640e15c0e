"""Input and output: streaming readers, labelled data, atomic writers."""

from ._readers import FORMATS, Chunk, Reject, detect_format, iter_chunks, read_all
from ._training import LabelledData, read_labelled, read_semeval
from ._writers import TableWriter, check_output_path, output_format, rejects_path, write_rejects, write_semeval

__all__ = [
    "FORMATS",
    "Chunk",
    "LabelledData",
    "Reject",
    "TableWriter",
    "check_output_path",
    "detect_format",
    "iter_chunks",
    "output_format",
    "read_all",
    "read_labelled",
    "read_semeval",
    "rejects_path",
    "write_rejects",
    "write_semeval",
]
