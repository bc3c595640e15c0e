"""Telegram Desktop chat and channel exports (``result.json``, "Export chat history" as JSON).

The export is one JSON document, not JSON Lines: an object with the chat's ``name``, ``type``
and ``id`` and a ``messages`` list. Each message is one input row:

- ``id``: the message id (unique within a chat), as text;
- ``text``: the message text with its formatting flattened: Telegram writes formatted text as
  a list of plain strings and ``{"type": ..., "text": ...}`` parts (links, bold, hashtags...);
- kept as extra columns: ``date``, ``chat`` (the chat's name), ``from`` (the author or channel)
  and ``forwarded_from`` where the export has them;
- rejects with a reason, never dropped: service messages (a pinned message, a member joined:
  no text) and messages whose text is empty (a photo or video without a caption).

The whole document is parsed at once (JSON has no row boundaries to stream by), so memory grows
with the export's size: several times the file for a large channel.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .._exceptions import InputError
from ._chunks import BOM, Chunk, Reject, finish
from ._compression import open_input

#: Message fields kept as columns (same names) next to ``id``, ``text`` and ``chat``.
KEPT = ("date", "from", "forwarded_from")


def single_json_document(path: Path) -> bool:
    """Whether a ``.json`` file holds one JSON document spread over lines (a Telegram export,
    a pretty-printed array) rather than JSON Lines: its first non-empty line is not a whole
    JSON value.

    Lines are split on ``\\n`` only, as the JSON Lines reader splits them (``str.splitlines``
    would also split inside a string holding U+2028 or U+0085), and the first line is read
    whole however long it is (a first record longer than any fixed sniffing window is still one
    line of JSON Lines).
    """
    first = b""
    with open_input(path) as fh:
        for i, raw in enumerate(fh):
            raw = raw.removeprefix(BOM) if i == 0 else raw
            if raw.strip():
                first = raw
                break
    text = first.decode("utf-8", "replace").strip()
    if not text.startswith(("{", "[")):
        return False
    try:
        json.loads(text)
    except json.JSONDecodeError:
        return True
    return False


def flatten_text(value: Any) -> str | None:
    """A message's text as one string: plain strings as they are, formatted parts by their
    ``text``; None when the export gives something else."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        parts = []
        for part in value:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict) and isinstance(part.get("text"), str):
                parts.append(part["text"])
            else:
                return None
        return "".join(parts)
    return None


def load_export(path: Path) -> dict[str, Any]:
    """The parsed export, or :class:`InputError` when ``path`` is one JSON document of another
    kind (JSON Lines files never get here)."""
    try:
        with open_input(path) as fh:
            doc = json.loads(fh.read().removeprefix(b"\xef\xbb\xbf"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path} is neither JSON Lines nor a valid JSON document: {exc}") from exc
    if not (isinstance(doc, dict) and isinstance(doc.get("messages"), list)):
        kind = (
            f"a JSON {type(doc).__name__}"
            if not isinstance(doc, dict)
            else "an object without a 'messages' list"
        )
        raise InputError(
            f"{path} is one JSON document ({kind}), not JSON Lines (one object per line) nor a "
            "Telegram export (an object with a 'messages' list): write one JSON object per line"
        )
    return doc


def message_row(msg: Any, chat: str | None) -> tuple[dict[str, Any] | None, str, str | None]:
    """``(row, id, problem)`` for one message: the row when it can be tagged, else the reason."""
    if not isinstance(msg, dict):
        return None, "", f"message is a JSON {type(msg).__name__}, not an object"
    mid = msg.get("id")
    rid = str(mid) if isinstance(mid, (int, str)) and not isinstance(mid, bool) else ""
    if msg.get("type", "message") != "message":
        action = msg.get("action")
        return None, rid, f"service message ({action or msg.get('type')}): no text"
    text = flatten_text(msg.get("text", ""))
    if text is None:
        return None, rid, "text is neither a string nor a list of text parts"
    if not text.strip():
        media = msg.get("media_type") or ("photo" if "photo" in msg else None)
        return None, rid, f"no text ({media} without a caption)" if media else "no text"
    row = {"text": text, "chat": chat}
    row.update({key: msg[key] for key in KEPT if key in msg})
    return row, rid, None


def iter_messages(path: Path) -> Iterator[tuple[int, dict[str, Any] | None, str, str | None]]:
    """``(position, row, id, problem)`` per message, positions from 1 (the row number)."""
    doc = load_export(path)
    chat = doc.get("name") if isinstance(doc.get("name"), str) else None
    for pos, msg in enumerate(doc["messages"], start=1):
        yield (pos, *message_row(msg, chat))


def iter_telegram(path: Path, chunk_rows: int) -> Iterator[Chunk]:
    """A Telegram Desktop export (this module): a row per message, rejects with reasons."""
    rows: list[dict[str, Any]] = []
    rejects: list[Reject] = []
    n_read = 0
    for pos, row, rid, problem in iter_messages(path):
        n_read += 1
        rid = rid or str(pos)
        if problem:
            rejects.append(Reject(rid, pos, problem, str(path)))
        else:
            rows.append({**row, "id": rid, "row": pos})
        if len(rows) >= chunk_rows:
            yield finish(rows, rejects, n_read)
            rows, rejects, n_read = [], [], 0
    if rows or rejects or n_read:
        yield finish(rows, rejects, n_read)
