"""Input and output: streaming readers, labelled data, atomic writers."""

from ._compression import base_suffix, compression_of, open_input
from ._parts import PART_EXT, assemble_parts, encode_part, output_schema
from ._readers import (
    FORMATS,
    Chunk,
    Reject,
    detect_format,
    iter_chunks,
    read_all,
)
from ._semeval import semeval_frames
from ._sizes import count_rows, input_fingerprint
from ._tag_outputs import read_tag_output, tag_output_batches
from ._training import LabelledData, as_labelled, read_labelled, read_semeval
from ._writers import (
    check_new_output,
    check_output_path,
    output_format,
    rejects_path,
)

__all__ = [
    "FORMATS",
    "PART_EXT",
    "Chunk",
    "LabelledData",
    "Reject",
    "as_labelled",
    "assemble_parts",
    "base_suffix",
    "check_new_output",
    "check_output_path",
    "compression_of",
    "count_rows",
    "detect_format",
    "encode_part",
    "input_fingerprint",
    "iter_chunks",
    "open_input",
    "output_format",
    "output_schema",
    "read_all",
    "read_labelled",
    "read_semeval",
    "read_tag_output",
    "rejects_path",
    "semeval_frames",
    "tag_output_batches",
]
