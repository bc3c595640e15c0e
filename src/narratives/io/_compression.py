"""Compressed inputs: ``.gz`` (gzip) and ``.zst`` (Zstandard), read as a stream.

The compression is told by the last suffix (``corpus.jsonl.gz``) and the format by the suffix
before it. Reading decompresses block by block, never the whole file into memory; a corrupt or
truncated file is an :class:`~narratives.InputError` of one line, raised where the reader meets
the damage (rows read before it are kept, as for a malformed plain file).
"""

from __future__ import annotations

import gzip
import io
import zlib
from pathlib import Path
from typing import BinaryIO

from .._exceptions import InputError

__all__ = ["COMPRESSIONS", "base_suffix", "compression_of", "open_input"]

#: Suffix -> compression (the name shown in messages).
COMPRESSIONS = {".gz": "gzip", ".zst": "zstd", ".zstd": "zstd"}

_BUFFER = 1 << 20


def compression_of(path: str | Path) -> str | None:
    """``"gzip"``, ``"zstd"`` or None, from the last suffix of ``path``."""
    return COMPRESSIONS.get(Path(path).suffix.lower())


def base_suffix(path: str | Path) -> str:
    """The suffix that names the format, lower case: ``a.jsonl.gz`` -> ``.jsonl``."""
    path = Path(path)
    if compression_of(path):
        path = path.with_suffix("")
    return path.suffix.lower()


class _Checked(io.RawIOBase):
    """A decompressing stream whose decompression errors are one-line :class:`InputError`."""

    def __init__(self, inner: BinaryIO, path: Path, kind: str):
        self._inner, self._path, self._kind = inner, path, kind

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        try:
            return self._inner.readinto(buffer)
        except InputError:
            raise
        except (OSError, EOFError, zlib.error) as exc:
            raise _corrupt(self._path, self._kind, exc) from None
        except Exception as exc:  # zstandard.ZstdError (not imported when unused)
            if type(exc).__name__ == "ZstdError":
                raise _corrupt(self._path, self._kind, exc) from None
            raise

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            super().close()


def _corrupt(path: Path, kind: str, exc: BaseException) -> InputError:
    detail = (str(exc).splitlines() or [type(exc).__name__])[0] or type(exc).__name__
    return InputError(f"{path} is not a readable {kind} file (corrupt or truncated: {detail})")


def _zstd_reader(path: Path) -> BinaryIO:
    try:
        import zstandard
    except ImportError:  # declared as a dependency; a broken install still gets one line
        raise InputError(
            f"reading {path} needs the zstandard package: pip install zstandard"
        ) from None
    _check_zstd_frames(path, zstandard)
    fh = open(path, "rb")  # noqa: SIM115 (closed by the stream reader: closefd)
    # Files written by the zstd tool or in appends hold several frames: read them all.
    return zstandard.ZstdDecompressor().stream_reader(fh, read_across_frames=True, closefd=True)


_ZSTD_MAGIC = 0xFD2FB528
_SKIPPABLE = range(0x184D2A50, 0x184D2A60)


def _check_zstd_frames(path: Path, zstandard) -> None:
    """Walk the frames and block headers of a .zst file (a seek per 128 KiB block, nothing
    decompressed): zstandard's stream reader ends quietly at the end of a truncated file, so a
    cut download would otherwise read as a shorter input."""
    size = path.stat().st_size
    pos = 0
    with open(path, "rb") as fh:
        while pos < size:
            fh.seek(pos)
            head = fh.read(18)  # the largest frame header
            magic = int.from_bytes(head[:4], "little")
            if magic in _SKIPPABLE and len(head) >= 8:
                pos += 8 + int.from_bytes(head[4:8], "little")
            elif magic == _ZSTD_MAGIC:
                try:
                    checksum = zstandard.get_frame_parameters(head).has_checksum
                    pos += zstandard.frame_header_size(head)
                except zstandard.ZstdError as exc:
                    raise _corrupt(path, "zstd", exc) from None
                pos = _skip_blocks(fh, pos, path) + 4 * checksum
            else:
                raise _corrupt(path, "zstd", ValueError(f"no zstd frame at byte {pos}"))
            if pos > size:
                raise _corrupt(path, "zstd", EOFError("the file ends inside a frame"))


def _skip_blocks(fh: BinaryIO, pos: int, path: Path) -> int:
    """The position after the last block of the frame whose first block starts at ``pos``."""
    while True:
        fh.seek(pos)
        raw = fh.read(3)
        if len(raw) < 3:
            raise _corrupt(path, "zstd", EOFError("the file ends inside a frame"))
        header = int.from_bytes(raw, "little")
        kind, block_size = (header >> 1) & 3, header >> 3
        if kind == 3:
            raise _corrupt(path, "zstd", ValueError(f"reserved block type at byte {pos}"))
        pos += 3 + (1 if kind == 1 else block_size)  # an RLE block stores one byte
        if header & 1:
            return pos


def open_input(path: str | Path) -> BinaryIO:
    """Open ``path`` for binary reading, decompressing ``.gz`` and ``.zst`` files as a stream.

    A plain file is opened as it is. Use as a context manager (``with open_input(p) as fh``).
    """
    path = Path(path)
    kind = compression_of(path)
    if kind is None:
        return open(path, "rb")
    # closed with the returned stream (the caller's context manager)
    inner = gzip.open(path, "rb") if kind == "gzip" else _zstd_reader(path)  # noqa: SIM115
    return io.BufferedReader(_Checked(inner, path, kind), _BUFFER)  # type: ignore[return-value]
