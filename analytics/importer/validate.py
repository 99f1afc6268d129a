"""Pass one of an import: validate the whole file without writing anything.

Memory stays flat in the file size: records are streamed, and duplicate conversation ids are found
from 8-byte hashes (sorted once at the end) instead of a set of the ids themselves. Only when a hash
repeats is the file read again to name both places.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from analytics.importer.readers import ImportFileError, open_records


@dataclass(frozen=True)
class ValidationSummary:
    conversations: int
    turns: int


def _id_hash(conversation_id: str) -> int:
    return int.from_bytes(hashlib.blake2b(conversation_id.encode("utf-8"), digest_size=8).digest(), "little")


class _HashLog:
    """A growable uint64 array of id hashes (8 bytes a conversation)."""

    def __init__(self) -> None:
        self._chunks: list[np.ndarray] = []
        self._buffer: list[int] = []

    def add(self, value: int) -> None:
        self._buffer.append(value)
        if len(self._buffer) >= 65536:
            self._chunks.append(np.array(self._buffer, dtype=np.uint64))
            self._buffer.clear()

    def repeated(self) -> set[int]:
        if self._buffer:
            self._chunks.append(np.array(self._buffer, dtype=np.uint64))
            self._buffer.clear()
        if not self._chunks:
            return set()
        values = np.sort(np.concatenate(self._chunks))
        return {int(v) for v in values[1:][values[1:] == values[:-1]]}


def validate_file(path: Path, file_format: str,
                  on_progress: Callable[[int], None] | None = None) -> ValidationSummary:
    """Validate every record; raise ``ImportFileError`` naming the first bad line/row and field."""
    conversations = turns = 0
    hashes = _HashLog()
    for _location, record in open_records(path, file_format, on_progress):
        conversations += 1
        turns += len(record.turns)
        hashes.add(_id_hash(record.conversation_id))
    repeated = hashes.repeated()
    if repeated:
        _raise_duplicate(path, file_format, repeated)
    return ValidationSummary(conversations=conversations, turns=turns)


def _raise_duplicate(path: Path, file_format: str, repeated: set[int]) -> None:
    first_seen: dict[str, str] = {}
    for location, record in open_records(path, file_format):
        if _id_hash(record.conversation_id) not in repeated:
            continue
        earlier = first_seen.get(record.conversation_id)
        if earlier is not None:
            hint = "; keep each conversation's rows together" if file_format == "csv" else ""
            raise ImportFileError(str(path), location, f"field 'conversation_id': '{record.conversation_id}' "
                                  f"appears again (first at {earlier}){hint}", field="conversation_id")
        first_seen[record.conversation_id] = location
